using System.Reflection;
using Microsoft.SqlServer.TransactSql.ScriptDom;
using Sync.Storage.Internal;
using Sync.Storage.Internal.SqlServer;

namespace Sync.Storage.Tests.Units;

/// <summary>
/// SQL Server may not run where the tests do, so every T-SQL statement and migration is at least parsed, always, by
/// Microsoft's own T-SQL parser (SQL Server 2022 grammar).
/// </summary>
[TestFixture]
public sealed class When_parsing_the_sql_server_sql
{
    /// <summary>Every public constant: the statements (private constants are fragments they are built from).</summary>
    public static IEnumerable<TestCaseData> Statements() =>
        typeof(SqlServerStatements)
            .GetFields(BindingFlags.Public | BindingFlags.Static)
            .Where(f => f is { IsLiteral: true } && f.FieldType == typeof(string))
            .Select(f => new TestCaseData(f.Name, (string)f.GetRawConstantValue()!).SetArgDisplayNames(f.Name));

    public static IEnumerable<TestCaseData> Migrations() =>
        DatabaseMigrator.ScriptNames(DatabaseProvider.SqlServer)
            .Select(name => new TestCaseData(name, ReadResource(name)).SetArgDisplayNames(name));

    [Test]
    public void Should_find_the_statements_and_migrations_to_parse()
    {
        using (Assert.EnterMultipleScope())
        {
            Assert.That(Statements().Select(s => (string)s.Arguments[0]!).ToList(), Has.Member("OutboxClaim").And.Member("ContactKeyUpsert").And.Count.GreaterThan(30));
            Assert.That(Migrations().Count(), Is.GreaterThanOrEqualTo(1));
        }
    }

    [TestCaseSource(nameof(Statements))]
    public void Should_parse_every_statement(string name, string sql) => AssertParses(name, sql);

    [TestCaseSource(nameof(Migrations))]
    public void Should_parse_every_migration(string name, string sql) => AssertParses(name, sql);

    [Test]
    public void Should_report_a_syntax_error_when_there_is_one()
    {
        var errors = Parse("UPDATE sync.outbox SET WHERE id = @Id");

        Assert.That(errors, Is.Not.Empty);
    }

    [Test]
    public void Should_hold_no_bare_merge()
    {
        var merges = Statements()
            .Select(c => (Name: (string)c.Arguments[0]!, Sql: (string)c.Arguments[1]!))
            .Where(s => s.Sql.Contains("MERGE", StringComparison.OrdinalIgnoreCase) && !s.Sql.Contains("HOLDLOCK", StringComparison.OrdinalIgnoreCase))
            .Select(s => s.Name);

        Assert.That(merges, Is.Empty);
    }

    private static void AssertParses(string name, string sql)
    {
        var errors = Parse(sql);

        Assert.That(errors, Is.Empty, $"{name} does not parse:\n{string.Join('\n', errors)}");
    }

    private static List<string> Parse(string sql)
    {
        var parser = new TSql160Parser(initialQuotedIdentifiers: true);
        using var reader = new StringReader(sql);
        parser.Parse(reader, out var errors);
        return errors.Select(e => $"line {e.Line}, column {e.Column}: {e.Message}").ToList();
    }

    private static string ReadResource(string name)
    {
        using var stream = typeof(DatabaseMigrator).Assembly.GetManifestResourceStream(name)!;
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
