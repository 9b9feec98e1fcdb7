using System.Net;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.DependencyInjection;
using Sync.Ingress.Tests.Support;
using Sync.Sandbox;
using Sync.Storage;
using Sync.Testing;

namespace Sync.Ingress.Tests.Ingress;

/// <summary>
/// <c>GET /oauth/start</c> hands out a signed, short-lived state bound to a cookie; the callback refuses a state it did not
/// sign, one past its lifetime and one brought by another browser, before spending the code. The ingress runs on a clock
/// the test moves.
/// </summary>
[TestFixture]
public sealed class When_an_oauth_install_brings_a_state : IngressFixture
{
    private const string ChooserPath = "/oauth/chooselocation";
    private readonly TestClock _clock = new(DateTimeOffset.UtcNow);
    private SandboxServer _sandbox = null!;

    protected override async Task BeforeStartAsync() => _sandbox = await SandboxServer.StartAsync();

    protected override void Configure(IngressSettings settings) => settings
        .Set("Sync:HoopAi:BaseUrl", _sandbox.BaseAddress.ToString())
        .Set("Sync:HoopAi:ClientId", "sandbox-client")
        .Set("Sync:HoopAi:ClientSecret", "sandbox-secret")
        .Set("Sync:Ingress:OAuth:AuthorizeUrl", new Uri(_sandbox.BaseAddress, ChooserPath).ToString())
        .Set("Sync:Ingress:OAuth:StateLifetime", "00:10:00")
        .Set("Sync:Ingress:OAuth:PermitsPerMinute", "1000")
        .Set("Sync:Ingress:Platform:AllowedCompanyIds:0", "company-state");

    protected override void ConfigureServices(IServiceCollection services) => services.AddSingleton<TimeProvider>(_clock);

    // Redirects are read, not followed; cookies are kept as a browser keeps them.
    protected override HttpMessageHandler? CreateTransport() =>
        new SocketsHttpHandler { AllowAutoRedirect = false, UseCookies = true, CookieContainer = new CookieContainer() };

    [OneTimeTearDown]
    public async Task Stop_sandbox()
    {
        await StopIngressAsync();
        if (_sandbox is not null)
        {
            await _sandbox.DisposeAsync();
        }
    }

    [Test]
    public async Task Should_redirect_to_the_location_chooser_with_the_client_id_and_a_state()
    {
        var response = await Ingress.Client.GetAsync("/oauth/start");

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Redirect));
        var location = response.Headers.Location!;
        var query = QueryHelpers.ParseQuery(location.Query);
        Assert.Multiple(() =>
        {
            Assert.That(location.AbsolutePath, Is.EqualTo(ChooserPath));
            Assert.That(query["client_id"].ToString(), Is.EqualTo("sandbox-client"));
            Assert.That(query["redirect_uri"].ToString(), Is.EqualTo(new Uri(Ingress.Address, "/oauth/callback").ToString()));
            Assert.That(query["state"].ToString(), Is.Not.Empty);
            Assert.That(response.Headers.GetValues("Set-Cookie").Single(), Does.Contain("httponly").IgnoreCase);
        });
    }

    [Test]
    public async Task Should_install_with_the_state_it_issued()
    {
        var state = await StartAsync();
        var code = _sandbox.State.Tokens.IssueAuthorizationCode("loc-with-state", "company-state");

        var response = await CallbackAsync(code, state);

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), await response.Content.ReadAsStringAsync());
        Assert.That(await StoredAsync("loc-with-state"), Is.True);
    }

    [Test]
    public async Task Should_refuse_a_forged_state_without_spending_the_code()
    {
        await StartAsync();
        var code = _sandbox.State.Tokens.IssueAuthorizationCode("loc-forged", "company-state");

        var refused = await CallbackAsync(code, "bm9uY2U.9999999999.Zm9yZ2VkLW1hYw");

        Assert.That(ProblemType(await ReadProblemAsync(refused, HttpStatusCode.BadRequest)), Is.EqualTo("invalid-state"));
        Assert.That(await StoredAsync("loc-forged"), Is.False);
        Assert.That((await CallbackAsync(code, await StartAsync())).StatusCode, Is.EqualTo(HttpStatusCode.OK), "the code was not spent");
    }

    [Test]
    public async Task Should_refuse_an_expired_state()
    {
        var state = await StartAsync();
        var code = _sandbox.State.Tokens.IssueAuthorizationCode("loc-expired", "company-state");
        _clock.Advance(TimeSpan.FromMinutes(11));

        var refused = await CallbackAsync(code, state);

        Assert.That(ProblemType(await ReadProblemAsync(refused, HttpStatusCode.BadRequest)), Is.EqualTo("expired-state"));
        Assert.That(await StoredAsync("loc-expired"), Is.False);
    }

    [Test]
    public async Task Should_refuse_a_state_brought_by_another_browser()
    {
        var state = await StartAsync();
        var code = _sandbox.State.Tokens.IssueAuthorizationCode("loc-other-browser", "company-state");
        using var otherBrowser = new HttpClient(new RecordingHandler()) { BaseAddress = Ingress.Address };

        var refused = await otherBrowser.GetAsync($"/oauth/callback?code={Uri.EscapeDataString(code)}&state={Uri.EscapeDataString(state)}");

        Assert.That(ProblemType(await ReadProblemAsync(refused, HttpStatusCode.BadRequest)), Is.EqualTo("invalid-state"));
        Assert.That(await StoredAsync("loc-other-browser"), Is.False);
    }

    [Test]
    public async Task Should_refuse_an_install_for_a_company_not_allowed()
    {
        var state = await StartAsync();
        var code = _sandbox.State.Tokens.IssueAuthorizationCode("loc-other-company", "company-stranger");

        var refused = await CallbackAsync(code, state);

        Assert.That(ProblemType(await ReadProblemAsync(refused, HttpStatusCode.Forbidden)), Is.EqualTo("company-not-allowed"));
        Assert.That(await StoredAsync("loc-other-company"), Is.False);
    }

    private async Task<string> StartAsync()
    {
        var response = await Ingress.Client.GetAsync("/oauth/start");
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Redirect));
        return QueryHelpers.ParseQuery(response.Headers.Location!.Query)["state"].ToString();
    }

    private Task<HttpResponseMessage> CallbackAsync(string code, string state) =>
        Ingress.Client.GetAsync($"/oauth/callback?code={Uri.EscapeDataString(code)}&state={Uri.EscapeDataString(state)}");

    private async Task<bool> StoredAsync(string locationId) =>
        await Ingress.Services.GetRequiredService<IInstallationStore>().GetAsync(locationId, CancellationToken.None) is not null;
}
