using Sync.Sandbox;

namespace Sync.IntegrationTests.Failures;

/// <summary>
/// What every long API outage must end as, whatever the outage looks like: nothing dead-lettered, everything applied
/// once the API is back, the open circuit visible to operators, and only a few probe calls while the API is down.
/// Each subclass says what the outage is.
/// </summary>
public abstract class ApiOutageSpecification
{
    private ApiOutage.Outcome _outcome = null!;

    /// <summary>The location the backlog is for.</summary>
    protected abstract string Location { get; }

    /// <summary>The sandbox's faults while the API is down.</summary>
    protected abstract SandboxFaultOptions Outage { get; }

    /// <summary>Worker settings for this outage, if any.</summary>
    protected virtual IReadOnlyDictionary<string, string?>? Settings => null;

    [OneTimeSetUp]
    public async Task Run() => _outcome = await ApiOutage.RunAsync(Location, Outage, Settings);

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
    public void Should_record_the_circuits_state_for_operators() => Assert.Multiple(() =>
    {
        Assert.That(_outcome.RecordedDuringOutage, Is.EqualTo("Open"));
        Assert.That(_outcome.RecordedAfter, Is.EqualTo("Closed"));
    });

    [Test]
    public void Should_only_probe_the_api_a_few_times_a_minute_while_it_is_down()
    {
        TestContext.Out.WriteLine($"{_outcome.CallsDuringOutage} calls in {_outcome.MinutesObserved:0.0} minutes of outage");
        Assert.That(_outcome.CallsDuringOutage, Is.LessThanOrEqualTo((long)Math.Ceiling(3 * _outcome.MinutesObserved)));
    }
}
