namespace Sync.Storage.Internal.PostgreSql;

/// <summary>Statements that tell where messages of known ids stand (bulk imports).</summary>
internal static partial class PostgreSqlStatements
{
    /// <summary>
    /// Per known id its standing: processed (the consumer's inbox), dead-lettered (a new dead letter; ids there are
    /// text), else queued (in the outbox). <c>@Ids</c> is a uuid array, <c>@Texts</c> the same ids as text.
    /// </summary>
    public const string MessageStatuses = $"""
        SELECT i.message_id AS MessageId, 2 AS Standing, NULL AS Reason
        FROM {Tables.Inbox} AS i
        WHERE i.consumer = @Consumer AND i.message_id = ANY(@Ids)
        UNION ALL
        SELECT CAST(d.message_id AS uuid) AS MessageId, 1 AS Standing, left(d.fault_message, 500) AS Reason
        FROM {Tables.DeadLetters} AS d
        WHERE d.message_id = ANY(@Texts) AND d.status = 'new'
        UNION ALL
        SELECT DISTINCT o.message_id AS MessageId, 0 AS Standing, NULL AS Reason
        FROM {Tables.Outbox} AS o
        WHERE o.message_id = ANY(@Ids)
        """;
}
