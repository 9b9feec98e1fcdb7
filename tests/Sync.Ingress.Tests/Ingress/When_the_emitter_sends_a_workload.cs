using Sync.Core;
using Sync.Emitter;
using Sync.Ingress.Tests.Support;

namespace Sync.Ingress.Tests.Ingress;

/// <summary>
/// The project's own webhook emitter (its signers, event writers and sender) against the ingress: the contract both
/// sides were built to. Its forged copies must be refused; every genuine event must be queued under its own id.
/// </summary>
[TestFixture]
public sealed class When_the_emitter_sends_a_workload : IngressFixture
{
    private const string SecondLocation = "loc-second";
    private readonly Ed25519WebhookSigner _platformKey = Ed25519WebhookSigner.Generate();
    private IReadOnlyList<SourceEvent> _workload = null!;
    private EmissionReport _sourceReport = null!;
    private EmissionReport _platformReport = null!;

    protected override void Configure(IngressSettings settings) =>
        settings.Set("Sync:Ingress:Platform:Ed25519PublicKey", _platformKey.PublicKeySpkiBase64);

    protected override async Task AfterStartAsync()
    {
        await InstallAsync(SecondLocation);
        await Ingress.WaitUntilReadyAsync("broker");
        _workload = WorkloadGenerator.Generate(new WorkloadOptions
        {
            LocationIds = [KnownLocation, SecondLocation],
            ContactsPerLocation = 20,
            Events = 150,
            RunId = "interop",
        });

        var options = new EmitterOptions { Target = new Uri(Ingress.Client.BaseAddress!, "/webhooks/sources/" + IngressSettings.SourceName) };
        options.DuplicatePercent = 5;
        options.OutOfOrderPercent = 5;
        options.BadSignaturePercent = 5;
        options.Concurrency = 16;
        _sourceReport = await new WebhookEmitter(Ingress.Client, new StandardWebhookSigner(SourceSecret), options)
            .SendAsync([.. _workload.Select(e => e.ToOutgoing())]);

        options.Target = new Uri(Ingress.Client.BaseAddress!, "/webhooks/hoopai");
        _platformReport = await new WebhookEmitter(Ingress.Client, new PlatformWebhookSigner(_platformKey), options)
            .SendAsync([.. WorkloadGenerator.ToPlatformEvents(_workload, appId: IngressSettings.AppId).Select(e => e.ToOutgoing())]);
    }

    [OneTimeTearDown]
    public void Dispose_key() => _platformKey.Dispose();

    [Test]
    public void Should_answer_200_to_every_genuine_delivery() =>
        Assert.That(_sourceReport.Entries.Concat(_platformReport.Entries).Where(e => !e.BadSignature).Select(e => e.Status), Is.All.EqualTo(200));

    [Test]
    public void Should_answer_401_to_every_forged_copy()
    {
        var forged = _sourceReport.Entries.Concat(_platformReport.Entries).Where(e => e.BadSignature).ToList();

        Assert.That(forged, Is.Not.Empty);
        Assert.That(forged.Select(e => e.Status), Is.All.EqualTo(401));
    }

    [Test]
    public async Task Should_queue_every_event_under_its_own_message_id()
    {
        var expected = _workload.Select(e => DeterministicId.ForWebhook(IngressSettings.SourceName, e.Id))
            .Concat(WorkloadGenerator.ToPlatformEvents(_workload).Select(e => DeterministicId.ForWebhook("hoopai", e.WebhookId)))
            .Select(id => id.ToString())
            .ToHashSet();
        await Queue.WaitForAsync((uint)expected.Count, TimeSpan.FromSeconds(60));

        var queued = (await Queue.DrainAsync()).Select(m => m.MessageId).ToHashSet();

        Assert.That(queued, Is.EquivalentTo(expected));
    }
}
