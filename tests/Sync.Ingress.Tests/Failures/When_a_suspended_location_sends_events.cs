using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Sync.Core;
using Sync.Ingress.Tests.Support;
using Sync.Storage;

namespace Sync.Ingress.Tests.Failures;

/// <summary>A location whose refresh token was refused awaits re-authorisation: its events are still taken in.</summary>
[TestFixture]
public sealed class When_a_suspended_location_sends_events : IngressFixture
{
    private const string SuspendedLocation = "loc-suspended";

    protected override Task AfterStartAsync() =>
        Ingress.Services.GetRequiredService<IInstallationStore>().SaveAsync(
            new Installation(SuspendedLocation, "company-1", AuthMode.OAuth, InstallationStatus.Suspended, "spent", "spent", DateTimeOffset.UtcNow, DateTimeOffset.UtcNow),
            CancellationToken.None);

    [Test]
    public async Task Should_accept_and_queue_its_events_with_200()
    {
        await Queue.DrainAsync();
        var body = EventBodies.Source("contact.upserted", "evt-suspended", SuspendedLocation, DateTimeOffset.UtcNow);

        using var response = await PostSignedSourceAsync(body, "evt-suspended");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That((await Queue.DrainAsync()).Select(m => m.MessageId),
                Is.EqualTo(new[] { DeterministicId.ForWebhook(IngressSettings.SourceName, "evt-suspended").ToString() }));
        }
    }

    [Test]
    public async Task Should_still_refuse_a_location_never_installed()
    {
        var body = EventBodies.Source("contact.upserted", "evt-stranger", "loc-never-installed", DateTimeOffset.UtcNow);

        using var response = await PostSignedSourceAsync(body, "evt-stranger");

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden));
    }
}
