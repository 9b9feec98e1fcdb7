using Sync.Contracts;
using Sync.Storage.Tests.Infrastructure;

namespace Sync.Storage.Tests.Contracts;

/// <summary>What every provider's contact index and staleness guard do.</summary>
public abstract class Contact_index_contract : StorageFixture
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 26, 12, 0, 0, TimeSpan.Zero);

    private IContactIndexStore Index => Get<IContactIndexStore>();

    [Test]
    public async Task Should_find_a_contact_by_each_of_its_keys()
    {
        var location = Unique("loc");
        var keys = new[] { ContactKey.Email("jane@example.com"), ContactKey.Phone("+1 555 0100"), ContactKey.ExternalId("crm-42") };
        await InUnitOfWork(uow => Index.UpsertKeysAsync(uow, location, keys.Select(k => new ContactKeyEntry(k, "contact-1")).ToList(), None));

        var found = new List<string?>();
        foreach (var key in keys)
        {
            found.Add(await Index.FindContactIdAsync(location, key, None));
        }

        Assert.That(found, Is.All.EqualTo("contact-1"));
    }

    [Test]
    public async Task Should_find_an_email_however_it_is_cased_or_padded()
    {
        var location = Unique("loc");
        await InUnitOfWork(uow => Index.UpsertKeysAsync(uow, location, [new(ContactKey.Email("Jane@Example.com"), "contact-1")], None));

        var found = await Index.FindContactIdAsync(location, ContactKey.Email("  JANE@example.COM "), None);

        Assert.That(found, Is.EqualTo("contact-1"));
    }

    [Test]
    public async Task Should_compare_external_ids_exactly()
    {
        var location = Unique("loc");
        await InUnitOfWork(uow => Index.UpsertKeysAsync(uow, location, [new(ContactKey.ExternalId("ABC-1"), "contact-1")], None));

        var found = await Index.FindContactIdAsync(location, ContactKey.ExternalId("abc-1"), None);

        Assert.That(found, Is.Null);
    }

    [Test]
    public async Task Should_point_a_key_at_the_contact_it_was_last_given()
    {
        var location = Unique("loc");
        var email = ContactKey.Email("shared@example.com");
        await InUnitOfWork(uow => Index.UpsertKeysAsync(uow, location, [new(email, "contact-1")], None));
        await InUnitOfWork(uow => Index.UpsertKeysAsync(uow, location, [new(email, "contact-2")], None));

        var found = await Index.FindContactIdAsync(location, email, None);

        Assert.That(found, Is.EqualTo("contact-2"));
    }

    [Test]
    public async Task Should_take_the_last_entry_when_a_batch_repeats_a_key()
    {
        var location = Unique("loc");
        var email = ContactKey.Email("twice@example.com");
        await InUnitOfWork(uow => Index.UpsertKeysAsync(uow, location, [new(email, "contact-1"), new(email, "contact-2")], None));

        var found = await Index.FindContactIdAsync(location, email, None);

        Assert.That(found, Is.EqualTo("contact-2"));
    }

    [Test]
    public async Task Should_keep_locations_apart()
    {
        var email = ContactKey.Email("jane@example.com");
        var location = Unique("loc");
        await InUnitOfWork(uow => Index.UpsertKeysAsync(uow, location, [new(email, "contact-1")], None));

        var elsewhere = await Index.FindContactIdAsync(Unique("loc"), email, None);

        Assert.That(elsewhere, Is.Null);
    }

    [Test]
    public async Task Should_find_the_known_keys_among_many()
    {
        var location = Unique("loc");
        await InUnitOfWork(uow => Index.UpsertKeysAsync(
            uow, location, [new(ContactKey.Email("a@example.com"), "contact-a"), new(ContactKey.Phone("+15550100"), "contact-b")], None));

        var found = await Index.FindAsync(
            location, [ContactKey.Email("A@example.com"), ContactKey.Phone("+1 555 0100"), ContactKey.ExternalId("unknown")], None);

        Assert.That(found, Is.EquivalentTo(new[]
        {
            new ContactKeyEntry(ContactKey.Email("a@example.com"), "contact-a"),
            new ContactKeyEntry(ContactKey.Phone("+15550100"), "contact-b"),
        }));
    }

    [Test]
    public async Task Should_list_the_keys_of_a_contact()
    {
        var location = Unique("loc");
        await InUnitOfWork(uow => Index.UpsertKeysAsync(
            uow, location, [new(ContactKey.Email("a@example.com"), "contact-a"), new(ContactKey.ExternalId("x-1"), "contact-a"), new(ContactKey.Email("b@example.com"), "contact-b")], None));

        var keys = await Index.GetKeysAsync(location, "contact-a", None);

        Assert.That(keys, Is.EquivalentTo(new[] { ContactKey.Email("a@example.com"), ContactKey.ExternalId("x-1") }));
    }

    [Test]
    public async Task Should_accept_the_first_event_of_a_contact()
    {
        var fresh = await Advance(Unique("loc"), "contact-1", T0);

        Assert.That(fresh, Is.True);
    }

    [Test]
    public async Task Should_accept_a_newer_event()
    {
        var location = Unique("loc");
        await Advance(location, "contact-1", T0);

        var fresh = await Advance(location, "contact-1", T0.AddSeconds(1));

        Assert.That(fresh, Is.True);
    }

    [Test]
    public async Task Should_skip_an_event_older_than_one_applied()
    {
        var location = Unique("loc");
        await Advance(location, "contact-1", T0);

        var fresh = await Advance(location, "contact-1", T0.AddTicks(-10));

        Assert.That(fresh, Is.False);
    }

    [Test]
    public async Task Should_accept_an_event_at_the_same_time_as_one_applied()
    {
        var location = Unique("loc");
        await Advance(location, "contact-1", T0);

        var fresh = await Advance(location, "contact-1", T0);

        Assert.That(fresh, Is.True);
    }

    [Test]
    public async Task Should_keep_the_newest_time_after_skipping_an_older_event()
    {
        var location = Unique("loc");
        await Advance(location, "contact-1", T0.AddMinutes(5));
        await Advance(location, "contact-1", T0);

        var fresh = await Advance(location, "contact-1", T0.AddMinutes(4));

        Assert.That(fresh, Is.False);
    }

    [Test]
    public async Task Should_forget_an_advance_whose_unit_of_work_rolls_back()
    {
        var location = Unique("loc");
        await using (var unitOfWork = await Get<IUnitOfWorkFactory>().BeginAsync(None))
        {
            await Index.TryAdvanceContactAsync(unitOfWork, location, "contact-1", T0.AddHours(1), None);
        }

        var fresh = await Advance(location, "contact-1", T0);

        Assert.That(fresh, Is.True);
    }

    [Test]
    public async Task Should_skip_an_add_older_than_a_later_remove_of_the_same_tag()
    {
        var location = Unique("loc");
        await AdvanceTags(location, "contact-1", T0.AddSeconds(10), new TagChange("vip", TagOperation.Remove));

        var applied = await AdvanceTags(location, "contact-1", T0, new TagChange("vip", TagOperation.Add));

        Assert.That(applied, Is.Empty);
    }

    [Test]
    public async Task Should_apply_a_remove_newer_than_an_add_of_the_same_tag()
    {
        var location = Unique("loc");
        await AdvanceTags(location, "contact-1", T0, new TagChange("vip", TagOperation.Add));

        var applied = await AdvanceTags(location, "contact-1", T0.AddSeconds(1), new TagChange("vip", TagOperation.Remove));

        Assert.That(applied, Is.EqualTo(new[] { new TagChange("vip", TagOperation.Remove) }));
    }

    [Test]
    public async Task Should_compare_tag_names_ignoring_case_and_padding()
    {
        var location = Unique("loc");
        await AdvanceTags(location, "contact-1", T0.AddSeconds(10), new TagChange("VIP", TagOperation.Remove));

        var applied = await AdvanceTags(location, "contact-1", T0, new TagChange(" vip ", TagOperation.Add));

        Assert.That(applied, Is.Empty);
    }

    [Test]
    public async Task Should_judge_each_tag_on_its_own_time()
    {
        var location = Unique("loc");
        await AdvanceTags(location, "contact-1", T0.AddSeconds(10), new TagChange("newer", TagOperation.Add));

        var applied = await AdvanceTags(
            location, "contact-1", T0, new TagChange("Newer", TagOperation.Remove), new TagChange("Other", TagOperation.Add));

        Assert.That(applied, Is.EqualTo(new[] { new TagChange("other", TagOperation.Add) }));
    }

    [Test]
    public async Task Should_apply_the_last_change_when_an_event_repeats_a_tag()
    {
        var location = Unique("loc");

        var applied = await AdvanceTags(
            location, "contact-1", T0, new TagChange("vip", TagOperation.Add), new TagChange("VIP", TagOperation.Remove));

        Assert.That(applied, Is.EqualTo(new[] { new TagChange("vip", TagOperation.Remove) }));
    }

    [Test]
    public async Task Should_take_back_a_change_to_what_the_record_said_before_it()
    {
        var location = Unique("loc");
        await AdvanceTags(location, "contact-1", T0, new TagChange("vip", TagOperation.Add));

        await InUnitOfWork(async uow =>
        {
            await Index.TryAdvanceTagsAsync(uow, location, "contact-1", [new TagChange("vip", TagOperation.Add)], T0.AddSeconds(30), None);
            await Index.RevertTagsAsync(uow, location, "contact-1", [" VIP "], None);
        });

        var versions = await Index.FindTagVersionsAsync(location, ["contact-1"], "vip", None);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(versions.Select(v => (v.Operation, v.LastOccurredAt)), Is.EqualTo(new[] { (TagOperation.Add, T0) }),
                "the record says again what it said before the change taken back");
            Assert.That(await AdvanceTags(location, "contact-1", T0.AddSeconds(10), new TagChange("vip", TagOperation.Remove)), Has.Count.EqualTo(1),
                "a change older than the one taken back is fresh");
        }
    }

    [Test]
    public async Task Should_take_back_a_change_that_created_the_record_by_removing_it()
    {
        var location = Unique("loc");

        await InUnitOfWork(async uow =>
        {
            await Index.TryAdvanceTagsAsync(uow, location, "contact-1",
                [new TagChange("vip", TagOperation.Add), new TagChange("kept", TagOperation.Add)], T0.AddSeconds(30), None);
            await Index.RevertTagsAsync(uow, location, "contact-1", ["vip"], None);
        });

        using (Assert.EnterMultipleScope())
        {
            Assert.That(await Index.FindTagVersionsAsync(location, ["contact-1"], "vip", None), Is.Empty, "the record it created is gone");
            Assert.That((await Index.FindTagVersionsAsync(location, ["contact-1"], "kept", None)).Select(v => v.LastOccurredAt),
                Is.EqualTo(new[] { T0.AddSeconds(30) }), "another tag of the same change is kept");
        }
    }

    [Test]
    public async Task Should_take_back_only_the_last_change_once_committed_changes_came_before()
    {
        var location = Unique("loc");
        await AdvanceTags(location, "contact-1", T0, new TagChange("vip", TagOperation.Add));
        await AdvanceTags(location, "contact-1", T0.AddSeconds(10), new TagChange("vip", TagOperation.Remove));

        await InUnitOfWork(async uow =>
        {
            await Index.TryAdvanceTagsAsync(uow, location, "contact-1", [new TagChange("vip", TagOperation.Add)], T0.AddSeconds(20), None);
            await Index.RevertTagsAsync(uow, location, "contact-1", ["vip"], None);
        });

        Assert.That((await Index.FindTagVersionsAsync(location, ["contact-1"], "vip", None)).Select(v => (v.Operation, v.LastOccurredAt)),
            Is.EqualTo(new[] { (TagOperation.Remove, T0.AddSeconds(10)) }));
    }

    [Test]
    public async Task Should_judge_tags_apart_from_the_contact()
    {
        var location = Unique("loc");
        await Advance(location, "contact-1", T0.AddHours(1));

        var applied = await AdvanceTags(location, "contact-1", T0, new TagChange("vip", TagOperation.Add));

        Assert.That(applied, Has.Count.EqualTo(1));
    }

    [Test]
    public async Task Should_forget_one_contact_and_only_that_contact()
    {
        var location = Unique("loc");
        await InUnitOfWork(uow => Index.UpsertKeysAsync(
            uow, location, [new(ContactKey.Email("a@example.com"), "contact-a"), new(ContactKey.Email("b@example.com"), "contact-b")], None));
        await Advance(location, "contact-a", T0.AddHours(1));

        await InUnitOfWork(uow => Index.DeleteContactAsync(uow, location, "contact-a", None));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(await Index.FindContactIdAsync(location, ContactKey.Email("a@example.com"), None), Is.Null);
            Assert.That(await Index.FindContactIdAsync(location, ContactKey.Email("b@example.com"), None), Is.EqualTo("contact-b"));
            Assert.That(await Advance(location, "contact-a", T0), Is.True, "its freshness record is gone too");
        }
    }

    [Test]
    public async Task Should_forget_a_whole_location_and_nothing_else()
    {
        var uninstalled = Unique("loc");
        var kept = Unique("loc");
        foreach (var location in new[] { uninstalled, kept })
        {
            await InUnitOfWork(uow => Index.UpsertKeysAsync(uow, location, [new(ContactKey.Email("a@example.com"), "contact-a")], None));
            await Advance(location, "contact-a", T0.AddHours(1));
            await AdvanceTags(location, "contact-a", T0.AddHours(1), new TagChange("vip", TagOperation.Add));
        }

        var removed = 0;
        await InUnitOfWork(async uow => removed = await Index.DeleteLocationAsync(uow, uninstalled, None));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(removed, Is.EqualTo(3));
            Assert.That(await Index.FindContactIdAsync(uninstalled, ContactKey.Email("a@example.com"), None), Is.Null);
            Assert.That(await Index.FindContactIdAsync(kept, ContactKey.Email("a@example.com"), None), Is.EqualTo("contact-a"));
            Assert.That(await Advance(kept, "contact-a", T0), Is.False, "the other location's guard is intact");
        }
    }

    [Test]
    public async Task Should_mark_a_new_message_and_guard_its_changes_in_one_call()
    {
        var location = Unique("loc");
        var messageId = Guid.NewGuid();
        await AdvanceTags(location, "contact-1", T0.AddSeconds(10), new TagChange("~field:city", TagOperation.Add));

        IReadOnlyList<TagChange>? fresh;
        await using (var unitOfWork = await Get<IUnitOfWorkFactory>().BeginAsync(None))
        {
            fresh = (await Index.TryMarkAndAdvanceManyAsync(unitOfWork, "consumer-a",
                [new GuardedMark(messageId, location, "contact-1", [new TagChange("~field:City", TagOperation.Add), new TagChange("~field:name", TagOperation.Add)], T0)],
                None))[0];
            await Index.UpsertKeysOfLocationsAndCommitAsync(unitOfWork, [new LocatedKeyEntry(location, new(ContactKey.Email("mark@example.com"), "contact-1"))], None);
        }

        Assert.Multiple(async () =>
        {
            Assert.That(fresh, Is.EqualTo(new[] { new TagChange("~field:name", TagOperation.Add) }), "city has a newer change; name is new");
            Assert.That(await Get<IInboxStore>().IsProcessedAsync("consumer-a", messageId, None), Is.True, "the mark committed");
            Assert.That(await Get<IInboxStore>().IsProcessedAsync("consumer-b", messageId, None), Is.False, "marked for its consumer only");
            Assert.That(await Index.FindContactIdAsync(location, ContactKey.Email("mark@example.com"), None), Is.EqualTo("contact-1"));
            Assert.That(await AdvanceTags(location, "contact-1", T0.AddSeconds(-1), new TagChange("~field:name", TagOperation.Add)), Is.Empty,
                "the guard's advance committed with the keys");
        });
    }

    [Test]
    public async Task Should_report_a_marked_message_and_advance_nothing_of_its_guard_even_when_the_unit_of_work_commits()
    {
        var location = Unique("loc");
        var messageId = Guid.NewGuid();
        await InUnitOfWork(async uow => await Index.TryMarkAndAdvanceManyAsync(uow, "consumer-a",
            [new GuardedMark(messageId, location, "contact-1", [new TagChange("vip", TagOperation.Add)], T0)], None));

        IReadOnlyList<TagChange>? again = [];
        await InUnitOfWork(async uow => again = (await Index.TryMarkAndAdvanceManyAsync(uow, "consumer-a",
            [new GuardedMark(messageId, location, "contact-1", [new TagChange("vip", TagOperation.Remove)], T0.AddSeconds(20))], None))[0]);

        var later = await AdvanceTags(location, "contact-1", T0.AddSeconds(10), new TagChange("vip", TagOperation.Remove));

        Assert.Multiple(() =>
        {
            Assert.That(again, Is.Null, "already marked");
            Assert.That(later, Is.EqualTo(new[] { new TagChange("vip", TagOperation.Remove) }), "the duplicate advanced nothing");
        });
    }

    [Test]
    public async Task Should_commit_with_the_keys_and_refuse_a_second_commit()
    {
        var location = Unique("loc");
        var messageId = Guid.NewGuid();
        await using (var unitOfWork = await Get<IUnitOfWorkFactory>().BeginAsync(None))
        {
            await Get<IInboxStore>().TryMarkProcessedAsync(unitOfWork, "consumer-a", messageId, None);
            await Index.UpsertKeysOfLocationsAndCommitAsync(unitOfWork, [new LocatedKeyEntry(location, new(ContactKey.Phone("+1 555 0100"), "contact-9"))], None);

            Assert.That(async () => await unitOfWork.CommitAsync(None), Throws.InvalidOperationException);
        }

        Assert.Multiple(async () =>
        {
            Assert.That(await Get<IInboxStore>().IsProcessedAsync("consumer-a", messageId, None), Is.True);
            Assert.That(await Index.FindContactIdAsync(location, ContactKey.Phone("+1 555 0100"), None), Is.EqualTo("contact-9"));
        });
    }

    [Test]
    public async Task Should_commit_nothing_when_the_keys_cannot_be_written()
    {
        var location = Unique("loc");
        var messageId = Guid.NewGuid();
        await using (var unitOfWork = await Get<IUnitOfWorkFactory>().BeginAsync(None))
        {
            await Get<IInboxStore>().TryMarkProcessedAsync(unitOfWork, "consumer-a", messageId, None);
            var tooLong = new string('c', 65); // the column holds 64 characters

            Assert.That(async () => await Index.UpsertKeysOfLocationsAndCommitAsync(unitOfWork, [new LocatedKeyEntry(location, new(ContactKey.ExternalId("long"), tooLong))], None),
                Throws.InstanceOf<System.Data.Common.DbException>());
        }

        // The failed statement's COMMIT never ran, and the pooled connection is usable again.
        Assert.That(await Get<IInboxStore>().IsProcessedAsync("consumer-a", messageId, None), Is.False);
        await InUnitOfWork(uow => Index.UpsertKeysAsync(uow, location, [new(ContactKey.ExternalId("short"), "contact-1")], None));
        Assert.That(await Index.FindContactIdAsync(location, ContactKey.ExternalId("short"), None), Is.EqualTo("contact-1"));
    }

    [Test]
    public async Task Should_mark_and_guard_many_messages_at_once_and_advance_only_those_new_to_the_inbox()
    {
        var location = Unique("loc");
        var other = Unique("loc");
        var (already, fresh, partlyStale) = (Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid());
        await InUnitOfWork(uow => Get<IInboxStore>().TryMarkProcessedAsync(uow, "consumer-a", already, None));
        await AdvanceTags(location, "contact-3", T0.AddSeconds(10), new TagChange("~field:city", TagOperation.Add));

        IReadOnlyList<IReadOnlyList<TagChange>?> results;
        await using (var unitOfWork = await Get<IUnitOfWorkFactory>().BeginAsync(None))
        {
            results = await Index.TryMarkAndAdvanceManyAsync(unitOfWork, "consumer-a",
            [
                new GuardedMark(partlyStale, location, "contact-3", [new TagChange("~field:City", TagOperation.Add), new TagChange("~field:name", TagOperation.Add)], T0),
                new GuardedMark(already, location, "contact-1", [new TagChange("~field:name", TagOperation.Add)], T0),
                new GuardedMark(fresh, other, "contact-2", [new TagChange("~field:phone", TagOperation.Add), new TagChange("~exists", TagOperation.Add)], T0),
            ], None);
            await Index.UpsertKeysOfLocationsAndCommitAsync(unitOfWork,
            [
                new LocatedKeyEntry(other, new(ContactKey.Email("two@example.com"), "crm-2")),
                new LocatedKeyEntry(location, new(ContactKey.Email("three@example.com"), "crm-3")),
                new LocatedKeyEntry(location, new(ContactKey.Phone("+1 555 0103"), "crm-3")),
            ], None);
        }

        Assert.Multiple(async () =>
        {
            Assert.That(results, Has.Count.EqualTo(3), "one result per mark, in the caller's order");
            Assert.That(results[0], Is.EqualTo(new[] { new TagChange("~field:name", TagOperation.Add) }), "city has a newer change; name is new");
            Assert.That(results[1], Is.Null, "already marked");
            Assert.That(results[2], Is.EqualTo(new[] { new TagChange("~exists", TagOperation.Add), new TagChange("~field:phone", TagOperation.Add) }));
            Assert.That(await Get<IInboxStore>().IsProcessedAsync("consumer-a", fresh, None), Is.True, "the marks committed");
            Assert.That(await Get<IInboxStore>().IsProcessedAsync("consumer-a", partlyStale, None), Is.True);
            Assert.That(await AdvanceTags(location, "contact-1", T0.AddSeconds(-1), new TagChange("~field:name", TagOperation.Add)), Has.Count.EqualTo(1),
                "a message already marked advances nothing");
            Assert.That(await AdvanceTags(other, "contact-2", T0.AddSeconds(-1), new TagChange("~field:phone", TagOperation.Add)), Is.Empty,
                "the guard's advance committed with the keys");
            Assert.That(await Index.FindContactIdAsync(other, ContactKey.Email("two@example.com"), None), Is.EqualTo("crm-2"));
            Assert.That(await Index.FindContactIdAsync(location, ContactKey.Phone("+1 555 0103"), None), Is.EqualTo("crm-3"));
            Assert.That(await Index.FindContactIdAsync(location, ContactKey.Email("two@example.com"), None), Is.Null, "keys stay in their own location");
        });
    }

    [Test]
    public async Task Should_take_back_one_message_of_a_batch_and_commit_the_others()
    {
        var location = Unique("loc");
        var (failed, applied) = (Guid.NewGuid(), Guid.NewGuid());
        await AdvanceTags(location, "contact-1", T0, new TagChange("~field:city", TagOperation.Add));

        await using (var unitOfWork = await Get<IUnitOfWorkFactory>().BeginAsync(None))
        {
            var results = await Index.TryMarkAndAdvanceManyAsync(unitOfWork, "consumer-a",
            [
                new GuardedMark(failed, location, "contact-1", [new TagChange("~field:city", TagOperation.Add), new TagChange("~field:name", TagOperation.Add)], T0.AddSeconds(20)),
                new GuardedMark(applied, location, "contact-2", [new TagChange("~field:city", TagOperation.Add)], T0.AddSeconds(20)),
            ], None);
            Assert.That(results[0], Has.Count.EqualTo(2), "both of the first message's fields were fresh");

            await Get<IInboxStore>().UnmarkAsync(unitOfWork, "consumer-a", failed, None);
            await Index.RevertTagsAsync(unitOfWork, location, "contact-1", results[0]!.Select(c => c.Tag).ToList(), None);
            await Index.UpsertKeysOfLocationsAndCommitAsync(unitOfWork, [new LocatedKeyEntry(location, new(ContactKey.Email("two@example.com"), "crm-2"))], None);
        }

        Assert.Multiple(async () =>
        {
            Assert.That(await Get<IInboxStore>().IsProcessedAsync("consumer-a", failed, None), Is.False, "its redelivery is applied, not dropped");
            Assert.That(await Get<IInboxStore>().IsProcessedAsync("consumer-a", applied, None), Is.True);
            Assert.That(await AdvanceTags(location, "contact-1", T0.AddSeconds(10), new TagChange("~field:city", TagOperation.Add), new TagChange("~field:name", TagOperation.Add)),
                Has.Count.EqualTo(2), "the guard says again what it said before: city at T0, name never");
            Assert.That(await AdvanceTags(location, "contact-2", T0.AddSeconds(10), new TagChange("~field:city", TagOperation.Add)), Is.Empty,
                "the other message's advance committed");
        });
    }

    [Test]
    public async Task Should_refuse_a_batch_that_names_one_contact_twice()
    {
        var location = Unique("loc");
        await using var unitOfWork = await Get<IUnitOfWorkFactory>().BeginAsync(None);
        Assert.That(async () => await Index.TryMarkAndAdvanceManyAsync(unitOfWork, "consumer-a",
        [
            new GuardedMark(Guid.NewGuid(), location, "contact-1", [new TagChange("~exists", TagOperation.Add)], T0),
            new GuardedMark(Guid.NewGuid(), location, "contact-1", [new TagChange("~exists", TagOperation.Add)], T0.AddSeconds(1)),
        ], None), Throws.ArgumentException.With.Message.Contains("distinct contacts"));
    }

    private async Task InUnitOfWork(Func<IUnitOfWork, Task> work)
    {
        await using var unitOfWork = await Get<IUnitOfWorkFactory>().BeginAsync(None);
        await work(unitOfWork);
        await unitOfWork.CommitAsync(None);
    }

    private async Task<bool> Advance(string location, string contact, DateTimeOffset occurredAt)
    {
        var fresh = false;
        await InUnitOfWork(async uow => fresh = await Index.TryAdvanceContactAsync(uow, location, contact, occurredAt, None));
        return fresh;
    }

    private async Task<IReadOnlyList<TagChange>> AdvanceTags(string location, string contact, DateTimeOffset occurredAt, params TagChange[] changes)
    {
        IReadOnlyList<TagChange> applied = [];
        await InUnitOfWork(async uow => applied = await Index.TryAdvanceTagsAsync(uow, location, contact, changes, occurredAt, None));
        return applied;
    }
}

[TestFixture]
public sealed class When_the_contact_index_is_on_postgresql : Contact_index_contract
{
    protected override DatabaseProvider Provider => DatabaseProvider.PostgreSql;
}

[TestFixture]
public sealed class When_the_contact_index_is_on_sql_server : Contact_index_contract
{
    protected override DatabaseProvider Provider => DatabaseProvider.SqlServer;
}
