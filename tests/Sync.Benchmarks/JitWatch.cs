using System.Diagnostics;

namespace Sync.Benchmarks;

/// <summary>
/// Whether one or more processes have finished compiling their hot paths: fed their runtime's
/// <c>dotnet_jit_compilation_time_seconds_total</c> now and then, it says idle once every process has compiled for
/// under 50 ms a second of the time between two reads, twice in a row. A fresh .NET process under load compiles for
/// seconds (its tiered JIT promoting the hot methods), and a figure timed meanwhile measures the compiler.
/// </summary>
internal sealed class JitWatch
{
    private const double IdleShare = 0.05;
    private readonly Stopwatch _sinceLast = new();
    private double[]? _last;
    private int _quietReads;

    /// <summary>Every process's JIT has been idle for the last two intervals between reads.</summary>
    public bool Idle => _quietReads >= 2;

    /// <summary>Takes a new read (seconds compiled so far, per process).</summary>
    public void Observe(IReadOnlyList<double> compiledSeconds)
    {
        var elapsed = _sinceLast.Elapsed.TotalSeconds;
        if (_last is { } last && elapsed > 0)
        {
            _quietReads = compiledSeconds.Zip(last, (now, before) => (now - before) / elapsed).All(share => share < IdleShare) ? _quietReads + 1 : 0;
        }

        _last = [.. compiledSeconds];
        _sinceLast.Restart();
    }

    /// <summary>The seconds a process has spent compiling, from its /metrics text.</summary>
    public static double CompiledSeconds(string metrics) => PrometheusText.Sum(metrics, "dotnet_jit_compilation_time_seconds_total");
}
