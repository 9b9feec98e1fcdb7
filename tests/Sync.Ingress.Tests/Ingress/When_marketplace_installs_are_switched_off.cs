using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Sync.Ingress.Tests.Support;
using Sync.Sandbox;
using Sync.Storage;

namespace Sync.Ingress.Tests.Ingress;

/// <summary>With <c>Sync:Ingress:OAuth:AllowMarketplaceInstalls=false</c>, only installs begun at <c>/oauth/start</c> complete.</summary>
[TestFixture]
public sealed class When_marketplace_installs_are_switched_off : IngressFixture
{
    private SandboxServer _sandbox = null!;

    protected override async Task BeforeStartAsync() => _sandbox = await SandboxServer.StartAsync();

    protected override void Configure(IngressSettings settings) => settings
        .Set("Sync:HoopAi:BaseUrl", _sandbox.BaseAddress.ToString())
        .Set("Sync:HoopAi:ClientId", "sandbox-client")
        .Set("Sync:HoopAi:ClientSecret", "sandbox-secret")
        .Set("Sync:Ingress:OAuth:AllowMarketplaceInstalls", "false")
        .Set("Sync:Ingress:OAuth:PermitsPerMinute", "3");

    [OneTimeTearDown]
    public async Task Stop_sandbox()
    {
        await StopIngressAsync();
        if (_sandbox is not null)
        {
            await _sandbox.DisposeAsync();
        }
    }

    [Test, Order(1)]
    public async Task Should_refuse_a_callback_without_state()
    {
        var code = _sandbox.State.Tokens.IssueAuthorizationCode("loc-marketplace", "company-marketplace");

        var response = await Ingress.Client.GetAsync($"/oauth/callback?code={Uri.EscapeDataString(code)}");

        Assert.That(ProblemType(await ReadProblemAsync(response, HttpStatusCode.Forbidden)), Is.EqualTo("state-required"));
        Assert.That(await Ingress.Services.GetRequiredService<IInstallationStore>().GetAsync("loc-marketplace", CancellationToken.None), Is.Null);
    }

    [Test, Order(2)]
    public async Task Should_answer_429_once_a_client_has_used_its_callbacks_for_the_minute()
    {
        // One callback was used above; PermitsPerMinute is 3.
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 3; i++)
        {
            statuses.Add((await Ingress.Client.GetAsync("/oauth/callback?code=x")).StatusCode);
        }

        Assert.That(statuses, Is.EqualTo(new[] { HttpStatusCode.Forbidden, HttpStatusCode.Forbidden, HttpStatusCode.TooManyRequests }));
    }
}
