using Sync.HoopAi.Api;

namespace Sync.Admin.Tests.Reconcile;

/// <summary>The API client's paging reader against the sandbox: both listings, resuming from a stored cursor, the budget.</summary>
public sealed class When_reading_contact_pages_for_Reconcile
{
    private ReconcileSandbox _world = null!;
    private IReadOnlyList<string> _ids = [];

    [OneTimeSetUp]
    public async Task Start()
    {
        _world = await ReconcileSandbox.StartAsync();
        _ids = await _world.SeedAsync(250, "pager");
    }

    [OneTimeTearDown]
    public async Task Stop() => await _world.DisposeAsync();

    private async Task<List<ContactPage>> ReadAsync(ContactPagingOptions options)
    {
        var pages = new List<ContactPage>();
        await foreach (var page in _world.Client.ReadContactPagesAsync(_world.LocationId, options, CancellationToken.None))
        {
            pages.Add(page);
        }

        return pages;
    }

    [TestCase(ContactPagingMode.Search)]
    [TestCase(ContactPagingMode.Legacy)]
    public async Task Should_return_every_contact_once_in_creation_order(ContactPagingMode mode)
    {
        var pages = await ReadAsync(new ContactPagingOptions { Mode = mode, PageSize = 100 });

        using (Assert.EnterMultipleScope())
        {
            Assert.That(pages.SelectMany(p => p.Contacts).Select(c => c.Contact.Id).ToList(), Is.EqualTo(_ids));
            Assert.That(pages.Select(p => p.Contacts.Count), Is.EqualTo(new[] { 100, 100, 50 }));
            Assert.That(pages[^1].IsLast, Is.True);
        }
    }

    [TestCase(ContactPagingMode.Search)]
    [TestCase(ContactPagingMode.Legacy)]
    public async Task Should_resume_after_a_stored_cursor(ContactPagingMode mode)
    {
        var first = (await ReadAsync(new ContactPagingOptions { Mode = mode, PageSize = 60 }))[0];
        var stored = first.Cursor!.Serialize();

        var rest = await ReadAsync(new ContactPagingOptions { Mode = mode, PageSize = 60, StartAfter = ContactCursor.Parse(stored) });

        Assert.That(first.Contacts.Concat(rest.SelectMany(p => p.Contacts)).Select(c => c.Contact.Id).ToList(), Is.EqualTo(_ids));
    }

    [Test]
    public async Task Should_spend_the_locations_shared_budget_on_every_page()
    {
        var before = await DailyUsedAsync();

        var pages = await ReadAsync(new ContactPagingOptions { PageSize = 30, BudgetShare = 0.5 });

        Assert.That(await DailyUsedAsync() - before, Is.EqualTo(pages.Count));
    }

    [Test]
    public async Task Should_carry_every_field_the_api_returned()
    {
        var page = (await ReadAsync(new ContactPagingOptions { PageSize = 500 }))[0];

        var contact = page.Contacts[7];
        using (Assert.EnterMultipleScope())
        {
            Assert.That(contact.Contact.Email, Is.EqualTo("pager7@example.com"));
            Assert.That(contact.Json.GetProperty("lastName").GetString(), Is.EqualTo("Last7"));
            Assert.That(contact.Json.GetProperty("dateAdded").GetString(), Is.Not.Empty);
        }
    }

    private async Task<int> DailyUsedAsync() =>
        await _world.Database.ScalarAsync<int>("SELECT COALESCE(SUM(daily_used), 0)::int FROM sync.rate_limits WHERE location_id = @l", ("l", _world.LocationId));
}
