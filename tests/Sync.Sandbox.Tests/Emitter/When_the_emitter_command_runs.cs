using Sync.Emitter;

namespace Sync.Sandbox.Tests.Emitter;

public sealed class When_the_emitter_command_runs
{
    [Test]
    public async Task Should_write_keys_that_load_and_match_with_keygen()
    {
        var dir = Path.Combine(TestContext.CurrentContext.WorkDirectory, $"keys-{Guid.NewGuid():N}");
        try
        {
            var exit = await EmitterCommand.RunAsync(["keygen", "--out", dir]);

            using var signer = Ed25519WebhookSigner.FromPrivateKey(await File.ReadAllTextAsync(Path.Combine(dir, "ed25519.key")));
            Assert.That(exit, Is.Zero);
            Assert.That(signer.PublicKeySpkiBase64, Is.EqualTo((await File.ReadAllTextAsync(Path.Combine(dir, "ed25519.pub"))).Trim()));
            Assert.That(await File.ReadAllTextAsync(Path.Combine(dir, "source.secret")), Does.StartWith("whsec_"));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Test]
    public async Task Should_send_a_workload_and_write_the_ledger_and_expected_state_with_emit()
    {
        var secret = StandardWebhookSigner.GenerateSecret();
        await using var receiver = await WebhookReceiver.StartAsync(secret: secret);
        var dir = Directory.CreateDirectory(Path.Combine(TestContext.CurrentContext.WorkDirectory, $"emit-{Guid.NewGuid():N}")).FullName;
        try
        {
            var exit = await EmitterCommand.RunAsync(
            [
                "emit", "--target", receiver.Address.ToString(), "--kind", "source", "--secret", secret, "--count", "60",
                "--duplicates", "10", "--ledger", Path.Combine(dir, "ledger.jsonl"), "--expected", Path.Combine(dir, "expected.json"),
            ]);

            Assert.That(exit, Is.Zero);
            Assert.That(receiver.Received.Select(r => r.Valid), Is.All.True);
            Assert.That(File.ReadAllLines(Path.Combine(dir, "ledger.jsonl")), Has.Length.EqualTo(receiver.Received.Count));
            Assert.That(new FileInfo(Path.Combine(dir, "expected.json")).Length, Is.GreaterThan(0));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
