using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Sync.Emitter;

namespace Sync.Sandbox;

/// <summary>
/// The webhook emitter's command line: <c>keygen</c> makes keys and secrets, <c>emit</c> generates a workload and
/// sends it, signed, to a URL (see docs/sandbox.md).
/// </summary>
public static class EmitterCommand
{
    /// <summary>Whether the first argument names an emitter command.</summary>
    public static bool Handles(string firstArgument) => firstArgument is "emit" or "keygen";

    /// <summary>Parses and runs an emitter command; returns the exit code.</summary>
    public static async Task<int> RunAsync(string[] args)
    {
        var root = new RootCommand("Sync sandbox: webhook emitter");
        root.Subcommands.Add(KeygenCommand());
        root.Subcommands.Add(EmitCommand());
        return await root.Parse(args).InvokeAsync();
    }

    private static Command KeygenCommand()
    {
        var output = new Option<DirectoryInfo?>("--out") { Description = "Directory to write the key files to (printed only when absent)" };
        var rsa = new Option<bool>("--rsa") { Description = "Also make an RSA key for the legacy x-wh-signature" };
        var rsaBits = new Option<int>("--rsa-bits") { Description = "RSA key size", DefaultValueFactory = _ => 4096 };
        var command = new Command("keygen", "Make an Ed25519 key pair, a Standard Webhooks secret and optionally an RSA key") { output, rsa, rsaBits };
        command.SetAction(result =>
        {
            using var ed = Ed25519WebhookSigner.Generate();
            var secret = StandardWebhookSigner.GenerateSecret();
            var dir = result.GetValue(output);
            Console.WriteLine($"ed25519-private-pkcs8-base64: {ed.ExportPrivateKeyPkcs8Base64()}");
            Console.WriteLine($"ed25519-public-spki-base64:   {ed.PublicKeySpkiBase64}");
            Console.WriteLine($"source-secret:                {secret}");
            if (dir is not null)
            {
                dir.Create();
                File.WriteAllText(Path.Combine(dir.FullName, "ed25519.key"), ed.ExportPrivateKeyPkcs8Base64() + "\n");
                File.WriteAllText(Path.Combine(dir.FullName, "ed25519.pub"), ed.PublicKeySpkiBase64 + "\n");
                File.WriteAllText(Path.Combine(dir.FullName, "source.secret"), secret + "\n");
            }

            if (result.GetValue(rsa))
            {
                using var key = RsaWebhookSigner.Generate(result.GetValue(rsaBits));
                Console.WriteLine($"rsa-public-spki-base64:       {key.PublicKeySpkiBase64}");
                if (dir is not null)
                {
                    File.WriteAllText(Path.Combine(dir.FullName, "rsa.pem"), key.ExportPrivateKeyPem() + "\n");
                    File.WriteAllText(Path.Combine(dir.FullName, "rsa.pub.pem"), key.PublicKeyPem + "\n");
                }
                else
                {
                    Console.WriteLine(key.ExportPrivateKeyPem());
                }
            }

            if (dir is not null)
            {
                Console.WriteLine($"written to {dir.FullName}");
            }

            return 0;
        });
        return command;
    }

