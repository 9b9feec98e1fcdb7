using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Sync.Ingress.Tests.Support;
using Sync.Sandbox;
using Sync.Storage;

namespace Sync.Ingress.Tests.Ingress;

/// <summary><c>GET /oauth/callback</c> against the sandbox's token endpoint, storing the installation in the real database.</summary>
[TestFixture]
public sealed class When_completing_an_oauth_install : IngressFixture
{
    private const string Location = "loc-oauth";
    private SandboxServer _sandbox = null!;
    private HttpResponseMessage _response = null!;

    protected override async Task BeforeStartAsync() => _sandbox = await SandboxServer.StartAsync();

    protected override void Configure(IngressSettings settings) => settings
        .Set("Sync:HoopAi:BaseUrl", _sandbox.BaseAddress.ToString())
        .Set("Sync:HoopAi:ClientId", "sandbox-client")
        .Set("Sync:HoopAi:ClientSecret", "sandbox-secret");

    protected override async Task AfterStartAsync()
    {
        var code = _sandbox.State.Tokens.IssueAuthorizationCode(Location, "company-oauth");
        _response = await Ingress.Client.GetAsync($"/oauth/callback?code={Uri.EscapeDataString(code)}");
    }

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
    public async Task Should_answer_200_naming_the_location()
    {
        Assert.That(_response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        var answer = await _response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.That(answer.GetProperty("locationId").GetString(), Is.EqualTo(Location));
    }

    [Test]
    public async Task Should_store_an_active_oauth_installation_with_tokens_and_expiry()
    {
        var installation = await Ingress.Services.GetRequiredService<IInstallationStore>().GetAsync(Location, CancellationToken.None);

        Assert.That(installation, Is.Not.Null);
        Assert.Multiple(() =>
        {
            Assert.That(installation!.AuthMode, Is.EqualTo(AuthMode.OAuth));
            Assert.That(installation.Status, Is.EqualTo(InstallationStatus.Active));
            Assert.That(installation.CompanyId, Is.EqualTo("company-oauth"));
            Assert.That(installation.RefreshToken, Is.Not.Empty);
            Assert.That(installation.AccessTokenExpiresAt, Is.GreaterThan(DateTimeOffset.UtcNow.AddHours(23)));
        });
    }

    [Test]
    public async Task Should_store_an_access_token_the_api_accepts()
    {
        var installation = await Ingress.Services.GetRequiredService<IInstallationStore>().GetAsync(Location, CancellationToken.None);
        using var api = _sandbox.CreateClient(installation!.AccessToken);

        var response = await api.GetAsync($"contacts/?locationId={Location}&limit=1");

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
    }

    [Test]
    public async Task Should_accept_webhooks_for_the_location_at_once()
    {
        var response = await PostSignedPlatformAsync(EventBodies.Platform("ContactCreate", Location, "wh-after-oauth", DateTimeOffset.UtcNow));

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
    }

    [Test]
    public async Task Should_answer_400_for_a_code_the_token_endpoint_refuses()
    {
        var response = await Ingress.Client.GetAsync("/oauth/callback?code=not-a-code");

        Assert.That(ProblemType(await ReadProblemAsync(response, HttpStatusCode.BadRequest)), Is.EqualTo("code-refused"));
    }

    [Test]
    public async Task Should_answer_400_without_a_code()
    {
        var response = await Ingress.Client.GetAsync("/oauth/callback");

        Assert.That(ProblemType(await ReadProblemAsync(response, HttpStatusCode.BadRequest)), Is.EqualTo("missing-code"));
    }
}
