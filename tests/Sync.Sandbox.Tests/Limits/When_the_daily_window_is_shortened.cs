using System.Net;

namespace Sync.Sandbox.Tests.Limits;

public sealed class When_the_daily_window_is_shortened
{
    private static async Task<HttpResponseMessage> CallAsync(SandboxApi api) =>
        await api.Client.GetAsync($"contacts/?locationId={SandboxApi.LocationA}&limit=1");

    [Test]
    public async Task Should_grant_the_daily_budget_again_when_the_window_ends()
    {
        await using var api = await SandboxApi.StartAsync(fakeTime: true);
        using var set = await api.BareClient().PutAsync("_sandbox/limits", SandboxApi.Json(new { enabled = true, dailyLimit = 2, dailyWindowSeconds = 60 }));
        (await CallAsync(api)).Dispose();
        (await CallAsync(api)).Dispose();
        using var refused = await CallAsync(api);

        api.Time!.Advance(TimeSpan.FromSeconds(60));
        using var granted = await CallAsync(api);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(set.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(refused.StatusCode, Is.EqualTo(HttpStatusCode.TooManyRequests));
            Assert.That(granted.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(granted.Headers.GetValues("X-RateLimit-Daily-Remaining").Single(), Is.EqualTo("1"));
        }
    }
}
