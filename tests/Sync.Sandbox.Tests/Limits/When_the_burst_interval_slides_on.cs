using System.Net;

namespace Sync.Sandbox.Tests.Limits;

public sealed class When_the_burst_interval_slides_on
{
    private static SandboxOptions Limit(RateLimitWindow window) =>
        new() { RateLimit = { BurstLimit = 4, BurstIntervalMilliseconds = 10_000, Window = window } };

    private static async Task<HttpStatusCode> CallAsync(SandboxApi api)
    {
        using var response = await api.Client.GetAsync($"contacts/?locationId={SandboxApi.LocationA}&limit=1");
        return response.StatusCode;
    }

    [Test]
    public async Task Should_free_one_slot_per_request_that_left_the_sliding_window()
    {
        await using var api = await SandboxApi.StartAsync(Limit(RateLimitWindow.Sliding), fakeTime: true);
        await CallAsync(api);
        await CallAsync(api);
        api.Time!.Advance(TimeSpan.FromSeconds(6));
        await CallAsync(api);
        await CallAsync(api);
        api.Time.Advance(TimeSpan.FromSeconds(5)); // the first two are now older than 10 s

        var statuses = new[] { await CallAsync(api), await CallAsync(api), await CallAsync(api) };

        Assert.That(statuses, Is.EqualTo(new[] { HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.TooManyRequests }));
    }

    [Test]
    public async Task Should_refill_the_whole_budget_when_a_fixed_window_ends()
    {
        await using var api = await SandboxApi.StartAsync(Limit(RateLimitWindow.Fixed), fakeTime: true);
        for (var i = 0; i < 4; i++)
        {
            await CallAsync(api);
        }

        var refused = await CallAsync(api);
        api.Time!.Advance(TimeSpan.FromSeconds(10));

        var statuses = new[] { await CallAsync(api), await CallAsync(api), await CallAsync(api), await CallAsync(api) };

        Assert.That(refused, Is.EqualTo(HttpStatusCode.TooManyRequests));
        Assert.That(statuses, Is.All.EqualTo(HttpStatusCode.OK));
    }
}
