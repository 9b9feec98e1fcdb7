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

        // Each fixture keeps its pending installations apart: a file one left behind must never reach another's database.
        PendingDirectory = Path.Combine(Path.GetTempPath(), "sync-ingress-tests", Guid.NewGuid().ToString("N"));
        _values["Sync:Ingress:OAuth:PendingDirectory"] = PendingDirectory;
    }

    public IReadOnlyDictionary<string, string?> Values => _values;

    /// <summary>The fixture's own spool directory for OAuth installations the database would not take.</summary>
    public string PendingDirectory { get; }

    /// <summary>Replaces the token encryption keys with one key, <paramref name="keyId"/>, that is also the active one.</summary>
    public IngressSettings EncryptionKey(string keyId, string base64Key)
    {
        foreach (var key in _values.Keys.Where(k => k.StartsWith("Sync:Storage:EncryptionKeys:", StringComparison.OrdinalIgnoreCase)).ToList())
        {
            _values.Remove(key);
        }

        _values["Sync:Storage:EncryptionKeys:" + keyId] = base64Key;
        _values["Sync:Storage:ActiveKeyId"] = keyId;
        return this;
    }

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