    private static Command EmitCommand()
    {
        var target = new Option<string>("--target") { Description = "URL to POST every webhook to", Required = true };
        var kind = new Option<string>("--kind") { Description = "source (Standard Webhooks, HMAC) or platform (Ed25519 X-GHL-Signature)", DefaultValueFactory = _ => "source" };
        kind.AcceptOnlyFromAmong("source", "platform");
        var count = new Option<int>("--count") { Description = "Events to generate", DefaultValueFactory = _ => 1000 };
        var locations = new Option<int>("--locations") { Description = "Locations (ignored with --location-ids)", DefaultValueFactory = _ => 3 };
        var locationIds = new Option<string?>("--location-ids") { Description = "Comma-separated location ids to use" };
        var contacts = new Option<int>("--contacts") { Description = "Contacts per location", DefaultValueFactory = _ => 100 };
        var rate = new Option<double>("--rate") { Description = "Events per second, open loop; 0 = as fast as concurrency allows", DefaultValueFactory = _ => 0 };
        var concurrency = new Option<int>("--concurrency") { Description = "Sends in flight at most", DefaultValueFactory = _ => 32 };
        var duplicates = new Option<double>("--duplicates") { Description = "Percent of events sent again later (same id)" };
        var outOfOrder = new Option<double>("--out-of-order") { Description = "Percent of events held back past later ones" };
        var badSignatures = new Option<double>("--bad-signatures") { Description = "Percent of events preceded by a forged copy (corrupted signature)" };
        var seed = new Option<int>("--seed") { Description = "Seed of the workload and of the send plan", DefaultValueFactory = _ => 1 };
        var runId = new Option<string?>("--run-id") { Description = "Event id prefix (random when absent)" };
        var ed25519Key = new Option<string?>("--ed25519-key") { Description = "Ed25519 private key (file or text: PKCS#8 base64/PEM or raw seed base64); platform kind" };
        var rsaKey = new Option<string?>("--rsa-key") { Description = "RSA private key (file or PEM text) to add the legacy x-wh-signature; platform kind" };
        var secret = new Option<string?>("--secret") { Description = "Standard Webhooks secret whsec_<base64> (file or text); source kind" };
        var install = new Option<bool>("--install") { Description = "Platform kind: send an INSTALL per location first" };
        var appId = new Option<string>("--app-id")
        {
            Description = "Platform kind: the appId every event carries (the ingress's Sync:Ingress:Platform:AppId)",
            DefaultValueFactory = _ => PlatformEvent.DefaultAppId,
        };
        var ledger = new Option<FileInfo?>("--ledger") { Description = "JSON-lines ledger of every send (appended)" };
        var expected = new Option<FileInfo?>("--expected") { Description = "Write the expected final state (JSON) here" };
        var command = new Command("emit", "Generate a workload and send it as signed webhooks")
        {
            target, kind, count, locations, locationIds, contacts, rate, concurrency, duplicates, outOfOrder, badSignatures, seed, runId,
            ed25519Key, rsaKey, secret, install, appId, ledger, expected,
        };
        command.SetAction(async (result, cancellationToken) =>
        {
            var workload = new WorkloadOptions
            {
                Events = result.GetValue(count),
                Locations = result.GetValue(locations),
                LocationIds = result.GetValue(locationIds)?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) ?? [],
                ContactsPerLocation = result.GetValue(contacts),
                Seed = result.GetValue(seed),
                RunId = result.GetValue(runId),
                Interval = result.GetValue(rate) > 0 ? TimeSpan.FromSeconds(1 / result.GetValue(rate)) : TimeSpan.FromMilliseconds(1),
            };
            var events = WorkloadGenerator.Generate(workload);
            IWebhookSigner signer;
            IReadOnlyList<OutgoingWebhook> outgoing;
            Ed25519WebhookSigner? ed = null;
            RsaWebhookSigner? rsa = null;
            try
            {
                if (result.GetValue(kind) == "platform")
                {
                    ed = result.GetValue(ed25519Key) is { } edText ? Ed25519WebhookSigner.FromPrivateKey(ReadValue(edText)) : Ed25519WebhookSigner.Generate();
                    rsa = result.GetValue(rsaKey) is { } rsaText ? RsaWebhookSigner.FromPrivateKey(ReadValue(rsaText)) : null;
                    if (result.GetValue(ed25519Key) is null)
                    {
                        Console.WriteLine($"generated Ed25519 key; public key (SPKI base64): {ed.PublicKeySpkiBase64}");
                    }

                    signer = new PlatformWebhookSigner(ed, rsa);
                    outgoing = [.. WorkloadGenerator.ToPlatformEvents(events, result.GetValue(install), appId: result.GetValue(appId)!).Select(e => e.ToOutgoing())];
                }
                else
                {
                    var secretText = result.GetValue(secret) is { } s ? ReadValue(s) : StandardWebhookSigner.GenerateSecret();
                    if (result.GetValue(secret) is null)
                    {
                        Console.WriteLine($"generated source secret: {secretText}");
                    }

                    signer = new StandardWebhookSigner(secretText);
                    outgoing = [.. events.Select(e => e.ToOutgoing())];
                }

                var concurrent = Math.Max(1, result.GetValue(concurrency));
                using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = concurrent });
                var emitter = new WebhookEmitter(http, signer, new EmitterOptions
                {
                    Target = new Uri(result.GetValue(target)!, UriKind.Absolute),
                    Rate = result.GetValue(rate),
                    Concurrency = concurrent,
                    DuplicatePercent = result.GetValue(duplicates),
                    OutOfOrderPercent = result.GetValue(outOfOrder),
                    BadSignaturePercent = result.GetValue(badSignatures),
                    Seed = result.GetValue(seed),
                    LedgerPath = result.GetValue(ledger)?.FullName,
                });
                var report = await emitter.SendAsync(outgoing, cancellationToken);
                if (result.GetValue(expected) is { } expectedFile)
                {
                    await WriteExpectedAsync(expectedFile, ExpectedState.Fold(events), cancellationToken);
                }

                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"sent {report.Sent} ({outgoing.Count} events); status {string.Join(", ", report.ByStatus.OrderBy(p => p.Key).Select(p => $"{p.Key}: {p.Value}"))}; latency p50 {report.LatencyPercentile(50):F1} ms, p99 {report.LatencyPercentile(99):F1} ms"));
                return report.Entries.Any(e => e.Status == 0) ? 2 : 0;
            }
            finally
            {
                ed?.Dispose();
                rsa?.Dispose();
            }
        });
        return command;
    }

    private static string ReadValue(string fileOrText) => File.Exists(fileOrText) ? File.ReadAllText(fileOrText).Trim() : fileOrText;

    private static async Task WriteExpectedAsync(FileInfo file, ExpectedState state, CancellationToken cancellationToken)
    {
        var shape = state.Locations.Order(StringComparer.Ordinal).ToDictionary(
            l => l,
            l => state.All(l).Values.OrderBy(c => c.Key, StringComparer.Ordinal).ToArray());
        await using var stream = file.Create();
        await JsonSerializer.SerializeAsync(stream, shape, new JsonSerializerOptions(JsonSerializerDefaults.Web) { WriteIndented = true }, cancellationToken);
    }
}
