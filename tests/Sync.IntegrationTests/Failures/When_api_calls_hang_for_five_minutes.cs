using Sync.Sandbox;

namespace Sync.IntegrationTests.Failures;

/// <summary>
/// The kill switch when the API does not answer at all: each call holds a consumer until the client's timeout, and
/// the circuit still opens, pauses the work and probes, and nothing is dead-lettered.
/// </summary>
[TestFixture]
[Parallelizable(ParallelScope.Self)]
public sealed class When_api_calls_hang_for_five_minutes : ApiOutageSpecification
{
    protected override string Location => "FailuresOutageHangs";

    protected override SandboxFaultOptions Outage => new() { HangPercent = 100 };

    protected override IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?> { ["Sync:HoopAi:Timeout"] = "00:00:02" };
}
