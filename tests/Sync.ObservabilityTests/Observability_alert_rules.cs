using System.Diagnostics;
using System.Text.RegularExpressions;
using Sync.ObservabilityTests.Support;

namespace Sync.ObservabilityTests;

/// <summary>
/// infra/prometheus/alerts.yml against its unit tests (alerts.test.yml) with promtool, Debian's <c>prometheus</c>
/// package's tool. In CI a missing promtool fails; elsewhere the test is skipped and says why.
/// </summary>
[TestFixture]
public sealed partial class Observability_alert_rules
{
    private static readonly string RulesFolder = RepositoryFiles.PathOf("infra/prometheus");

    [Test]
    public async Task Should_pass_their_promtool_unit_tests()
    {
        var (exitCode, output) = await PromtoolAsync("test", "rules", "alerts.test.yml");

        Assert.That(exitCode, Is.Zero, output);
    }

    [Test]
    public async Task Should_be_valid_rules()
    {
        var (exitCode, output) = await PromtoolAsync("check", "rules", "alerts.yml");

        Assert.That(exitCode, Is.Zero, output);
    }

    [Test]
    public void Should_each_have_a_unit_test_that_fires_it()
    {
        var alerts = AlertName().Matches(File.ReadAllText(Path.Combine(RulesFolder, "alerts.yml"))).Select(m => m.Groups[1].Value).ToList();
        var tests = File.ReadAllText(Path.Combine(RulesFolder, "alerts.test.yml"));

        // A test that expects the alert to fire names it and lists its labels under exp_alerts.
        var fired = FiringTest().Matches(tests).Select(m => m.Groups[1].Value).ToHashSet(StringComparer.Ordinal);

        Assert.Multiple(() =>
        {
            Assert.That(alerts, Has.Count.GreaterThanOrEqualTo(8));
            Assert.That(alerts.Where(a => !fired.Contains(a)), Is.Empty, "alerts no test sees fire");
        });
    }

    private static async Task<(int ExitCode, string Output)> PromtoolAsync(params string[] arguments)
    {
        var promtool = FindPromtool();
        if (promtool is null)
        {
            const string reason = "promtool is not installed (Debian: apt-get install --no-install-recommends prometheus; infra/services.sh up does it).";
            if (string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase))
            {
                Assert.Fail(reason);
            }

            TestContext.Out.WriteLine("Skipped: " + reason);
            Assert.Ignore(reason);
        }

        var start = new ProcessStartInfo(promtool!) { WorkingDirectory = RulesFolder, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, await stdout + await stderr);
    }

    private static string? FindPromtool() =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(folder => Path.Combine(folder, "promtool"))
            .FirstOrDefault(File.Exists);

    [GeneratedRegex(@"^\s*- alert:\s*(\S+)", RegexOptions.Multiline)]
    private static partial Regex AlertName();

    [GeneratedRegex(@"alertname:\s*(\S+)\s*\n\s*exp_alerts:\s*\n\s*- exp_labels:", RegexOptions.Multiline)]
    private static partial Regex FiringTest();
}
