using System.Diagnostics;
using Sync.ChaosTests.Support;
using Sync.Emitter;

namespace Sync.ChaosTests;

/// <summary>
/// The durability proof (docs/durability.md): the sandbox, the ingress and two workers run as processes of their own
/// against the chaos RabbitMQ node and PostgreSQL cluster; three emitters send an open-loop, ledgered load (source events
/// over several locations, platform events, duplicates, out-of-order and forged deliveries, deliveries that must be
/// refused) and retry what was not answered 2xx, as Standard Webhooks senders do, while workers and the ingress are
/// killed with SIGKILL, the broker and the database are stopped and started, and the API fails, throttles, slows down
/// and revokes a token. Afterwards the ledger must balance exactly.
/// </summary>
[TestFixture]
[Category("Chaos")]
[NonParallelizable]
public sealed class Chaos_durability_under_real_faults
{
    private static readonly TimeSpan SettleTimeout = TimeSpan.FromSeconds(120);
    private readonly List<string> _diffs = [];
    private readonly List<string> _duplicates = [];
    private readonly Dictionary<string, int> _refusedLocationContacts = [];
    private ChaosSystem? _system;
    private ChaosOptions _options = null!;
    private DurabilityLedger _ledger = null!;
    private IReadOnlyDictionary<string, long> _queues = new Dictionary<string, long>();
    private IReadOnlyList<(string Queue, string Type, string? EventId)> _skipped = [];
    private ChaosFaults _faults = null!;
    private int _replayed;

