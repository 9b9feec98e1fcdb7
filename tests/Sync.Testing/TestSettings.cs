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

    /// <summary>
    /// AMQP URI of the RabbitMQ node the chaos suite may stop and start (<c>SYNC_TEST_CHAOS_RABBITMQ</c>), apart from the
    /// one every other suite shares: <c>infra/services.sh up</c> runs it as <see cref="ChaosRabbitMqNode"/> on port 5673.
    /// </summary>
    public static Uri ChaosRabbitMq => new(Read("SYNC_TEST_CHAOS_RABBITMQ", "amqp://guest:guest@localhost:5673/"));

    /// <summary>The Erlang node name of the chaos broker, for <c>rabbitmqctl -n</c> (<c>SYNC_TEST_CHAOS_RABBITMQ_NODE</c>).</summary>
    public static string ChaosRabbitMqNode => Read("SYNC_TEST_CHAOS_RABBITMQ_NODE", "sync-chaos@localhost");

    /// <summary>
    /// PostgreSQL connection string of the cluster the chaos suite may stop and start (<c>SYNC_TEST_CHAOS_POSTGRES</c>):
    /// <c>infra/services.sh up</c> creates it as cluster <see cref="ChaosPostgresCluster"/> on port 5433.
    /// </summary>
    public static string ChaosPostgres =>
        Read("SYNC_TEST_CHAOS_POSTGRES", "Host=127.0.0.1;Port=5433;Username=sync;Password=sync;Database=sync");

    /// <summary>The chaos cluster as <c>pg_ctlcluster</c> names it, version and name (<c>SYNC_TEST_CHAOS_POSTGRES_CLUSTER</c>).</summary>
    public static string ChaosPostgresCluster => Read("SYNC_TEST_CHAOS_POSTGRES_CLUSTER", "15 chaos");

    /// <summary>SQL Server connection string (<c>SYNC_TEST_SQLSERVER</c>), or null where none is configured.</summary>
    public static string? SqlServer => Environment.GetEnvironmentVariable("SYNC_TEST_SQLSERVER") is { Length: > 0 } v ? v : null;

    /// <summary>True when running under CI (<c>CI=true</c>): a missing required service then fails the run.</summary>
    public static bool IsCi =>
        Environment.GetEnvironmentVariable("CI") is { } ci &&
        (ci.Equals("true", StringComparison.OrdinalIgnoreCase) || ci == "1");

    private static string Read(string name, string fallback) =>
        Environment.GetEnvironmentVariable(name) is { Length: > 0 } value ? value : fallback;
}
