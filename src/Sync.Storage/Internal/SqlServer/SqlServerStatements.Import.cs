namespace Sync.Storage.Internal.SqlServer;

/// <summary>Statements that tell where messages of known ids stand (bulk imports).</summary>
internal static partial class SqlServerStatements
{
    /// <summary>
    /// Per known id its standing: processed (the consumer's inbox), dead-lettered (a new dead letter; ids there are
    /// text), else queued (in the outbox). <c>@Ids</c> is a JSON array of the ids as text.
    /// </summary>
    public const string MessageStatuses = $"""
        SELECT i.message_id AS MessageId, 2 AS Standing, CAST(NULL AS nvarchar(500)) AS Reason
        FROM {Tables.Inbox} AS i
        INNER JOIN OPENJSON(@Ids) WITH (id uniqueidentifier '$') AS q ON i.message_id = q.id
        WHERE i.consumer = @Consumer
        UNION ALL
        SELECT TRY_CAST(d.message_id AS uniqueidentifier) AS MessageId, 1 AS Standing, LEFT(d.fault_message, 500) AS Reason
        FROM {Tables.DeadLetters} AS d
        INNER JOIN OPENJSON(@Ids) WITH (id nvarchar(100) '$') AS q ON d.message_id = q.id
        WHERE d.status = N'new'
        UNION ALL
        SELECT DISTINCT o.message_id AS MessageId, 0 AS Standing, CAST(NULL AS nvarchar(500)) AS Reason
        FROM {Tables.Outbox} AS o
        INNER JOIN OPENJSON(@Ids) WITH (id uniqueidentifier '$') AS q ON o.message_id = q.id;
        """;
}
