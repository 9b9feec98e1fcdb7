namespace Sync.Sandbox.Limits;

/// <summary>
/// The faults in force: latency, 5xx answers, hanging calls and forced 429s. Changeable while the sandbox runs;
/// each call draws its own fate, so percentages hold over many calls.
/// </summary>
public sealed class FaultInjector
{
    private readonly TimeProvider _time;
    private volatile SandboxFaultOptions _faults;
    private int _force429Remaining;
    private long _force429UntilMs;

    internal FaultInjector(SandboxFaultOptions faults, TimeProvider time)
    {
        _time = time;
        _faults = new SandboxFaultOptions();
        Set(faults);
    }

    /// <summary>A copy of the faults in force; <c>Force429Count</c> and <c>Force429Seconds</c> show what is left of them.</summary>
    public SandboxFaultOptions Current
    {
        get
        {
            var copy = _faults.Clone();
            copy.Force429Count = Math.Max(0, Volatile.Read(ref _force429Remaining));
            var left = Interlocked.Read(ref _force429UntilMs) - _time.GetUtcNow().ToUnixTimeMilliseconds();
            copy.Force429Seconds = left > 0 ? (int)Math.Ceiling(left / 1000.0) : 0;
            return copy;
        }
    }

    /// <summary>Replaces the faults in force; a forced-429 count or duration starts counting now.</summary>
    /// <exception cref="ArgumentException">A setting is out of range.</exception>
    public void Set(SandboxFaultOptions faults)
    {
        ArgumentNullException.ThrowIfNull(faults);
        var errors = SandboxOptionsValidator.Check(faults);
        if (errors.Count > 0)
        {
            throw new ArgumentException(string.Join(" ", errors), nameof(faults));
        }

        _faults = faults.Clone();
        Volatile.Write(ref _force429Remaining, faults.Force429Count);
        Interlocked.Exchange(ref _force429UntilMs,
            faults.Force429Seconds > 0 ? _time.GetUtcNow().ToUnixTimeMilliseconds() + (faults.Force429Seconds * 1000L) : 0);
    }

    /// <summary>Removes every fault.</summary>
    public void Clear() => Set(new SandboxFaultOptions());

    /// <summary>Whether this call must be answered 429 by a forced burst (consumes one of a forced count).</summary>
    internal bool TakeForced429(string? locationId)
    {
        var faults = _faults;
        if (faults.LocationId is not null && faults.LocationId != locationId)
        {
            return false;
        }

        if (Interlocked.Read(ref _force429UntilMs) > _time.GetUtcNow().ToUnixTimeMilliseconds())
        {
            return true;
        }

        if (Volatile.Read(ref _force429Remaining) <= 0)
        {
            return false;
        }

        return Interlocked.Decrement(ref _force429Remaining) >= 0;
    }

    /// <summary>Whether the forced 429s carry no rate-limit headers.</summary>
    internal bool Forced429WithoutHeaders => _faults.Force429WithoutHeaders;

    /// <summary>The status every <c>POST /oauth/token</c> is answered with, or 0.</summary>
    internal int OAuthErrorStatus => _faults.OAuthErrorStatus;

    /// <summary>Draws the fate of one call.</summary>
    internal FaultPlan Plan(string? locationId, bool oauth)
    {
        var faults = _faults;
        if ((oauth && !faults.IncludeOAuth) || (faults.LocationId is not null && faults.LocationId != locationId))
        {
            return default;
        }

        var delay = faults.LatencyMilliseconds;
        if (faults.LatencyJitterMilliseconds > 0)
        {
            delay += Random.Shared.Next(faults.LatencyJitterMilliseconds + 1);
        }

        var hang = faults.HangPercent > 0 && Random.Shared.NextDouble() * 100 < faults.HangPercent;
        var status = 0;
        var errorPercent = faults.Error500Percent + faults.Error502Percent + faults.Error503Percent + faults.Error504Percent;
        if (errorPercent > 0)
        {
            var roll = Random.Shared.NextDouble() * 100;
            if (roll < faults.Error500Percent)
            {
                status = 500;
            }
            else if ((roll -= faults.Error500Percent) < faults.Error502Percent)
            {
                status = 502;
            }
            else if ((roll -= faults.Error502Percent) < faults.Error503Percent)
            {
                status = 503;
            }
            else if (roll - faults.Error503Percent < faults.Error504Percent)
            {
                status = 504;
            }
        }

        var afterEffect = status != 0 && faults.ErrorsAfterEffectPercent > 0 && Random.Shared.NextDouble() * 100 < faults.ErrorsAfterEffectPercent;
        return new FaultPlan(delay, hang, faults.HangSeconds, status, afterEffect);
    }
}

/// <summary>What fault injection does to one call.</summary>
internal readonly record struct FaultPlan(int DelayMilliseconds, bool Hang, int HangSeconds, int ErrorStatus, bool ErrorAfterEffect)
{
    public bool IsNone => DelayMilliseconds == 0 && !Hang && ErrorStatus == 0;
}
