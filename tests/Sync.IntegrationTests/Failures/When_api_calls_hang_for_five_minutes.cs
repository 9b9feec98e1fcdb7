using Sync.Sandbox;

namespace Sync.IntegrationTests.Failures;

/// <summary>
/// The kill switch when the API does not answer at all: each call holds a consumer until the client's timeout, and
/// the circuit still opens, pauses the work and probes, and nothing is dead-lettered.
/// </summary>
[TestFixture]
[Parallelizable(ParallelScope.Self)]
public sealed class When_api_calls_hang_for_five_minutes
{
    private ApiOutage.Outcome _outcome = null!;

    [OneTimeSetUp]
    public async Task Run() =>
        _outcome = await ApiOutage.RunAsync("FailuresOutageHangs", new SandboxFaultOptions { HangPercent = 100 },
            new Dictionary<string, string?> { ["Sync:HoopAi:Timeout"] = "00:00:02" });

    [Test]
    public void Should_dead_letter_nothing() => Assert.Multiple(() =>
    {
        Assert.That(_outcome.WebhookDeadLetters, Is.Zero);
        Assert.That(_outcome.TagDeadLetters, Is.Zero);
        Assert.That(_outcome.Poison, Is.Zero);
    });

    [Test]
    public void Should_apply_every_event_after_the_api_recovers() =>
        Assert.That(_outcome.AllApplied, Is.True, $"{_outcome.Contacts} of {ApiOutage.Events} contacts as expected");

    [Test]
    public void Should_show_the_open_circuit_in_the_workers_health() => Assert.Multiple(() =>
    {
        Assert.That(_outcome.HealthDuringOutage, Is.EqualTo(Microsoft.Extensions.Diagnostics.HealthChecks.HealthStatus.Degraded));
        Assert.That(_outcome.HealthAfter, Is.EqualTo(Microsoft.Extensions.Diagnostics.HealthChecks.HealthStatus.Healthy));
    });

    [Test]
    public void Should_only_probe_the_api_a_few_times_a_minute_while_it_is_down()
    {
        TestContext.Out.WriteLine($"{_outcome.CallsDuringOutage} calls in {_outcome.MinutesObserved:0.0} minutes of outage");
        Assert.That(_outcome.CallsDuringOutage, Is.LessThanOrEqualTo((long)Math.Ceiling(3 * _outcome.MinutesObserved)));
    }
}
