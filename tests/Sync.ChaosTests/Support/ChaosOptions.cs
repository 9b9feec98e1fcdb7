using System.Globalization;

namespace Sync.ChaosTests.Support;

/// <summary>The faults a chaos run can inject.</summary>
public enum FaultKind
{
    /// <summary><c>kill -9</c> of a worker while a tag batch is being applied, then a restart.</summary>
    WorkerKill,

    /// <summary><c>kill -9</c> of the ingress while requests are in flight, then a restart on the same port.</summary>
    IngressKill,

    /// <summary><c>rabbitmqctl stop_app</c>, a pause, <c>start_app</c>.</summary>
    BrokerRestart,

    /// <summary>The PostgreSQL cluster stopped for <see cref="ChaosOptions.DatabaseOutage"/>, then started.</summary>
    DatabaseOutage,

    /// <summary>The API answers 500/502/503/504 to half its calls for a few seconds.</summary>
    ApiErrors,

    /// <summary>The API answers every call 429 for a few seconds.</summary>
    RateLimitStorm,

    /// <summary>The API answers every call 0.5–1.5 s late for a few seconds.</summary>
    LatencySpike,

    /// <summary>A location's token revoked at the API; a new one issued and stored a few seconds later.</summary>
    TokenRevoked,
}

/// <summary>
/// What a chaos run does, from the environment so a run can be repeated or lengthened: <c>SYNC_CHAOS_SEED</c> (default
/// 1), <c>SYNC_CHAOS_DURATION</c> (seconds of load, default 100), <c>SYNC_CHAOS_FAULTS</c> (<c>all</c>, the default, or a
/// comma-separated list of <see cref="FaultKind"/> names), <c>SYNC_CHAOS_RATE</c> (source events per second, default 10),
/// <c>SYNC_CHAOS_DB_OUTAGE</c> (seconds, default 20). Every fault runs once per round; a longer run has more rounds,
/// in an order drawn from the seed.
/// </summary>
public sealed record ChaosOptions(int Seed, TimeSpan Duration, IReadOnlyList<FaultKind> Faults, double Rate, TimeSpan DatabaseOutage)
{
    /// <summary>The options of this run.</summary>
    public static ChaosOptions FromEnvironment()
    {
        var seed = int.Parse(Read("SYNC_CHAOS_SEED", "1"), CultureInfo.InvariantCulture);
        var duration = TimeSpan.FromSeconds(double.Parse(Read("SYNC_CHAOS_DURATION", "100"), CultureInfo.InvariantCulture));
        var rate = double.Parse(Read("SYNC_CHAOS_RATE", "10"), CultureInfo.InvariantCulture);
        var outage = TimeSpan.FromSeconds(double.Parse(Read("SYNC_CHAOS_DB_OUTAGE", "20"), CultureInfo.InvariantCulture));
        var faults = Read("SYNC_CHAOS_FAULTS", "all");
        IReadOnlyList<FaultKind> kinds = faults.Equals("all", StringComparison.OrdinalIgnoreCase)
            ? Enum.GetValues<FaultKind>()
            : [.. faults.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                .Where(f => !f.Equals("none", StringComparison.OrdinalIgnoreCase))
                .Select(f => Enum.Parse<FaultKind>(f, ignoreCase: true))];
        return new ChaosOptions(seed, duration, kinds, rate, outage);
    }

    /// <summary>The line that lets a run be repeated.</summary>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"SYNC_CHAOS_SEED={Seed} SYNC_CHAOS_DURATION={Duration.TotalSeconds:0} SYNC_CHAOS_RATE={Rate:0.##} " +
        $"SYNC_CHAOS_DB_OUTAGE={DatabaseOutage.TotalSeconds:0} SYNC_CHAOS_FAULTS={(Faults.Count == Enum.GetValues<FaultKind>().Length ? "all" : Faults.Count == 0 ? "none" : string.Join(",", Faults))}");

    private static string Read(string name, string fallback) =>
        Environment.GetEnvironmentVariable(name) is { Length: > 0 } value ? value : fallback;
}
