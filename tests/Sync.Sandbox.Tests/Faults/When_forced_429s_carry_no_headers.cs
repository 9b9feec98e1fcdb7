using System.Net;

namespace Sync.Sandbox.Tests.Faults;

public sealed class When_forced_429s_carry_no_headers
{
    [Test]
    public async Task Should_answer_429_without_any_rate_limit_header()
    {
        await using var api = await SandboxApi.StartAsync(new SandboxOptions { RateLimit = { SendResetHeaders = true } });
        using var set = await api.BareClient().PutAsync("_sandbox/faults", SandboxApi.Json(new { force429Count = 1, force429WithoutHeaders = true }));

        using var refused = await api.Client.GetAsync($"contacts/?locationId={SandboxApi.LocationA}&limit=1");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(set.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(refused.StatusCode, Is.EqualTo(HttpStatusCode.TooManyRequests));
            Assert.That(refused.Headers.Select(h => h.Key).Where(k => k.StartsWith("X-RateLimit", StringComparison.OrdinalIgnoreCase) || k == "Retry-After"),
                Is.Empty);
        }
    }
}
