using Microsoft.Extensions.DependencyInjection;
using Sync.Emitter;
using Sync.HoopAi.OAuth;
using Sync.HoopAi.Tokens;
using Sync.Storage;

namespace Sync.IntegrationTests.Worker;

[TestFixture]
public sealed class When_an_oauth_access_token_nears_its_expiry
{
    private const string Location = "OAuthLocation0000001";
    private WorkerHarness _worker = null!;
    private string _firstToken = null!;
    private string[] _renewed = null!;
    private long _tokenCalls;
    private long _refusedTokenCalls;
    private Installation? _stored;

    [OneTimeSetUp]
    public async Task Install_with_oauth_and_let_two_processes_want_a_token()
    {
        _worker = await WorkerHarness.StartAsync();

        // The OAuth install as the ingress's callback does it: a code exchanged for tokens that live 6 s (refresh margin: 5 s).
        var code = _worker.Sandbox.State.Tokens.IssueAuthorizationCode(Location, accessTokenLifetimeSeconds: 6);
        var token = await _worker.Services.GetRequiredService<HoopAiOAuthClient>().ExchangeAuthorizationCodeAsync(code, CancellationToken.None);
        _firstToken = token.AccessToken;
        await _worker.Services.GetRequiredService<IInstallationStore>().SaveAsync(
            new Installation(Location, token.CompanyId, AuthMode.OAuth, InstallationStatus.Active, token.AccessToken, token.RefreshToken,
                DateTimeOffset.UtcNow.AddSeconds(token.ExpiresIn), DateTimeOffset.UtcNow),
            CancellationToken.None);
        await Task.Delay(TimeSpan.FromSeconds(2));

        // Two providers with caches and lease owners of their own stand for two worker processes.
        var providers = Enumerable.Range(0, 2)
            .Select(_ => ActivatorUtilities.CreateInstance<InstallationTokenProvider>(_worker.Services))
            .ToArray();
        _renewed = await Task.WhenAll(providers.Select(p => p.GetAccessTokenAsync(Location, CancellationToken.None).AsTask()));
        foreach (var provider in providers)
        {
            provider.Dispose();
        }

        // Read now: the renewed tokens live 6 s too, so the worker itself refreshes again later on.
        _tokenCalls = _worker.Sandbox.State.Requests.Count("/oauth/token", status: 200);
        _refusedTokenCalls = _worker.Sandbox.State.Requests.Count("/oauth/token", status: 400);
        _stored = await _worker.Services.GetRequiredService<IInstallationStore>().GetAsync(Location, CancellationToken.None);
    }

    [OneTimeTearDown]
    public async Task Stop()
    {
        if (_worker is not null)
        {
            await _worker.DisposeAsync();
        }
    }

    [Test]
    public void Should_refresh_before_expiry_once_for_both_processes()
    {
        Assert.Multiple(() =>
        {
            Assert.That(_renewed[0], Is.Not.EqualTo(_firstToken), "refreshed within the margin");
            Assert.That(_renewed[1], Is.EqualTo(_renewed[0]), "the second process took the first's new token");
            Assert.That(_tokenCalls, Is.EqualTo(2), "one exchange of the code, one refresh");
            Assert.That(_refusedTokenCalls, Is.Zero, "no refresh token was used twice");
        });
    }

    [Test]
    public void Should_store_the_new_tokens_for_every_process() =>
        Assert.That(_stored?.AccessToken, Is.EqualTo(_renewed[0]));

    [Test]
    public async Task Should_apply_events_with_the_renewed_token()
    {
        var e = new SourceEvent(SourceEventTypes.Upserted, "evt-oauth-1", DateTimeOffset.UtcNow, Location,
            new SourceContact { Email = "oauth@example.com", FirstName = "Olive" }, ["renewed"]);
        await _worker.PublishAsync(e);

        var applied = await WorkerHarness.EventuallyAsync(
            () => Task.FromResult(_worker.ContactsOf(Location).Any(c => c.Email == "oauth@example.com" && c.Tags.Contains("renewed"))),
            TimeSpan.FromSeconds(30));

        Assert.That(applied, Is.True);
    }
}
