using System.Diagnostics;
using System.Net;

namespace Sync.Sandbox.Tests.Faults;

public sealed class When_faults_are_injected
{
    private static Task<HttpResponseMessage> ListAsync(HttpClient client, string location = SandboxApi.LocationA) =>
        client.GetAsync($"contacts/?locationId={location}&limit=1");

    [TestCase(500)]
    [TestCase(502)]
    [TestCase(503)]
    [TestCase(504)]
    public async Task Should_answer_the_configured_status_at_100_percent(int status)
    {
        var faults = new SandboxFaultOptions();
        typeof(SandboxFaultOptions).GetProperty($"Error{status}Percent")!.SetValue(faults, 100.0);
        await using var api = await SandboxApi.StartAsync(new SandboxOptions { Faults = faults });

        using var response = await ListAsync(api.Client);

        Assert.That((int)response.StatusCode, Is.EqualTo(status));
        Assert.That((await SandboxApi.ReadAsync(response)).GetProperty("traceId").GetString(), Is.Not.Empty);
    }

    [Test]
    public async Task Should_answer_errors_at_roughly_the_configured_rate()
    {
        await using var api = await SandboxApi.StartAsync(new SandboxOptions { RateLimit = { Enabled = false }, Faults = { Error503Percent = 30 } });
        var errors = 0;
        for (var i = 0; i < 400; i++)
        {
            using var response = await ListAsync(api.Client);
            errors += response.StatusCode == HttpStatusCode.ServiceUnavailable ? 1 : 0;
        }

        Assert.That(errors, Is.InRange(80, 160));
    }

    [Test]
    public async Task Should_stop_once_the_faults_are_cleared_at_runtime()
    {
        await using var api = await SandboxApi.StartAsync(new SandboxOptions { Faults = { Error500Percent = 100 } });
        using var before = await ListAsync(api.Client);

        using var cleared = await api.BareClient().DeleteAsync("_sandbox/faults");
        using var after = await ListAsync(api.Client);

        Assert.That(before.StatusCode, Is.EqualTo(HttpStatusCode.InternalServerError));
        Assert.That(after.StatusCode, Is.EqualTo(HttpStatusCode.OK));
    }

    [Test]
    public async Task Should_apply_the_change_after_effect_yet_answer_an_error()
    {
        await using var api = await SandboxApi.StartAsync(new SandboxOptions { Faults = { Error502Percent = 100, ErrorsAfterEffectPercent = 100 } });

        using var response = await api.Client.PostAsync("contacts/upsert", SandboxApi.Json(new { locationId = SandboxApi.LocationA, email = "applied@example.com" }));

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.BadGateway));
        Assert.That(api.State.Contacts.ForLocation(SandboxApi.LocationA).Select(c => c.Email), Is.EqualTo(new[] { "applied@example.com" }));
    }

    [Test]
    public async Task Should_apply_nothing_for_an_error_before_effect()
    {
        await using var api = await SandboxApi.StartAsync(new SandboxOptions { Faults = { Error500Percent = 100 } });

        using var response = await api.Client.PostAsync("contacts/upsert", SandboxApi.Json(new { locationId = SandboxApi.LocationA, email = "lost@example.com" }));

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.InternalServerError));
        Assert.That(api.State.Contacts.Count, Is.Zero);
    }

    [Test]
    public async Task Should_force_429_for_the_next_n_calls_only()
    {
        await using var api = await SandboxApi.StartAsync();
        using var set = await api.BareClient().PutAsync("_sandbox/faults", SandboxApi.Json(new { force429Count = 3 }));
        var statuses = new List<HttpStatusCode>();
        HttpResponseMessage? first429 = null;
        for (var i = 0; i < 4; i++)
        {
            var response = await ListAsync(api.Client);
            statuses.Add(response.StatusCode);
            first429 ??= response;
        }

        Assert.That(statuses, Is.EqualTo(new[] { HttpStatusCode.TooManyRequests, HttpStatusCode.TooManyRequests, HttpStatusCode.TooManyRequests, HttpStatusCode.OK }));
        Assert.That(first429!.Headers.GetValues("X-RateLimit-Remaining").Single(), Is.EqualTo("0"));
    }

    [Test]
    public async Task Should_force_429_for_a_duration()
    {
        await using var api = await SandboxApi.StartAsync(fakeTime: true);
        api.State.Faults.Set(new SandboxFaultOptions { Force429Seconds = 30 });
        using var during = await ListAsync(api.Client);

        api.Time!.Advance(TimeSpan.FromSeconds(31));
        using var after = await ListAsync(api.Client);

        Assert.That(during.StatusCode, Is.EqualTo(HttpStatusCode.TooManyRequests));
        Assert.That(after.StatusCode, Is.EqualTo(HttpStatusCode.OK));
    }

    [Test]
    public async Task Should_fault_only_the_named_location()
    {
        await using var api = await SandboxApi.StartAsync(new SandboxOptions { Faults = { Error503Percent = 100, LocationId = SandboxApi.LocationB } });
        using var other = api.ClientFor(SandboxApi.LocationB);

        using var a = await ListAsync(api.Client);
        using var b = await ListAsync(other, SandboxApi.LocationB);

        Assert.That(a.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(b.StatusCode, Is.EqualTo(HttpStatusCode.ServiceUnavailable));
    }

    [Test]
    public async Task Should_delay_each_call_by_the_configured_latency()
    {
        await using var api = await SandboxApi.StartAsync(new SandboxOptions { Faults = { LatencyMilliseconds = 300 } });
        var clock = Stopwatch.StartNew();

        using var response = await ListAsync(api.Client);

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(clock.ElapsedMilliseconds, Is.GreaterThanOrEqualTo(290));
    }

    [Test]
    public async Task Should_leave_a_hanging_call_unanswered_until_the_client_gives_up()
    {
        await using var api = await SandboxApi.StartAsync(new SandboxOptions { Faults = { HangPercent = 100 } });
        using var client = api.Server.CreateClient(api.Token);
        client.Timeout = TimeSpan.FromMilliseconds(500);

        Assert.That(async () => await ListAsync(client), Throws.InstanceOf<TaskCanceledException>());
        // The server notices the abandoned connection a moment after the client gives up.
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (api.State.Requests.Count("/contacts/", status: 499) == 0 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50);
        }

        Assert.That(api.State.Requests.Count("/contacts/"), Is.EqualTo(1));
        Assert.That(api.State.Requests.Count("/contacts/", status: 499), Is.EqualTo(1));
    }

    [Test]
    public async Task Should_serve_a_call_that_hangs_for_a_set_time_afterwards()
    {
        await using var api = await SandboxApi.StartAsync(new SandboxOptions { Faults = { HangPercent = 100, HangSeconds = 1 } });
        var clock = Stopwatch.StartNew();

        using var response = await ListAsync(api.Client);

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(clock.ElapsedMilliseconds, Is.GreaterThanOrEqualTo(950));
    }

    [Test]
    public async Task Should_answer_422_for_an_invalid_fault_setting()
    {
        await using var api = await SandboxApi.StartAsync();

        using var response = await api.BareClient().PutAsync("_sandbox/faults", SandboxApi.Json(new { error500Percent = 150 }));

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.UnprocessableEntity));
    }
}
