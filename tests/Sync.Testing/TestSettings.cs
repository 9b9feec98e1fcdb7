namespace Sync.Testing;

/// <summary>
/// The one place every test takes its connection settings from. Each has an environment override; the defaults
/// are what <c>infra/services.sh up</c> creates on this machine.
/// </summary>
public static class TestSettings
{
    /// <summary>AMQP URI of the broker (<c>SYNC_TEST_RABBITMQ</c>). Fixtures add their own virtual host.</summary>
    public static Uri RabbitMq => new(Read("SYNC_TEST_RABBITMQ", "amqp://guest:guest@localhost:5672/"));

    /// <summary>Base URI of the RabbitMQ management API (<c>SYNC_TEST_RABBITMQ_MANAGEMENT</c>), with credentials.</summary>
    public static Uri RabbitMqManagement => new(Read("SYNC_TEST_RABBITMQ_MANAGEMENT", "http://guest:guest@localhost:15672/"));

    /// <summary>PostgreSQL connection string (<c>SYNC_TEST_POSTGRES</c>) to a database whose user may create databases.</summary>
    public static string Postgres =>
        Read("SYNC_TEST_POSTGRES", "Host=127.0.0.1;Port=5432;Username=sync;Password=sync;Database=sync");

    /// <summary>SQL Server connection string (<c>SYNC_TEST_SQLSERVER</c>), or null where none is configured.</summary>
    public static string? SqlServer => Environment.GetEnvironmentVariable("SYNC_TEST_SQLSERVER") is { Length: > 0 } v ? v : null;

    /// <summary>True when running under CI (<c>CI=true</c>): a missing required service then fails the run.</summary>
    public static bool IsCi =>
        Environment.GetEnvironmentVariable("CI") is { } ci &&
        (ci.Equals("true", StringComparison.OrdinalIgnoreCase) || ci == "1");

    private static string Read(string name, string fallback) =>
        Environment.GetEnvironmentVariable(name) is { Length: > 0 } value ? value : fallback;
}
