using System.Net;

namespace Sync.Sandbox.Tests.Limits;

public sealed class When_rate_limit_settings_change
{
    private static async Task<HttpResponseMessage> CallAsync(SandboxApi api) =>
        await api.Client.GetAsync($"contacts/?locationId={SandboxApi.LocationA}&limit=1");

    [Test]
    public async Task Should_send_Retry_After_and_X_RateLimit_Reset_on_429_when_enabled()
    {
        await using var api = await SandboxApi.StartAsync(new SandboxOptions { RateLimit = { BurstLimit = 1, SendResetHeaders = true } }, fakeTime: true);
        (await CallAsync(api)).Dispose();

        using var refused = await CallAsync(api);

        Assert.That(refused.StatusCode, Is.EqualTo(HttpStatusCode.TooManyRequests));
        Assert.That(refused.Headers.GetValues("Retry-After").Single(), Is.EqualTo("10"));
        Assert.That(refused.Headers.GetValues("X-RateLimit-Reset").Single(), Is.EqualTo("10000"));
    }

    [Test]
    public async Task Should_answer_429_once_the_daily_budget_is_spent()
    {
        await using var api = await SandboxApi.StartAsync(new SandboxOptions { RateLimit = { DailyLimit = 3 } }, fakeTime: true);
        for (var i = 0; i < 3; i++)
        {
            (await CallAsync(api)).Dispose();
        }

        using var refused = await CallAsync(api);

        Assert.That(refused.StatusCode, Is.EqualTo(HttpStatusCode.TooManyRequests));
        Assert.That(refused.Headers.GetValues("X-RateLimit-Daily-Remaining").Single(), Is.EqualTo("0"));
    }

    [Test]
    public async Task Should_neither_refuse_nor_send_headers_when_disabled()
    {
        await using var api = await SandboxApi.StartAsync(new SandboxOptions { RateLimit = { Enabled = false, BurstLimit = 1 } });
        (await CallAsync(api)).Dispose();

        using var response = await CallAsync(api);

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(response.Headers.Contains("X-RateLimit-Max"), Is.False);
    }

    [Test]
    public async Task Should_apply_limits_set_through_the_sandbox_endpoint()
    {
        await using var api = await SandboxApi.StartAsync();
        using var set = await api.BareClient().PutAsync("_sandbox/limits", SandboxApi.Json(new { enabled = true, burstLimit = 2, burstIntervalMilliseconds = 60000, dailyLimit = 1000, bulkTagsMaxContacts = 100 }));
        (await CallAsync(api)).Dispose();
        (await CallAsync(api)).Dispose();

        using var refused = await CallAsync(api);

        Assert.That(set.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(refused.StatusCode, Is.EqualTo(HttpStatusCode.TooManyRequests));
        Assert.That(refused.Headers.GetValues("X-RateLimit-Max").Single(), Is.EqualTo("2"));
    }

    [Test]
    public async Task Should_answer_422_for_an_invalid_limit()
    {
        await using var api = await SandboxApi.StartAsync();

        using var set = await api.BareClient().PutAsync("_sandbox/limits", SandboxApi.Json(new { burstLimit = 0 }));

        Assert.That(set.StatusCode, Is.EqualTo(HttpStatusCode.UnprocessableEntity));
    }

    [Test]
    public async Task Should_send_the_headers_on_a_4xx_answer_after_authentication()
    {
        await using var api = await SandboxApi.StartAsync();

        using var response = await api.Client.GetAsync("contacts/AAAAAAAAAAAAAAAAAAAA");

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
        Assert.That(response.Headers.GetValues("X-RateLimit-Remaining").Single(), Is.EqualTo("99"));
    }
}
