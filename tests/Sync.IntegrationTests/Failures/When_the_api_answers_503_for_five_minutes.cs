using Sync.Sandbox;

namespace Sync.IntegrationTests.Failures;

/// <summary>The kill switch: a long outage pauses the work instead of draining the backlog into dead letters.</summary>
[TestFixture]
[Parallelizable(ParallelScope.Self)]
public sealed class When_the_api_answers_503_for_five_minutes : ApiOutageSpecification
{
    protected override string Location => "FailuresOutage503xx";

    protected override SandboxFaultOptions Outage => new() { Error503Percent = 100 };
}
