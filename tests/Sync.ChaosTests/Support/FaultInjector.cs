using System.Diagnostics;

namespace Sync.ChaosTests.Support;

/// <summary>Injects the faults of a run, one after another, while the load runs; logs what it did and when.</summary>
public sealed class ChaosFaults(ChaosSystem system, ChaosOptions options, IReadOnlyList<string> locations, Action<string> say)
{
    private static readonly TimeSpan ApiFaultLength = TimeSpan.FromSeconds(6);
    private readonly Random _random = new(options.Seed);
    private readonly List<string> _done = [];
    private readonly List<Task> _restarts = [];

    /// <summary>Waits until every host restarted by a fault is ready again.</summary>
    public Task RestartedAsync() => Task.WhenAll(_restarts);

    /// <summary>What was injected, in order, with the seconds since the load started.</summary>
    public IReadOnlyList<string> Done => _done;

    /// <summary>
    /// Runs every fault once in an order drawn from the seed, spread over the load; then more rounds while
    /// <paramref name="loadRunning"/> holds and the duration is not over.
    /// </summary>
    public async Task RunAsync(Func<bool> loadRunning, Stopwatch clock)
    {
        if (options.Faults.Count == 0)
        {
            return;
        }

        // A round costs roughly this much; the rest of the duration is spread as quiet gaps between faults.
        var cost = options.Faults.Sum(f => Cost(f).TotalSeconds);
        var rounds = Math.Max(1, (int)(options.Duration.TotalSeconds / (cost * 1.5)));
        var gap = TimeSpan.FromSeconds(Math.Max(2, (options.Duration.TotalSeconds - (rounds * cost)) / ((rounds * options.Faults.Count) + 1)));
        for (var round = 0; round < rounds; round++)
        {
            foreach (var fault in options.Faults.OrderBy(_ => _random.Next()).ToList())
            {
                await Task.Delay(gap);
                if (round > 0 && (!loadRunning() || clock.Elapsed > options.Duration))
                {
                    return;
                }

                var at = clock.Elapsed;
                var what = await InjectAsync(fault);
                var line = $"{at.TotalSeconds,6:0.0}s–{clock.Elapsed.TotalSeconds,6:0.0}s {fault}: {what}";
                _done.Add(line);
                say("fault " + line);
            }
        }
    }

    private TimeSpan Cost(FaultKind fault) => fault switch
    {
        FaultKind.DatabaseOutage => options.DatabaseOutage + TimeSpan.FromSeconds(3),
        FaultKind.BrokerRestart => TimeSpan.FromSeconds(18),
        FaultKind.WorkerKill => TimeSpan.FromSeconds(3),
        FaultKind.IngressKill => TimeSpan.FromSeconds(2),
        _ => ApiFaultLength,
    };

    private async Task<string> InjectAsync(FaultKind fault)
    {
        switch (fault)
        {
            case FaultKind.WorkerKill:
                {
                    // In the middle of a tag batch: as soon as the API sees a bulk tag call, the worker dies.
                    var index = _random.Next(system.Workers.Length);
                    var before = await system.RequestCountAsync("/contacts/bulk/tags");
                    var waited = Stopwatch.StartNew();
                    while (waited.Elapsed < TimeSpan.FromSeconds(20) && await system.RequestCountAsync("/contacts/bulk/tags") == before)
                    {
                        await Task.Delay(20);
                    }

                    var pid = system.Workers[index].Pid;
                    var sawBatch = waited.Elapsed < TimeSpan.FromSeconds(20);
                    _restarts.Add(system.KillAndRestartWorker(index));
                    return $"kill -9 worker {index + 1} (pid {pid}) {(sawBatch ? "as a bulk tag call was made" : "(no bulk tag call seen in 20 s)")}, restarting";
                }

            case FaultKind.IngressKill:
                {
                    var pid = system.Ingress.Pid;
                    _restarts.Add(await system.KillAndRestartIngressAsync(TimeSpan.FromSeconds(1)));
                    return $"kill -9 ingress (pid {pid}) under load, restarting on the same port";
                }

            case FaultKind.BrokerRestart:
                await ChaosServices.StopBrokerAsync();
                await Task.Delay(TimeSpan.FromSeconds(8));
                await ChaosServices.StartBrokerAsync();
                return "rabbitmqctl stop_app, 8 s, start_app";

            case FaultKind.DatabaseOutage:
                await ChaosServices.StopDatabaseAsync();
                await Task.Delay(options.DatabaseOutage);
                await ChaosServices.StartDatabaseAsync();
                return $"PostgreSQL stopped (immediate) for {options.DatabaseOutage.TotalSeconds:0} s, started";

            case FaultKind.ApiErrors:
                await system.SetFaultsAsync(new { error500Percent = 15, error502Percent = 10, error503Percent = 15, error504Percent = 10 });
                await Task.Delay(ApiFaultLength);
                await system.ClearFaultsAsync();
                return $"API answers half its calls 500/502/503/504 for {ApiFaultLength.TotalSeconds:0} s";

            case FaultKind.RateLimitStorm:
                await system.SetFaultsAsync(new { force429Seconds = (int)ApiFaultLength.TotalSeconds });
                await Task.Delay(ApiFaultLength);
                await system.ClearFaultsAsync();
                return $"API answers every call 429 for {ApiFaultLength.TotalSeconds:0} s";

            case FaultKind.LatencySpike:
                await system.SetFaultsAsync(new { latencyMilliseconds = 500, latencyJitterMilliseconds = 1000 });
                await Task.Delay(ApiFaultLength);
                await system.ClearFaultsAsync();
                return $"API answers 0.5–1.5 s late for {ApiFaultLength.TotalSeconds:0} s";

            case FaultKind.TokenRevoked:
                {
                    var location = locations[_random.Next(locations.Count)];
                    await system.RevokeTokenAsync(location);
                    await Task.Delay(TimeSpan.FromSeconds(4));
                    await system.ReissueTokenAsync(location);
                    return $"token of {location} revoked, a new one issued and stored 4 s later";
                }

            default:
                throw new ArgumentOutOfRangeException(nameof(fault), fault, null);
        }
    }
}
