using System.Net;

namespace Sync.Sandbox.Tests.Limits;

public sealed class When_a_location_exceeds_its_burst_limit
{
    private SandboxApi _api = null!;
    private readonly List<HttpStatusCode> _statuses = [];
    private HttpResponseMessage _refused = null!;
    private HttpResponseMessage _first = null!;

    [OneTimeSetUp]
    public async Task Call_101_times()
    {
        _api = await SandboxApi.StartAsync(fakeTime: true);
        for (var i = 0; i < 100; i++)
        {
            using var response = await _api.Client.GetAsync($"contacts/?locationId={SandboxApi.LocationA}&limit=1");
            _statuses.Add(response.StatusCode);
            if (i == 0)
            {
                _first = response;
            }
        }

        _refused = await _api.Client.GetAsync($"contacts/?locationId={SandboxApi.LocationA}&limit=1");
    }

    [OneTimeTearDown]
    public async Task Stop()
    {
        _refused.Dispose();
        await _api.DisposeAsync();
    }

    [Test]
    public void Should_serve_the_first_100() => Assert.That(_statuses, Is.All.EqualTo(HttpStatusCode.OK));

    [Test]
    public void Should_answer_the_101st_with_429() => Assert.That(_refused.StatusCode, Is.EqualTo(HttpStatusCode.TooManyRequests));

    [Test]
    public void Should_send_the_five_rate_limit_headers_on_the_429()
    {
        var headers = _refused.Headers;
        Assert.That(headers.GetValues("X-RateLimit-Max").Single(), Is.EqualTo("100"));
        Assert.That(headers.GetValues("X-RateLimit-Remaining").Single(), Is.EqualTo("0"));
        Assert.That(headers.GetValues("X-RateLimit-Interval-Milliseconds").Single(), Is.EqualTo("10000"));
        Assert.That(headers.GetValues("X-RateLimit-Limit-Daily").Single(), Is.EqualTo("200000"));
        Assert.That(headers.GetValues("X-RateLimit-Daily-Remaining").Single(), Is.EqualTo("199900"));
    }

    [Test]
    public void Should_count_down_the_remaining_budget() =>
        Assert.That(_first.Headers.GetValues("X-RateLimit-Remaining").Single(), Is.EqualTo("99"));

    [Test]
    public void Should_not_send_reset_headers_by_default()
    {
        Assert.That(_refused.Headers.Contains("Retry-After"), Is.False);
        Assert.That(_refused.Headers.Contains("X-RateLimit-Reset"), Is.False);
    }

    [Test]
    public async Task Should_leave_another_location_its_own_budget()
    {
        using var other = _api.ClientFor(SandboxApi.LocationB);
        using var response = await other.GetAsync($"contacts/?locationId={SandboxApi.LocationB}&limit=1");
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
    }

    [Test]
    public async Task Should_leave_another_app_its_own_budget_for_the_same_location()
    {
        using var other = _api.ClientFor(SandboxApi.LocationA, appId: "another-app");
        using var response = await other.GetAsync($"contacts/?locationId={SandboxApi.LocationA}&limit=1");
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
    }
}
