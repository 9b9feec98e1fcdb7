using System.Diagnostics;
using System.Net.Sockets;
using Npgsql;
using Sync.Testing;

namespace Sync.ChaosTests.Support;

/// <summary>
/// The broker node and database cluster of the chaos suite alone (<c>infra/services.sh up</c> creates them beside the
/// shared ones): the suite stops and starts them, which the other suites, running in parallel, must never see.
/// </summary>
public static class ChaosServices
{
    /// <summary>Stops the test (fails under CI, skips elsewhere) unless both the chaos broker and cluster answer and can be controlled.</summary>
    public static async Task RequireAsync()
    {
        var broker = TestSettings.ChaosRabbitMq;
        if (!await AnswersAsync(broker.Host, broker.Port))
        {
            ServiceGate.Unavailable($"the chaos RabbitMQ node {TestSettings.ChaosRabbitMqNode} ({broker.Host}:{broker.Port})", "nothing listens there");
        }

        var (code, output) = await RunAsync("rabbitmqctl", "-n", TestSettings.ChaosRabbitMqNode, "-q", "status");
        if (code != 0)
        {
            ServiceGate.Unavailable($"rabbitmqctl for the chaos node {TestSettings.ChaosRabbitMqNode}", output.Trim());
        }

        var database = new NpgsqlConnectionStringBuilder(TestSettings.ChaosPostgres);
        if (!await AnswersAsync(database.Host!, database.Port))
        {
            ServiceGate.Unavailable($"the chaos PostgreSQL cluster {TestSettings.ChaosPostgresCluster} ({database.Host}:{database.Port})", "nothing listens there");
        }
    }

    /// <summary>A fresh virtual host on the chaos node for one run (guest may use it).</summary>
    public static async Task<string> CreateVirtualHostAsync()
    {
        var name = $"sync-chaos-{Guid.NewGuid():N}";
        await RabbitCtlAsync("add_vhost", name);
        await RabbitCtlAsync("set_permissions", "-p", name, "guest", ".*", ".*", ".*");
        return name;
    }

    /// <summary>The queues of a virtual host and the messages ready in each.</summary>
    public static async Task<IReadOnlyDictionary<string, long>> QueuesAsync(string vhost)
    {
        var (code, output) = await RunAsync("rabbitmqctl", "-n", TestSettings.ChaosRabbitMqNode, "-q", "list_queues", "-p", vhost, "--no-table-headers", "name", "messages");
        if (code != 0)
        {
            throw new InvalidOperationException($"rabbitmqctl list_queues failed ({code}): {output}");
        }

        return output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(line => line.Split('\t', ' '))
            .Where(parts => parts.Length >= 2 && long.TryParse(parts[^1], out _))
            .ToDictionary(parts => parts[0], parts => long.Parse(parts[^1], System.Globalization.CultureInfo.InvariantCulture), StringComparer.Ordinal);
    }

    /// <summary>Deletes a run's virtual host.</summary>
    public static Task DeleteVirtualHostAsync(string name) => RabbitCtlAsync("delete_vhost", name);

    /// <summary>Stops the broker application (<c>rabbitmqctl stop_app</c>): every connection is closed.</summary>
    public static Task StopBrokerAsync() => RabbitCtlAsync("stop_app");

    /// <summary>Starts the broker application again and waits until it accepts connections.</summary>
    public static async Task StartBrokerAsync()
    {
        await RabbitCtlAsync("start_app");
        await RabbitCtlAsync("await_startup");
    }

    /// <summary>Makes sure the broker application runs (after a run that died while it was stopped).</summary>
    public static Task EnsureBrokerStartedAsync() => StartBrokerAsync();

    /// <summary>Stops the PostgreSQL cluster at once (<c>pg_ctlcluster ... stop -m immediate</c>: no checkpoint, like a crash).</summary>
    public static Task StopDatabaseAsync() => PgCtlAsync("stop", "-m", "immediate");

    /// <summary>Starts the PostgreSQL cluster and waits until it accepts connections.</summary>
    public static async Task StartDatabaseAsync()
    {
        await PgCtlAsync("start");
        var settings = new NpgsqlConnectionStringBuilder(TestSettings.ChaosPostgres) { Pooling = false, Timeout = 2 };
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (true)
        {
            try
            {
                await using var connection = new NpgsqlConnection(settings.ConnectionString);
                await connection.OpenAsync();
                return;
            }
            catch (NpgsqlException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(250);
            }
        }
    }

    /// <summary>Makes sure the cluster runs (after a run that died while it was stopped).</summary>
    public static async Task EnsureDatabaseStartedAsync()
    {
        var (version, cluster) = Cluster();
        var (code, _) = await RunAsync("pg_ctlcluster", version, cluster, "status");
        if (code != 0)
        {
            await StartDatabaseAsync();
        }
    }

    private static (string Version, string Name) Cluster()
    {
        var parts = TestSettings.ChaosPostgresCluster.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return (parts[0], parts[1]);
    }

    private static async Task PgCtlAsync(params string[] args)
    {
        var (version, cluster) = Cluster();
        var (code, output) = await RunAsync("pg_ctlcluster", [version, cluster, .. args]);
        if (code != 0)
        {
            throw new InvalidOperationException($"pg_ctlcluster {version} {cluster} {string.Join(' ', args)} failed ({code}): {output}");
        }
    }

    private static async Task RabbitCtlAsync(params string[] args)
    {
        var (code, output) = await RunAsync("rabbitmqctl", ["-n", TestSettings.ChaosRabbitMqNode, "-q", .. args]);
        if (code != 0)
        {
            throw new InvalidOperationException($"rabbitmqctl {string.Join(' ', args)} failed ({code}): {output}");
        }
    }

    private static async Task<(int Code, string Output)> RunAsync(string file, params string[] args)
    {
        var start = new ProcessStartInfo(file, args) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        try
        {
            using var process = Process.Start(start)!;
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            await process.WaitForExitAsync();
            return (process.ExitCode, await stdout + await stderr);
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            return (-1, $"{file}: {ex.Message}");
        }
    }

    private static async Task<bool> AnswersAsync(string host, int port)
    {
        try
        {
            using var client = new TcpClient();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(3));
            await client.ConnectAsync(host, port, timeout.Token);
            return true;
        }
        catch (Exception ex) when (ex is SocketException or OperationCanceledException)
        {
            return false;
        }
    }
}