    [OneTimeSetUp]
    public async Task Run_the_load_through_the_faults()
    {
        _options = ChaosOptions.FromEnvironment();
        Say($"options (repeat with these): {_options}");
        await ChaosServices.RequireAsync();
        await ChaosServices.EnsureBrokerStartedAsync();
        await ChaosServices.EnsureDatabaseStartedAsync();
        var total = Stopwatch.StartNew();
        var logs = Path.Combine(TestContext.CurrentContext.WorkDirectory, $"chaos-{DateTime.UtcNow:yyyyMMdd-HHmmss}");
        Say($"host logs in {logs}");
        _system = await ChaosSystem.StartAsync(logs);
        Say($"sandbox, ingress and two workers up in {total.Elapsed.TotalSeconds:0.0} s");

        var ids = WorkloadGenerator.LocationIds(6, _options.Seed);
        string[] sourceLocations = [ids[0], ids[1], ids[2]];
        var platformLocation = ids[3];
        var forgedLocation = ids[4];
        var unknownLocation = ids[5]; // never installed: the ingress must refuse its events
        foreach (var location in sourceLocations.Append(platformLocation).Append(forgedLocation))
        {
            await _system.InstallAsync(location);
        }

        var seconds = _options.Duration.TotalSeconds;
        var start = DateTimeOffset.UtcNow;
        var run = $"chaos{_options.Seed}x{Environment.TickCount64 % 100_000}";
        // A deleted contact gets no more events, so the contacts grow with the load (about 15 events each) and a long
        // run does not run out of contacts before its duration.
        var sourceEvents = (int)(_options.Rate * seconds);
        var source = WorkloadGenerator.Generate(new WorkloadOptions
        {
            LocationIds = sourceLocations,
            ContactsPerLocation = Math.Max(25, sourceEvents / sourceLocations.Length / 15),
            Events = sourceEvents,
            Seed = _options.Seed,
            RunId = run + "s",
            Start = start,
            Interval = TimeSpan.FromSeconds(1 / _options.Rate),
        });
        var platformRate = Math.Max(0.5, _options.Rate / 4);
        var platform = WorkloadGenerator.ToPlatformEvents(WorkloadGenerator.Generate(new WorkloadOptions
        {
            LocationIds = [platformLocation],
            ContactsPerLocation = Math.Max(20, (int)(platformRate * seconds) / 15),
            Events = (int)(platformRate * seconds),
            Seed = _options.Seed + 1,
            RunId = run + "p",
            Start = start,
            Interval = TimeSpan.FromSeconds(1 / platformRate),
        }), withInstalls: false, appId: ChaosSystem.AppId);
        var refusedCount = Math.Max(10, (int)(seconds / 5));
        var forged = WorkloadGenerator.Generate(new WorkloadOptions { LocationIds = [forgedLocation], ContactsPerLocation = 10, Events = refusedCount, Seed = _options.Seed + 2, RunId = run + "f", Start = start });
        var unknown = WorkloadGenerator.Generate(new WorkloadOptions { LocationIds = [unknownLocation], ContactsPerLocation = 10, Events = refusedCount, Seed = _options.Seed + 3, RunId = run + "u", Start = start });
        Assert.That(source.Count + platform.Count, Is.EqualTo(sourceEvents + (int)(platformRate * seconds)),
            "the workload has as many events as the duration and rate ask for");
        Say($"load: {source.Count:N0} source events over {sourceLocations.Length} locations at {_options.Rate:0.#}/s, {platform.Count:N0} platform events at {platformRate:0.#}/s, " +
            $"{forged.Count} forged-only and {unknown.Count} unknown-location events; duplicates 5%, out of order 5%, forged copies 3%");

        using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 32 }) { Timeout = Timeout.InfiniteTimeSpan };
        var sourceSigner = new StandardWebhookSigner(_system.SourceSecret);
        var platformSigner = new PlatformWebhookSigner(_system.PlatformKey);
        var sourceUri = new Uri(_system.IngressAddress, "/webhooks/sources/" + ChaosSystem.SourceName);
        var clock = Stopwatch.StartNew();
        var sending = new[]
        {
            Send(http, sourceSigner, sourceUri, source.Select(e => e.ToOutgoing()), _options.Rate, _options.Seed, mixed: true),
            Send(http, platformSigner, new Uri(_system.IngressAddress, "/webhooks/hoopai"), platform.Select(e => e.ToOutgoing()), platformRate, _options.Seed + 1, mixed: true),
            Send(http, new ForgingSigner(sourceSigner), sourceUri, forged.Select(e => e.ToOutgoing()), refusedCount / seconds, _options.Seed + 2, mixed: false),
            Send(http, sourceSigner, sourceUri, unknown.Select(e => e.ToOutgoing()), refusedCount / seconds, _options.Seed + 3, mixed: false),
        };
        _faults = new ChaosFaults(_system, _options, sourceLocations, Say);
        await _faults.RunAsync(() => !sending.All(t => t.IsCompleted), clock);
        var reports = await Task.WhenAll(sending);
        await _faults.RestartedAsync();
        Say($"load sent in {clock.Elapsed.TotalSeconds:0.0} s; settling");
        await _system.ClearFaultsAsync();
        var streams = new List<LoadStream>
        {
            new("source", ChaosSystem.SourceName, true, reports[0]),
            new("platform", ChaosSystem.PlatformSource, true, reports[1]),
            new("forged", ChaosSystem.SourceName, false, reports[2]),
            new("unknown location", ChaosSystem.SourceName, false, reports[3]),
        };

        await SettleAsync(streams, _ => true);

        // The operator's part of a revoked token (README, "Operations: dead letters"): once the location has its new
        // token, what was dead-lettered as `authentication` is replayed with sync-admin. Until then such an event is
        // only known to sit in the dead-letter store; its effect may even have reached the API already (an attempt whose
        // call succeeded and whose commit then failed, retried while the token was refused), and the replay settles it.
        var refusedToken = _ledger.AuthenticationDeadLettered;
        if (refusedToken.Count > 0)
        {
            var before = _ledger.DeadLettersPerEvent;
            var exit = await _system.RunAdminAsync("dlq", "replay", "--classification", "authentication", "--yes", "--by", "chaos-suite");
            Say($"replayed the dead letters of {refusedToken.Count} events classified authentication with sync-admin (exit {exit}); settling");
            Assert.That(exit, Is.Zero, "sync-admin dlq replay --classification authentication (its output is in admin.log)");
            await SettleAsync(streams, ledger => refusedToken.All(id =>
                ledger.Fates.GetValueOrDefault(id) == EventFate.Applied
                || ledger.DeadLettersPerEvent.GetValueOrDefault(id) > before.GetValueOrDefault(id)));
            _replayed = refusedToken.Count;
        }

        await CompareStateAsync(source, sourceLocations, forgedLocation, unknownLocation);

        // What is left in the queues once every host has stopped (a worker finishes and acknowledges what it holds).
        await _system.StopHostsAsync();
        _queues = await ChaosServices.QueuesAsync(_system.VirtualHost);
        var left = await _system.TakeEveryMessageAsync();
        _skipped = [.. left.Where(m => m.Queue.EndsWith("_skipped", StringComparison.Ordinal))];
        var queued = left.Where(m => !m.Queue.EndsWith("_skipped", StringComparison.Ordinal) && !m.Queue.EndsWith("_error", StringComparison.Ordinal) && m.EventId is not null)
            .Select(m => m.EventId!).ToHashSet(StringComparer.Ordinal);
        _ledger = await DurabilityLedger.ReadAsync(_system.Database.ConnectionString, streams, queued);
        Say("faults injected:" + Environment.NewLine + string.Join(Environment.NewLine, _faults.Done.Select(d => "  " + d)));
        Say("ledger:" + Environment.NewLine + _ledger.ToTable());
        Say($"dead letters of {_replayed} events classified authentication were replayed by the operator step (sync-admin dlq replay)");
        Say("messages left in queues: " + string.Join(", ", _queues.Where(q => q.Value > 0).Select(q => $"{q.Key} {q.Value}")));
        foreach (var group in _skipped.GroupBy(s => (s.Queue, s.Type)))
        {
            var missing = group.Count(s => s.EventId is not null && _ledger.Missing.Contains(s.EventId));
            Say($"in {group.Key.Queue}: {group.Count()} × {group.Key.Type} ({missing} of them of missing events; e.g. {string.Join(", ", group.Take(3).Select(s => s.EventId))})");
        }

        foreach (var line in _ledger.Missing.Take(20).Select(id => "missing: " + id + (_skipped.Any(s => s.EventId == id) ? " (in a _skipped queue)" : ""))
                     .Concat(_ledger.StillQueued.Take(20).Select(id => "still queued: " + id + " in " + string.Join(", ", left.Where(m => m.EventId == id).Select(m => m.Queue))))
                     .Concat(_ledger.GenuineNotAccepted.Take(20).Select(l => "not accepted: " + l))
                     .Concat(_diffs.Take(40).Select(d => "state: " + d))
                     .Concat(_duplicates.Take(20).Select(d => "duplicate: " + d)))
        {
            Say(line);
        }

        // Why events did not simply apply: their type, and whether their contact was deleted by a later event.
        var deletedAt = source.Where(e => e.Type == SourceEventTypes.Deleted).ToDictionary(e => (e.LocationId, e.ContactKey), e => e.OccurredAt);
        foreach (var group in source.Where(e => _ledger.Fates.TryGetValue(e.Id, out var f) && f != EventFate.Applied)
                     .GroupBy(e => (Fate: _ledger.Fates[e.Id], e.Type, DeletedLater: deletedAt.TryGetValue((e.LocationId, e.ContactKey), out var at) && at > e.OccurredAt)))
        {
            Say($"not applied: {group.Count()} × {group.Key.Fate} {group.Key.Type}{(group.Key.DeletedLater ? " of a contact a later event deleted" : "")}");
        }

        Say($"state differences {_diffs.Count}, duplicate contacts {_duplicates.Count}; whole run {total.Elapsed.TotalSeconds:0} s ({_options})");
    }

    [OneTimeTearDown]
    public async Task Stop()
    {
        if (_system is not null)
        {
            await _system.DisposeAsync();
        }
    }

    [Test]
    public void Chaos_every_fault_asked_for_was_injected() =>
        Assert.That(_options.Faults.Where(f => !_faults.Done.Any(d => d.Contains($" {f}:", StringComparison.Ordinal))), Is.Empty);

    [Test]
    public void Chaos_every_event_answered_2xx_is_applied_or_dead_lettered() =>
        Assert.That(_ledger.Missing, Is.Empty, "accepted events neither applied nor in the dead-letter store");

    [Test]
    public void Chaos_every_accepted_event_settled_within_the_settle_time() =>
        Assert.That(_ledger.StillQueued, Is.Empty, "accepted events still waiting in a work queue or wait tier");

    [Test]
    public void Chaos_every_dead_letter_has_a_reason() =>
        Assert.That(_ledger.DeadLettersWithoutReason, Is.Zero);

    [Test]
    public void Chaos_every_genuine_event_was_accepted_in_the_end() =>
        Assert.That(_ledger.GenuineNotAccepted, Is.Empty, "genuine events the ingress never answered 2xx, though the sender retried");

    [Test]
    public void Chaos_every_refused_event_left_no_trace()
    {
        Assert.Multiple(() =>
        {
            Assert.That(_ledger.RefusedButAccepted, Is.Empty, "forged or unknown-location events answered 2xx");
            Assert.That(_ledger.RefusedWithTrace, Is.Empty, "refused events found in the inbox, outbox or dead letters");
            Assert.That(_refusedLocationContacts.Where(c => c.Value > 0), Is.Empty, "contacts in locations that only had refused events");
        });
    }

    [Test]
    public void Chaos_no_message_is_left_in_a_skipped_queue() =>
        Assert.That(_skipped.Select(s => $"{s.Queue}: {s.Type} of {s.EventId}"), Is.Empty, "messages no consumer took (MassTransit's _skipped queues)");

    [Test]
    public void Chaos_no_contact_is_duplicated() => Assert.That(_duplicates, Is.Empty);

    [Test]
    public void Chaos_every_applied_contact_exists_and_every_deleted_one_is_gone() =>
        Assert.That(_diffs.Where(d => d.EndsWith(": missing", StringComparison.Ordinal) || d.EndsWith("but exists", StringComparison.Ordinal)), Is.Empty);

    [Test]
    public void Chaos_no_stale_event_overwrote_a_newer_field() =>
        Assert.That(_diffs.Where(d => d.Contains("', expected '", StringComparison.Ordinal)), Is.Empty);

    [Test]
    public void Chaos_no_tag_is_applied_from_an_event_older_than_the_one_that_removed_it_and_none_is_lost() =>
        Assert.That(_diffs.Where(d => d.Contains(": tags [", StringComparison.Ordinal)), Is.Empty);

    [Test]
    public void Chaos_the_counts_balance_exactly()
    {
        Assert.Multiple(() =>
        {
            Assert.That(_ledger.Applied + _ledger.DeadLettered + _ledger.StillQueued.Count + _ledger.Missing.Count, Is.EqualTo(_ledger.Accepted.Count));
            Assert.That(_ledger.StillQueued, Is.Empty);
            Assert.That(_ledger.Accepted.Count + _ledger.GenuineNotAccepted.Count, Is.EqualTo(_ledger.GenuineEvents));
            Assert.That(_ledger.Missing, Is.Empty);
        });
    }

    // Settled: nothing missing, <paramref name="done"/> holds, and the API has seen no call for 3 s (tag batches finish
    // after their events); or the settle time is up, and the assertions say what is not settled.
    private async Task SettleAsync(List<LoadStream> streams, Func<DurabilityLedger, bool> done)
    {
        var settle = Stopwatch.StartNew();
        long calls = -1;
        var quietSince = settle.Elapsed;
        while (true)
        {
            _ledger = await DurabilityLedger.ReadAsync(_system!.Database.ConnectionString, streams);
            var now = await _system.RequestCountAsync("/");
            if (now != calls)
            {
                calls = now;
                quietSince = settle.Elapsed;
            }

            if ((_ledger.Missing.Count == 0 && done(_ledger) && settle.Elapsed - quietSince > TimeSpan.FromSeconds(3)) || settle.Elapsed > SettleTimeout)
            {
                break;
            }

            await Task.Delay(1000);
        }

        Say($"settled in {settle.Elapsed.TotalSeconds:0.0} s");
    }

    private async Task CompareStateAsync(IReadOnlyList<SourceEvent> source, IReadOnlyList<string> locations, string forgedLocation, string unknownLocation)
    {
        // What the sandbox must hold: the accepted events folded in the order they happened; a dead-lettered event counts
        // for nothing, one whose tag commands alone were dead-lettered counts without its tags.
        var effective = new List<SourceEvent>();
        foreach (var e in source)
        {
            if (!_ledger.Fates.TryGetValue(e.Id, out var fate) || fate == EventFate.Missing)
            {
                continue;
            }

            if (fate == EventFate.Applied)
            {
                effective.Add(e);
            }
            else if (_ledger.TagsDeadLettered.Contains(e.Id) && e.Type == SourceEventTypes.Upserted)
            {
                effective.Add(e with { Tags = null });
            }
        }

        var expected = ExpectedState.Fold(effective);
        foreach (var location in locations)
        {
            var actual = await _system!.ContactsAsync(location);
            var differences = expected.Diff(location, actual);
            _diffs.AddRange(differences);
            foreach (var difference in differences)
            {
                // What happened to each event of that contact, in the order they happened: what to look for in the logs.
                var key = difference[(difference.IndexOf('/', StringComparison.Ordinal) + 1)..difference.IndexOf(':', StringComparison.Ordinal)];
                var history = source.Where(e => e.LocationId == location && string.Equals(e.ContactKey, key, StringComparison.OrdinalIgnoreCase))
                    .OrderBy(e => e.OccurredAt)
                    .Select(e => $"    {e.OccurredAt:HH:mm:ss.fff} {e.Id} {e.Type} company={e.Contact.CompanyName ?? "-"} tags=[{string.Join(',', e.Tags ?? [])}]: " +
                                 (_ledger.Fates.TryGetValue(e.Id, out var fate) ? fate.ToString() : "not accepted"));
                Say($"state: {difference}; its events:{Environment.NewLine}{string.Join(Environment.NewLine, history)}");
            }

            _duplicates.AddRange(actual.Where(c => c.Email is not null).GroupBy(c => c.Email!.ToLowerInvariant())
                .Where(g => g.Count() > 1).Select(g => $"{location}/{g.Key} ×{g.Count()}"));
        }

        foreach (var location in new[] { forgedLocation, unknownLocation })
        {
            _refusedLocationContacts[location] = (await _system!.ContactsAsync(location)).Count;
        }
    }

    private static Task<EmissionReport> Send(HttpClient http, IWebhookSigner signer, Uri target, IEnumerable<OutgoingWebhook> events, double rate, int seed, bool mixed)
    {
        var emitter = new WebhookEmitter(http, signer, new EmitterOptions
        {
            Target = target,
            Rate = rate,
            Concurrency = 32,
            DuplicatePercent = mixed ? 5 : 0,
            OutOfOrderPercent = mixed ? 5 : 0,
            BadSignaturePercent = mixed ? 3 : 0,
            Seed = seed,
            Timeout = TimeSpan.FromSeconds(10),
            MaxAttempts = 60,
            RetryDelay = TimeSpan.FromMilliseconds(500),
            MaxRetryDelay = TimeSpan.FromSeconds(5),
        });
        return Task.Run(() => emitter.SendAsync([.. events]));
    }

    private static void Say(string line) => TestContext.Progress.WriteLine($"[chaos {DateTime.UtcNow:HH:mm:ss}] {line}");

    /// <summary>Signs every delivery with a corrupted signature: each must be refused.</summary>
    private sealed class ForgingSigner(IWebhookSigner inner) : IWebhookSigner
    {
        public IReadOnlyList<KeyValuePair<string, string>> Sign(string eventId, ReadOnlySpan<byte> body, DateTimeOffset sentAt, bool corrupt) =>
            inner.Sign(eventId, body, sentAt, corrupt: true);
    }
}
