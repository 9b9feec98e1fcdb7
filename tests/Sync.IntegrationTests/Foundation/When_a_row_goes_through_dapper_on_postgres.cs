using Dapper;
using Npgsql;
using Sync.Testing;

namespace Sync.IntegrationTests.Foundation;

[TestFixture]
public sealed class When_a_row_goes_through_dapper_on_postgres
{
    private PostgresTestDatabase _database = null!;

    [OneTimeSetUp]
    public async Task Create_database() => _database = await PostgresTestDatabase.CreateAsync();

    [OneTimeTearDown]
    public async Task Drop_database()
    {
        if (_database is not null)
        {
            await _database.DisposeAsync();
        }
    }

    [Test]
    public async Task Should_read_back_what_was_written_in_a_transaction()
    {
        await using var connection = new NpgsqlConnection(_database.ConnectionString);
        await connection.OpenAsync();
        await using (var tx = await connection.BeginTransactionAsync())
        {
            await connection.ExecuteAsync(new CommandDefinition(
                "CREATE TABLE probe (id uuid PRIMARY KEY, email text NOT NULL, seen_at timestamptz NOT NULL)", transaction: tx));
            await connection.ExecuteAsync(new CommandDefinition(
                "INSERT INTO probe (id, email, seen_at) VALUES (@Id, @Email, @SeenAt)",
                new Probe(Guid.Parse("0b8f8b9e-33a3-4c55-9d0e-52a0d7f1f001"), "Jane@Example.com", new DateTime(2026, 11, 26, 12, 0, 0, DateTimeKind.Utc)),
                tx));
            await tx.CommitAsync();
        }

        var row = await connection.QuerySingleAsync<Probe>(new CommandDefinition(
            "SELECT id AS Id, email AS Email, seen_at AS SeenAt FROM probe WHERE email = @Email",
            new { Email = "Jane@Example.com" }));

        Assert.Multiple(() =>
        {
            Assert.That(row.Id, Is.EqualTo(Guid.Parse("0b8f8b9e-33a3-4c55-9d0e-52a0d7f1f001")));
            Assert.That(row.SeenAt, Is.EqualTo(new DateTime(2026, 11, 26, 12, 0, 0, DateTimeKind.Utc)));
        });
    }

    [Test]
    public async Task Should_not_keep_what_a_rolled_back_transaction_wrote()
    {
        await using var connection = new NpgsqlConnection(_database.ConnectionString);
        await connection.OpenAsync();
        await connection.ExecuteAsync(new CommandDefinition("CREATE TABLE IF NOT EXISTS rollback_probe (id int PRIMARY KEY)"));
        await using (var tx = await connection.BeginTransactionAsync())
        {
            await connection.ExecuteAsync(new CommandDefinition("INSERT INTO rollback_probe (id) VALUES (@Id)", new { Id = 7 }, tx));
            await tx.RollbackAsync();
        }

        var count = await connection.ExecuteScalarAsync<long>(new CommandDefinition("SELECT count(*) FROM rollback_probe"));

        Assert.That(count, Is.Zero);
    }

    private sealed record Probe(Guid Id, string Email, DateTime SeenAt);
}
