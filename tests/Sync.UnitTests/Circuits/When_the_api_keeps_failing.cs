using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Sync.Core;
using Sync.HoopAi.Circuits;

namespace Sync.UnitTests.Circuits;

public sealed class When_the_api_keeps_failing
{
    private const string A = "LocationA";
    private const string B = "LocationB";
    private FakeTimeProvider _time = null!;
    private List<CircuitChange> _changes = null!;

    private ApiCircuitBreaker Breaker(Action<ApiCircuitOptions>? configure = null)
    {
        var options = new ApiCircuitOptions();
        configure?.Invoke(options);
        _time = new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        _changes = [];
        var breaker = new ApiCircuitBreaker(Options.Create(options), _time, NullLogger<ApiCircuitBreaker>.Instance);
        breaker.Changed += _changes.Add;
        return breaker;
    }

    [Test]
    public void Should_open_the_api_circuit_after_a_run_of_failures_and_refuse_calls_without_an_attempt()
    {
        var breaker = Breaker();
        var opened = Enumerable.Range(0, 10).Select(_ => breaker.RecordFailure(A, "503")).ToList();

        var refused = Assert.Throws<SyncFailureException>(() => breaker.EnsureCallable(B));
        Assert.Multiple(() =>
        {
            Assert.That(opened.Count(o => o), Is.EqualTo(1), "the tenth failure opened it");
            Assert.That(opened[^1], Is.True);
            Assert.That(breaker.HostState, Is.EqualTo(CircuitState.Open));
            Assert.That(refused!.Kind, Is.EqualTo(FailureKind.CircuitOpen));
            Assert.That(refused.RetryAfter, Is.EqualTo(TimeSpan.FromSeconds(5)));
            Assert.That(_changes.Count(c => c.State == CircuitState.Open), Is.EqualTo(1));
        });
    }

    [Test]
    public void Should_stay_closed_while_answers_break_the_run()
    {
        var breaker = Breaker(o => o.MinimumCalls = 1000);
        for (var i = 0; i < 5; i++)
        {
            for (var j = 0; j < 9; j++)
            {
                breaker.RecordFailure(A, "503");
            }

            breaker.RecordSuccess(A);
        }

        Assert.That(breaker.HostState, Is.EqualTo(CircuitState.Closed));
        Assert.DoesNotThrow(() => breaker.EnsureCallable(A));
    }

    [Test]
    public void Should_open_on_the_ratio_of_failures_in_the_window()
    {
        var breaker = Breaker(o => o.ConsecutiveFailures = 1000);
        for (var i = 0; i < 10; i++)
        {
            breaker.RecordSuccess(A);
            breaker.RecordFailure(A, "503");
        }

        Assert.That(breaker.HostState, Is.EqualTo(CircuitState.Open));
    }

    [Test]
    public void Should_forget_failures_older_than_the_window()
    {
        var breaker = Breaker(o => o.ConsecutiveFailures = 1000);
        for (var i = 0; i < 10; i++)
        {
            breaker.RecordSuccess(A);
            breaker.RecordFailure(A, "503");
            _time.Advance(TimeSpan.FromSeconds(5));
        }

        Assert.That(breaker.HostState, Is.EqualTo(CircuitState.Closed));
    }

    [Test]
    public void Should_probe_on_a_doubling_interval_up_to_the_cap()
    {
        var breaker = Breaker();
        for (var i = 0; i < 10; i++)
        {
            breaker.RecordFailure(A, "503");
        }

        var waits = new List<TimeSpan>();
        for (var probe = 0; probe < 6; probe++)
        {
            Assert.That(breaker.TryBeginProbe(out _, out var untilDue), Is.False);
            waits.Add(untilDue);
            _time.Advance(untilDue);
            Assert.That(breaker.TryBeginProbe(out var location, out _), Is.True);
            Assert.That(location, Is.EqualTo(A));
            breaker.RecordProbeFailure("still 503");
        }

        Assert.That(waits.Select(w => w.TotalSeconds), Is.EqualTo(new double[] { 5, 10, 20, 40, 60, 60 }));
    }

    [Test]
    public void Should_close_and_resume_on_the_first_answer()
    {
        var breaker = Breaker();
        for (var i = 0; i < 10; i++)
        {
            breaker.RecordFailure(A, "503");
        }

        breaker.RecordSuccess(A);

        Assert.Multiple(() =>
        {
            Assert.That(breaker.HostState, Is.EqualTo(CircuitState.Closed));
            Assert.DoesNotThrow(() => breaker.EnsureCallable(A));
            Assert.That(_changes.Select(c => c.State), Is.EqualTo(new[] { CircuitState.Open, CircuitState.Closed }));
        });
    }

    [Test]
    public void Should_open_only_the_location_whose_calls_fail_while_the_api_answers_others()
    {
        var breaker = Breaker(o => o.ConsecutiveFailures = 1000);
        breaker.RecordSuccess(B);
        var opened = false;
        for (var i = 0; i < 5; i++)
        {
            opened = breaker.RecordFailure(A, "503");
        }

        Assert.Multiple(() =>
        {
            Assert.That(opened, Is.True);
            Assert.That(breaker.HostState, Is.EqualTo(CircuitState.Closed));
            Assert.That(Assert.Throws<SyncFailureException>(() => breaker.EnsureCallable(A))!.Kind, Is.EqualTo(FailureKind.CircuitOpen));
            Assert.DoesNotThrow(() => breaker.EnsureCallable(B));
        });
    }

    [Test]
    public void Should_leave_a_failure_every_location_shares_to_the_api_circuit()
    {
        var breaker = Breaker(o => o.ConsecutiveFailures = 1000);
        for (var i = 0; i < 8; i++)
        {
            breaker.RecordFailure(A, "503");
        }

        Assert.Multiple(() =>
        {
            Assert.That(_changes, Is.Empty, "no other location answered: not the location's own failure");
            Assert.DoesNotThrow(() => breaker.EnsureCallable(A));
        });
    }

    [Test]
    public void Should_let_one_trial_call_through_once_a_locations_wait_is_over()
    {
        var breaker = Breaker(o => o.ConsecutiveFailures = 1000);
        breaker.RecordSuccess(B);
        for (var i = 0; i < 5; i++)
        {
            breaker.RecordFailure(A, "503");
        }

        _time.Advance(TimeSpan.FromSeconds(5));
        Assert.DoesNotThrow(() => breaker.EnsureCallable(A), "the trial");
        Assert.Throws<SyncFailureException>(() => breaker.EnsureCallable(A), "a second call while the trial is in flight");

        breaker.RecordFailure(A, "503");
        Assert.That(Assert.Throws<SyncFailureException>(() => breaker.EnsureCallable(A))!.RetryAfter, Is.EqualTo(TimeSpan.FromSeconds(10)),
            "a failed trial waits twice as long");

        _time.Advance(TimeSpan.FromSeconds(10));
        breaker.EnsureCallable(A);
        breaker.RecordSuccess(A);
        Assert.DoesNotThrow(() => breaker.EnsureCallable(A));
    }
}
