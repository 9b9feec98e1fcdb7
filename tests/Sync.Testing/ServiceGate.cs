namespace Sync.Testing;

/// <summary>
/// What a test does when a service it needs cannot be reached: under CI the run fails loudly; elsewhere the test
/// is skipped with the reason printed, so a developer without the service still sees why.
/// </summary>
public static class ServiceGate
{
    /// <summary>Stops the current test because <paramref name="service"/> is unreachable.</summary>
    public static void Unavailable(string service, string reason)
    {
        var message = $"{service} is unreachable: {reason}. Start it with `bash infra/services.sh up`, " +
                      "or point the SYNC_TEST_* variables at a running one.";
        if (TestSettings.IsCi)
        {
            Assert.Fail($"CI requires {message}");
        }

        TestContext.Progress.WriteLine($"SKIPPED: {message}");
        Assert.Ignore(message);
    }

    /// <summary>Skips (in CI too) a suite for an optional provider that is not configured at all, saying so.</summary>
    public static void NotConfigured(string service, string variable)
    {
        var message = $"{service} suite skipped: {variable} is not set and no {service} is available on this machine.";
        TestContext.Progress.WriteLine($"SKIPPED: {message}");
        Assert.Ignore(message);
    }
}
