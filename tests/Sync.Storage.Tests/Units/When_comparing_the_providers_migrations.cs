using System.Text.RegularExpressions;
using Sync.Storage.Internal;

namespace Sync.Storage.Tests.Units;

/// <summary>Both providers' migrations stay in step: same scripts, same tables, the tables the statements use.</summary>
[TestFixture]
public sealed partial class When_comparing_the_providers_migrations
{
    [Test]
    public void Should_have_the_same_numbered_scripts()
    {
        var sqlServer = ScriptFiles(DatabaseProvider.SqlServer);
        var postgres = ScriptFiles(DatabaseProvider.PostgreSql);

        Assert.That(sqlServer, Is.EqualTo(postgres).And.Not.Empty);
    }

    [Test]
    public void Should_number_every_script()
    {
        var names = ScriptFiles(DatabaseProvider.SqlServer).Concat(ScriptFiles(DatabaseProvider.PostgreSql));

        Assert.That(names, Is.All.Match("^[0-9]{4}_[a-z0-9_]+\\.sql$"));
    }

    [TestCase(DatabaseProvider.SqlServer)]
    [TestCase(DatabaseProvider.PostgreSql)]
    public void Should_create_exactly_the_tables_the_statements_name(DatabaseProvider provider)
    {
        var created = DatabaseMigrator.ScriptNames(provider)
            .SelectMany(name => CreateTable().Matches(Read(name)).Select(m => m.Groups["table"].Value))
            .ToList();

        Assert.That(created, Is.EquivalentTo(Tables.All));
    }

    private static IEnumerable<string> ScriptFiles(DatabaseProvider provider) =>
        DatabaseMigrator.ScriptNames(provider).Select(name => name[DatabaseMigrator.ScriptPrefix(provider).Length..]);

    private static string Read(string name)
    {
        using var stream = typeof(DatabaseMigrator).Assembly.GetManifestResourceStream(name)!;
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    [GeneratedRegex(@"CREATE TABLE sync\.(?<table>[a-z_]+)", RegexOptions.IgnoreCase)]
    private static partial Regex CreateTable();
}
