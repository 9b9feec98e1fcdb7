using System.ComponentModel.DataAnnotations;

namespace Sync.Messaging;

/// <summary>The broker connection (<c>Sync:RabbitMq</c>). Defaults point at a local RabbitMQ.</summary>
public sealed class RabbitMqOptions
{
    /// <summary>Configuration section name.</summary>
    public const string SectionName = "Sync:RabbitMq";

    /// <summary>Host name (default <c>localhost</c>).</summary>
    [Required]
    public string Host { get; set; } = "localhost";

    /// <summary>AMQP port (default 5672).</summary>
    [Range(1, 65535)]
    public int Port { get; set; } = 5672;

    /// <summary>Virtual host (default <c>/</c>).</summary>
    [Required]
    public string VirtualHost { get; set; } = "/";

    /// <summary>User name (default <c>guest</c>, which RabbitMQ admits from loopback only).</summary>
    [Required]
    public string Username { get; set; } = "guest";

    /// <summary>Password (default <c>guest</c>).</summary>
    [Required]
    public string Password { get; set; } = "guest";
}
