using System.ComponentModel.DataAnnotations;

namespace Sync.Messaging;

/// <summary>
/// The RabbitMQ broker. Bound from the <c>Sync:RabbitMq</c> section: either <see cref="Uri"/>
/// (<c>amqp://user:password@host:port/vhost</c>) or the separate parts; the default is
/// <c>amqp://guest:guest@localhost:5672</c> with virtual host <c>/</c>.
/// </summary>
public sealed class RabbitMqOptions : IValidatableObject
{
    /// <summary>Configuration section name.</summary>
    public const string SectionName = "Sync:RabbitMq";

    /// <summary>
    /// The broker as one AMQP URI (<c>amqp://</c> or <c>amqps://</c>); when set it wins over <see cref="Host"/>,
    /// <see cref="Port"/>, <see cref="VirtualHost"/>, <see cref="Username"/> and <see cref="Password"/>. An empty path
    /// or <c>/</c> means the default virtual host <c>/</c>.
    /// </summary>
    public Uri? Uri { get; set; }

    /// <summary>Broker host name (default <c>localhost</c>).</summary>
    public string Host { get; set; } = "localhost";

    /// <summary>AMQP port (default 5672).</summary>
    [Range(1, 65535, ErrorMessage = "Sync:RabbitMq:Port must be between {1} and {2}.")]
    public int Port { get; set; } = 5672;

    /// <summary>Virtual host (default <c>/</c>).</summary>
    public string VirtualHost { get; set; } = "/";

    /// <summary>User name (default <c>guest</c>).</summary>
    public string Username { get; set; } = "guest";

    /// <summary>Password (default <c>guest</c>). Never logged.</summary>
    public string Password { get; set; } = "guest";

    /// <summary>Use TLS (implied by an <c>amqps://</c> <see cref="Uri"/>).</summary>
    public bool UseTls { get; set; }

    /// <summary>
    /// How long a publish may wait for the broker's confirm before it counts as failed (default 2 seconds). A publish
    /// that times out may still reach the broker later; message ids are deterministic, so consumers drop the copy.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.050", "00:01:00", ErrorMessage = "Sync:RabbitMq:PublishTimeout must be between {1} and {2}.")]
    public TimeSpan PublishTimeout { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// After a publish fails, how long handoffs skip the broker and go straight to the outbox before one of them tries
    /// the broker again (default 1 second); each failed try doubles the wait up to <see cref="PublishProbeMaxInterval"/>.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.050", "00:10:00", ErrorMessage = "Sync:RabbitMq:PublishProbeInterval must be between {1} and {2}.")]
    public TimeSpan PublishProbeInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>The longest wait between tries of a broker that keeps failing publishes (default 15 seconds).</summary>
    [Range(typeof(TimeSpan), "00:00:00.050", "00:10:00", ErrorMessage = "Sync:RabbitMq:PublishProbeMaxInterval must be between {1} and {2}.")]
    public TimeSpan PublishProbeMaxInterval { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>AMQP heartbeat: how fast a silently dead connection is noticed (default 10 seconds).</summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:10:00", ErrorMessage = "Sync:RabbitMq:Heartbeat must be between {1} and {2}.")]
    public TimeSpan Heartbeat { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How long opening a connection may take (default 5 seconds).</summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:05:00", ErrorMessage = "Sync:RabbitMq:ConnectionTimeout must be between {1} and {2}.")]
    public TimeSpan ConnectionTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>The broker address these options resolve to, <see cref="Uri"/> first.</summary>
    public RabbitMqEndpoint Resolve()
    {
        if (Uri is null)
        {
            return new RabbitMqEndpoint(Host, (ushort)Port, string.IsNullOrEmpty(VirtualHost) ? "/" : VirtualHost, Username, Password, UseTls);
        }

        var tls = Uri.Scheme == "amqps" || UseTls;
        var port = Uri.IsDefaultPort || Uri.Port <= 0 ? (tls ? 5671 : 5672) : Uri.Port;
        var path = Uri.AbsolutePath.Trim('/');
        var vhost = path.Length == 0 ? "/" : System.Uri.UnescapeDataString(path);
        var user = Username;
        var password = Password;
        if (Uri.UserInfo.Length > 0)
        {
            var parts = Uri.UserInfo.Split(':', 2);
            user = System.Uri.UnescapeDataString(parts[0]);
            password = parts.Length > 1 ? System.Uri.UnescapeDataString(parts[1]) : "";
        }

        return new RabbitMqEndpoint(Uri.Host, (ushort)port, vhost, user, password, tls);
    }

    /// <inheritdoc />
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (Uri is not null && (!Uri.IsAbsoluteUri || (Uri.Scheme != "amqp" && Uri.Scheme != "amqps") || Uri.Host.Length == 0))
        {
            yield return new ValidationResult(
                $"{SectionName}:Uri must be an absolute amqp:// or amqps:// URI with a host (e.g. amqp://guest:guest@localhost:5672/).",
                [nameof(Uri)]);
        }

        if (PublishProbeMaxInterval < PublishProbeInterval)
        {
            yield return new ValidationResult(
                $"{SectionName}:PublishProbeMaxInterval must not be shorter than {SectionName}:PublishProbeInterval.",
                [nameof(PublishProbeMaxInterval)]);
        }

        if (Uri is null && string.IsNullOrWhiteSpace(Host))
        {
            yield return new ValidationResult($"{SectionName}:Host is required when {SectionName}:Uri is not set.", [nameof(Host)]);
        }
    }
}

/// <summary>Where the broker is, resolved from <see cref="RabbitMqOptions"/>.</summary>
public sealed record RabbitMqEndpoint(string Host, ushort Port, string VirtualHost, string Username, string Password, bool UseTls)
{
    /// <summary>Keeps the password out of logs.</summary>
    public override string ToString() => $"{(UseTls ? "amqps" : "amqp")}://{Host}:{Port}/{(VirtualHost == "/" ? "" : VirtualHost)}";
}
