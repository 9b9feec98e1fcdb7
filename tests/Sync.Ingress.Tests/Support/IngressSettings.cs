using Sync.Testing;

namespace Sync.Ingress.Tests.Support;

/// <summary>Builds the ingress configuration of a test: its own virtual host and database, keys it generated.</summary>
public sealed class IngressSettings
{
    public const string SourceName = "crm";

    /// <summary>The app id the ingress is configured with and test events carry.</summary>
    public const string AppId = "test-app";

    private readonly Dictionary<string, string?> _values = new(StringComparer.OrdinalIgnoreCase)
    {
        ["Sync:Outbox:PollInterval"] = "00:00:00.200",
        ["Sync:Outbox:RetryBaseDelay"] = "00:00:00.200",
        ["Sync:Outbox:RetryMaxDelay"] = "00:00:01",
        ["Sync:Ingress:LocationMissRefreshInterval"] = "00:00:00",
        ["Sync:Storage:Provider"] = "PostgreSql",
        ["Sync:Storage:MigrateOnStart"] = "true",
        ["Sync:Storage:ActiveKeyId"] = "test",
        ["Sync:Storage:EncryptionKeys:test"] = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32)),
    };

    public IngressSettings(RabbitMqTestVirtualHost vhost, PostgresTestDatabase database, string ed25519PublicKey, string sourceSecret)
    {
        Broker(vhost, vhost.Host, vhost.Port);
        Database(database.ConnectionString);
        _values["Sync:Ingress:Platform:Ed25519PublicKey"] = ed25519PublicKey;
        _values["Sync:Ingress:Platform:AppId"] = AppId;
        _values[$"Sync:Ingress:Sources:{SourceName}:Secrets:0"] = sourceSecret;
    }

    public IReadOnlyDictionary<string, string?> Values => _values;

    public IngressSettings Broker(RabbitMqTestVirtualHost vhost, string host, int port)
    {
        _values["Sync:RabbitMq:Host"] = host;
        _values["Sync:RabbitMq:Port"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        _values["Sync:RabbitMq:VirtualHost"] = vhost.Name;
        _values["Sync:RabbitMq:Username"] = vhost.Username;
        _values["Sync:RabbitMq:Password"] = vhost.Password;
        return this;
    }

    public IngressSettings Database(string connectionString)
    {
        _values["Sync:Storage:ConnectionString"] = connectionString;
        return this;
    }

    public IngressSettings Set(string key, string? value)
    {
        _values[key] = value;
        return this;
    }
}
