using System.Net.Http.Headers;
using System.Net.Http.Json;
using Sync.Emitter;
using Sync.Sandbox;

namespace Sync.Benchmarks;

/// <summary>
/// P5: how full the bulk tag calls are under a backlog. Contacts created in the sandbox first (through its API), then
/// one <c>contact.tags_added</c> event per contact pre-queued for a few locations (as the ingress publishes them) and
/// drained by one worker: the webhook consumer turns each into a tag command (through its outbox), the tag consumer
/// batches them per location into <c>POST /contacts/bulk/tags/update/add</c>. Contacts tagged ÷ bulk calls ÷ the bulk
/// maximum; the workers' <c>sync_tag_batch_size</c> histogram gives the commands per batch beside it.
/// </summary>
internal static class TagBatchFill
{
    private const string Tag = "bench-tagged";
    private const string BulkRoute = "/contacts/bulk/tags/update/{type}";

    public sealed record Result(
        double ContactsPerCall, int BulkMaximum, long BulkCalls, double CommandsPerBatch, long Sent, long Tagged, long DeadLettered, bool Balanced, string Settings)
    {
        public double Ratio => ContactsPerCall / BulkMaximum;
    }

    public static async Task<Result> RunAsync(int events, int locations, string workerDll, Progress progress)
    {
        const int bulkMaximum = 100;
        // Each location gets a whole number of full bulk calls' worth, so what is measured is how full the batches are
        // under the backlog, not the part-full tail every location's drain ends with (250 a location would end in 50).
        var round = bulkMaximum * locations;
        events = Math.Max(round, (events + round - 1) / round * round);
        await using var rig = await BenchRig.CreateAsync();
        await using var sandbox = await SandboxServer.StartAsync(new SandboxOptions { RateLimit = { Enabled = false, BulkTagsMaxContacts = bulkMaximum } });
        var tokens = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var l = 0; l < locations; l++)
        {
            var location = BenchRig.LocationId(l);
            tokens[location] = sandbox.State.Tokens.RegisterPrivateToken(location).Token;
            await rig.InstallAsync(location, tokens[location]);
        }

        var settings = $"{events:N0} tags_added events (one tag, distinct contacts that exist; {events / locations:N0} a location, a whole number of bulk calls) pre-queued over {locations} locations, 1 worker " +
                       $"(defaults: bulk maximum {bulkMaximum}, tag batch of up to 100 commands or 2 s without a new one, window 1,000), sandbox and worker limits off, latency 0";
        var t0 = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
        var contacts = Enumerable.Range(0, events).Select(i => (Location: BenchRig.LocationId(i % locations), Email: $"tagged{i:D7}@example.com")).ToList();
        await SeedAsync(sandbox, tokens, contacts, progress);
        await rig.PreQueueAsync([.. contacts.Select((c, i) => new SourceEvent(SourceEventTypes.TagsAdded, $"tags-{i:D7}", t0.AddMilliseconds(i), c.Location,
            new SourceContact { Email = c.Email }, [Tag]))], "P5: queueing tag events", progress);

        var processes = WorkerProcess.Start(1, workerDll, rig, sandbox, rateLimited: false);
        try
        {
            var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(5);
            long tagged = 0;
            while (DateTime.UtcNow < deadline && !processes[0].HasExited)
            {
                tagged = Tagged(sandbox, locations);
                progress.Report("P5: worker applies tag events", tagged, events);
                if (tagged >= events)
                {
                    break;
                }

                await Task.Delay(200);
            }

            var metrics = await processes[0].MetricsAsync();
            var batches = PrometheusText.Sum(metrics, "sync_tag_batch_size_count");
            var commandsPerBatch = batches == 0 ? 0 : PrometheusText.Sum(metrics, "sync_tag_batch_size_sum") / batches;
            await processes[0].StopAsync();
            var bulkCalls = sandbox.State.Requests.Snapshot().Where(c => c.Route == BulkRoute && c.Status is >= 200 and < 300).Sum(c => c.Count);
            var deadLettered = await rig.MessageCountAsync(BenchRig.DeadLetterQueues);
            return new Result(bulkCalls == 0 ? 0 : (double)tagged / bulkCalls, bulkMaximum, bulkCalls, commandsPerBatch, events, tagged, deadLettered,
                tagged + deadLettered == events, settings);
        }
        finally
        {
            foreach (var process in processes)
            {
                process.Dispose();
            }
        }
    }

    private static long Tagged(SandboxServer sandbox, int locations) =>
        Enumerable.Range(0, locations).Sum(l => (long)sandbox.State.Contacts.ForLocation(BenchRig.LocationId(l)).Count(c => c.Tags.Contains(Tag)));

    // The contacts exist before their tag events arrive, as they would for tags changed at the source later on.
    private static async Task SeedAsync(SandboxServer sandbox, Dictionary<string, string> tokens, List<(string Location, string Email)> contacts, Progress progress)
    {
        using var http = new HttpClient { BaseAddress = sandbox.BaseAddress };
        using var gate = new SemaphoreSlim(32);
        var done = 0;
        await Task.WhenAll(contacts.Select(async c =>
        {
            await gate.WaitAsync();
            try
            {
                using var request = new HttpRequestMessage(HttpMethod.Post, "contacts/upsert")
                {
                    Content = JsonContent.Create(new { locationId = c.Location, email = c.Email, firstName = "Tagged" }),
                };
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", tokens[c.Location]);
                request.Headers.Add("Version", SandboxOptions.ApiVersion);
                using var response = await http.SendAsync(request);
                response.EnsureSuccessStatusCode();
                progress.Report("P5: creating contacts", Interlocked.Increment(ref done), contacts.Count);
            }
            finally
            {
                gate.Release();
            }
        }));
    }
}
