using System.Security.Cryptography;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Sync.Messaging;
using Sync.Storage;
using Sync.Testing;

namespace Sync.Ingress.Tests.Messaging;

/// <summary>A generic host with real storage (its own PostgreSQL database) and messaging (its own virtual host).</summary>
internal static class OutboxHost
{
    public static async Task<IHost> StartAsync(
        RabbitMqTestVirtualHost vhost, PostgresTestDatabase database, bool relay, int? brokerPort = null, IDictionary<string, string?>? extra = null)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Sync:RabbitMq:Host"] = brokerPort is null ? vhost.Host : "127.0.0.1",
            ["Sync:RabbitMq:Port"] = (brokerPort ?? vhost.Port).ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Sync:RabbitMq:VirtualHost"] = vhost.Name,
            ["Sync:RabbitMq:Username"] = vhost.Username,
            ["Sync:RabbitMq:Password"] = vhost.Password,
            ["Sync:Storage:Provider"] = "PostgreSql",
            ["Sync:Storage:ConnectionString"] = database.ConnectionString,
            ["Sync:Storage:ActiveKeyId"] = "test",
            ["Sync:Storage:EncryptionKeys:test"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)),
            ["Sync:Outbox:RelayEnabled"] = relay ? "true" : "false",
            ["Sync:Outbox:PollInterval"] = "00:00:00.100",
            ["Sync:Outbox:RetryBaseDelay"] = "00:00:00.100",
            ["Sync:Outbox:RetryMaxDelay"] = "00:00:00.500",
        });
        if (extra is not null)
        {
            builder.Configuration.AddInMemoryCollection(extra);
        }

        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Services.AddSyncStorage(builder.Configuration);
        builder.Services.AddSyncMessaging(builder.Configuration);
        builder.Services.AddSyncOutboxRelay();
        var host = builder.Build();
        await host.StartAsync();
        return host;
    }

    public static async Task StopAsync(IHost? host)
    {
        if (host is not null)
        {
            await host.StopAsync();
            host.Dispose();
        }
    }
}
