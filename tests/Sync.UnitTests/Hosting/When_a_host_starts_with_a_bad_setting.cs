using Sync.Hosting;

namespace Sync.UnitTests.Hosting;

/// <summary>
/// A bad setting stops a host with exit code 1 and one line on stderr that names the key: not an unhandled exception,
/// a stack dump and exit code 134. Each host runs as a real process and fails before it needs the broker or database.
/// </summary>
[Parallelizable(ParallelScope.Children)]
public sealed class When_a_host_starts_with_a_bad_setting
{
    [TestCase("Sync.Worker", "Sync__Worker__WebhookConcurrency", "0", "Sync:Worker:WebhookConcurrency")]
    [TestCase("Sync.Worker", "Sync__Observability__MaxLabelledLocations", "-5", "Sync:Observability:MaxLabelledLocations")]
    [TestCase("Sync.Worker", "Sync__Storage__Provider", "Oracle", "Sync:Storage:Provider")]
    [TestCase("Sync.Worker", "Sync__Observability__Traces", "yes", "Sync:Observability:Traces")]
    [TestCase("Sync.Worker", "Sync__Worker__Http__Urls", "ftp://127.0.0.1:5081", "Sync:Worker:Http:Urls")]
    [TestCase("Sync.Ingress", "Sync__Ingress__MaxBodyBytes", "0", "Sync:Ingress:MaxBodyBytes")]
    [TestCase("Sync.Ingress", "Sync__Observability__MaxLabelledLocations", "-5", "Sync:Observability:MaxLabelledLocations")]
    [TestCase("Sync.Ingress", "Sync__Storage__Provider", "Oracle", "Sync:Storage:Provider")]
    [TestCase("Sync.Ingress", "Sync__Observability__Traces", "yes", "Sync:Observability:Traces")]
    [TestCase("Sync.AdminApi", "Sync__Observability__MaxLabelledLocations", "-5", "Sync:Observability:MaxLabelledLocations")]
    [TestCase("Sync.AdminApi", "Sync__Storage__Provider", "Oracle", "Sync:Storage:Provider")]
    [TestCase("Sync.Sandbox", "Sync__Sandbox__AccessTokenLifetimeSeconds", "0", "Sync:Sandbox:AccessTokenLifetimeSeconds")]
    [TestCase("Sync.Sandbox", "Sync__Sandbox__DuplicatePriority", "Oracle", "Sync:Sandbox:DuplicatePriority")]
    public async Task Should_exit_1_with_one_line_naming_the_key(string host, string variable, string value, string key)
    {
        var outcome = await HostProcess.RunAsync(host, new Dictionary<string, string> { [variable] = value });

        Assert.Multiple(() =>
        {
            Assert.That(outcome.ExitCode, Is.EqualTo(SyncHost.InvalidConfigurationExitCode), outcome.StandardError);
            Assert.That(outcome.ErrorLines, Has.Count.EqualTo(1), outcome.StandardError);
            Assert.That(outcome.ErrorLines.FirstOrDefault(), Does.Contain(key).And.Contain("invalid configuration"), outcome.StandardError);
        });
    }
}
