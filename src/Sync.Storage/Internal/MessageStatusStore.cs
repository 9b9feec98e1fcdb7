using System.Text.Json;
using Dapper;
using Sync.Storage.Internal.PostgreSql;
using Sync.Storage.Internal.SqlServer;

namespace Sync.Storage.Internal;

/// <summary>Where messages stand, over either provider; the SQL comes from the provider's statements class.</summary>
internal abstract class MessageStatusStore(StorageDatabase database, string sql) : IMessageStatusStore
{
    /// <summary>The most ids one call may ask about (both providers pass them as one parameter).</summary>
    internal const int MaxIds = 10_000;

    public async Task<IReadOnlyDictionary<Guid, MessageStatus>> GetStatusesAsync(
        string consumer, IReadOnlyCollection<Guid> messageIds, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(consumer);
        ArgumentNullException.ThrowIfNull(messageIds);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(messageIds.Count, MaxIds, nameof(messageIds));
        var statuses = new Dictionary<Guid, MessageStatus>(messageIds.Count);
        if (messageIds.Count == 0)
        {
            return statuses;
        }

        await using var connection = await database.OpenAsync(cancellationToken);
        var rows = await connection.QueryAsync<Row>(database.Command(sql, Parameters(consumer, messageIds), transaction: null, cancellationToken));
        foreach (var row in rows)
        {
            if (row.MessageId is not { } id)
            {
                continue;
            }

            // The strongest standing wins: applied over dead-lettered over queued.
            var standing = (MessageStanding)row.Standing;
            if (!statuses.TryGetValue(id, out var known) || known.Standing < standing)
            {
                statuses[id] = new MessageStatus(id, standing, row.Reason);
            }
        }

        return statuses;
    }

    /// <summary>How the consumer and the ids travel as parameters.</summary>
    protected abstract object Parameters(string consumer, IReadOnlyCollection<Guid> messageIds);

    private sealed class Row
    {
        public Guid? MessageId { get; set; }

        public int Standing { get; set; }

        public string? Reason { get; set; }
    }
}

internal sealed class SqlServerMessageStatusStore(StorageDatabase database) : MessageStatusStore(database, SqlServerStatements.MessageStatuses)
{
    protected override object Parameters(string consumer, IReadOnlyCollection<Guid> messageIds) =>
        new { Consumer = consumer, Ids = JsonSerializer.Serialize(messageIds.Select(id => id.ToString("D"))) };
}

internal sealed class PostgreSqlMessageStatusStore(StorageDatabase database) : MessageStatusStore(database, PostgreSqlStatements.MessageStatuses)
{
    protected override object Parameters(string consumer, IReadOnlyCollection<Guid> messageIds) =>
        new { Consumer = consumer, Ids = messageIds.ToArray(), Texts = messageIds.Select(id => id.ToString("D")).ToArray() };
}
