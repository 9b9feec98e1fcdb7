using System.Globalization;

namespace Sync.Benchmarks;

/// <summary>
/// CPU seconds used by each group of processes over a stretch of a run (from /proc/&lt;pid&gt;/stat: user + system
/// time), so a figure can say which process its time went to: the worker, PostgreSQL, RabbitMQ, or this harness (which
/// hosts the sandbox). Empty where /proc is absent.
/// </summary>
internal sealed class CpuMeter
{
    private static readonly double TicksPerSecond = 100; // USER_HZ on Linux
    private readonly Func<IReadOnlyDictionary<string, double>> _sample;
    private readonly IReadOnlyDictionary<string, double> _start;

    private CpuMeter(Func<IReadOnlyDictionary<string, double>> sample)
    {
        _sample = sample;
        _start = sample();
    }

    /// <summary>The group of the whole machine's busy CPU time (every process and the kernel), beside the processes'.</summary>
    public const string Machine = "machine";

    /// <summary>Starts measuring the worker processes <paramref name="workerPids"/> and the services.</summary>
    public static CpuMeter Start(Func<IEnumerable<int>> workerPids) => new(() => Sample(workerPids()));

    /// <summary>CPU seconds per group since the start.</summary>
    public IReadOnlyDictionary<string, double> Stop()
    {
        var end = _sample();
        return end.ToDictionary(e => e.Key, e => Math.Max(0, e.Value - _start.GetValueOrDefault(e.Key)), StringComparer.Ordinal);
    }

    private static Dictionary<string, double> Sample(IEnumerable<int> workerPids)
    {
        var totals = new Dictionary<string, double>(StringComparer.Ordinal) { ["worker"] = 0, ["postgres"] = 0, ["rabbitmq"] = 0, ["harness+sandbox"] = 0 };
        if (!Directory.Exists("/proc"))
        {
            return totals;
        }

        // The whole machine, every process and the kernel: user, nice, system, irq, softirq and steal time of all cores.
        var cpuLine = File.ReadLines("/proc/stat").First().Split(' ', StringSplitOptions.RemoveEmptyEntries);
        totals[Machine] = new[] { 1, 2, 3, 6, 7, 8 }.Sum(i => double.Parse(cpuLine[i], CultureInfo.InvariantCulture)) / TicksPerSecond;

        var workers = workerPids.ToHashSet();
        var self = Environment.ProcessId;
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
            {
                continue;
            }

            try
            {
                var stat = File.ReadAllText(Path.Combine(dir, "stat"));
                var close = stat.LastIndexOf(')');
                var name = stat[(stat.IndexOf('(') + 1)..close];
                var fields = stat[(close + 2)..].Split(' ');
                var seconds = (double.Parse(fields[11], CultureInfo.InvariantCulture) + double.Parse(fields[12], CultureInfo.InvariantCulture)) / TicksPerSecond;
                var group = workers.Contains(pid) ? "worker"
                    : pid == self ? "harness+sandbox"
                    : name.StartsWith("postgres", StringComparison.Ordinal) ? "postgres"
                    : name.StartsWith("beam", StringComparison.Ordinal) || name is "erl_child_setup" or "epmd" ? "rabbitmq"
                    : null;
                if (group is not null)
                {
                    totals[group] += seconds;
                }
            }
            catch (IOException)
            {
                // the process ended while it was read
            }
            catch (UnauthorizedAccessException)
            {
            }
        }

        return totals;
    }
}
