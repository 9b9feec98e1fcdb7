using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Sync.Ingress.Tests.Support;
using Sync.Storage;

namespace Sync.Ingress.Tests.Ingress;

/// <summary>
/// The platform signs every app's webhooks with one key: a body another marketplace app received is validly signed.
/// Lifecycle events must carry this app's id; an event naming another app is refused and never published.
/// </summary>
[TestFixture]
public sealed class When_a_lifecycle_event_names_another_app : IngressFixture
{
    private const string AllowedCompany = "company-allowed";

    protected override void Configure(IngressSettings settings) =>
        settings.Set("Sync:Ingress:Platform:AllowedCompanyIds:0", AllowedCompany);

    [SetUp]
    public async Task Empty_the_queue() => await Queue.DrainAsync();

    [Test]
    public async Task Should_answer_403_to_an_install_for_another_app_and_publish_nothing()
    {
        var body = Install("loc-foreign", "wh-install-foreign", b => b["appId"] = "another-app");

        var problem = await ReadProblemAsync(await PostSignedPlatformAsync(body), HttpStatusCode.Forbidden);

        Assert.That(ProblemType(problem), Is.EqualTo("foreign-app"));
        Assert.That(await Queue.CountAsync(), Is.Zero);
    }

    [Test]
    public async Task Should_answer_403_to_an_install_without_an_app_id_and_publish_nothing()
    {
        var body = Install("loc-anonymous", "wh-install-anonymous", b => b.Remove("appId"));

        var problem = await ReadProblemAsync(await PostSignedPlatformAsync(body), HttpStatusCode.Forbidden);

        Assert.That(ProblemType(problem), Is.EqualTo("foreign-app"));
        Assert.That(await Queue.CountAsync(), Is.Zero);
    }

    [Test]
    public async Task Should_neither_store_nor_accept_the_location_of_a_refused_install()
    {
        await PostSignedPlatformAsync(Install("loc-forwarded", "wh-install-forwarded", b => b["appId"] = "another-app"));

        var later = await PostSignedPlatformAsync(EventBodies.Platform("ContactCreate", "loc-forwarded", "wh-after-forwarded", DateTimeOffset.UtcNow));

        Assert.That(ProblemType(await ReadProblemAsync(later, HttpStatusCode.Forbidden)), Is.EqualTo("unknown-location"));
        Assert.That(await Ingress.Services.GetRequiredService<IInstallationStore>().GetAsync("loc-forwarded", CancellationToken.None), Is.Null);
        Assert.That(await Queue.CountAsync(), Is.Zero);
    }

    [Test]
    public async Task Should_answer_403_to_an_uninstall_for_another_app()
    {
        var body = EventBodies.Platform("UNINSTALL", KnownLocation, "wh-uninstall-foreign", DateTimeOffset.UtcNow, b =>
        {
            b["appId"] = "another-app";
            b["companyId"] = AllowedCompany;
        });

        var problem = await ReadProblemAsync(await PostSignedPlatformAsync(body), HttpStatusCode.Forbidden);

        Assert.That(ProblemType(problem), Is.EqualTo("foreign-app"));
        Assert.That(await Queue.CountAsync(), Is.Zero);
    }

    [Test]
    public async Task Should_answer_403_to_a_contact_event_naming_another_app()
    {
        var body = EventBodies.Platform("ContactCreate", KnownLocation, "wh-contact-foreign", DateTimeOffset.UtcNow, b => b["appId"] = "another-app");

        var problem = await ReadProblemAsync(await PostSignedPlatformAsync(body), HttpStatusCode.Forbidden);

        Assert.That(ProblemType(problem), Is.EqualTo("foreign-app"));
        Assert.That(await Queue.CountAsync(), Is.Zero);
    }

    [Test]
    public async Task Should_accept_a_contact_event_that_names_no_app()
    {
        var body = EventBodies.Platform("ContactCreate", KnownLocation, "wh-contact-no-app", DateTimeOffset.UtcNow, b => b.Remove("appId"));

        var response = await PostSignedPlatformAsync(body);

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(await Queue.CountAsync(), Is.EqualTo(1));
    }

    [Test]
    public async Task Should_answer_403_to_an_install_from_a_company_not_allowed()
    {
        var body = Install("loc-other-company", "wh-install-other-company", b => b["companyId"] = "company-stranger");

        var problem = await ReadProblemAsync(await PostSignedPlatformAsync(body), HttpStatusCode.Forbidden);

        Assert.That(ProblemType(problem), Is.EqualTo("company-not-allowed"));
        Assert.That(await Queue.CountAsync(), Is.Zero);
    }

    [Test]
    public async Task Should_accept_an_install_for_this_app_from_an_allowed_company()
    {
        var response = await PostSignedPlatformAsync(Install("loc-welcome", "wh-install-welcome"));

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(await Queue.CountAsync(), Is.EqualTo(1));
    }

    private static byte[] Install(string locationId, string webhookId, Action<System.Text.Json.Nodes.JsonObject>? change = null) =>
        EventBodies.Platform("INSTALL", locationId, webhookId, DateTimeOffset.UtcNow, b =>
        {
            b["companyId"] = AllowedCompany;
            change?.Invoke(b);
        });
}
