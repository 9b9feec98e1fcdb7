namespace Sync.Admin;

/// <summary>What <c>sync-admin</c> exits with, so scripts can tell a mistake from an outage.</summary>
public static class AdminExitCodes
{
    /// <summary>The command did what it was asked.</summary>
    public const int Success = 0;

    /// <summary>
    /// The request was wrong and repeating it will not help: bad or missing arguments, invalid configuration, an empty
    /// token, an unknown location, a refused confirmation.
    /// </summary>
    public const int UsageError = 1;

    /// <summary>The request was fine but could not be carried out: the database is unreachable, refused, or not migrated.</summary>
    public const int RuntimeFailure = 2;

    /// <summary><c>import</c>: some rows were rejected (or, with <c>--wait</c>, dead-lettered); the others were imported.</summary>
    public const int RowsRejected = 3;

    /// <summary><c>diff</c>: the snapshot and the CRM differ (with <c>--repair</c>: the differences were queued for repair).</summary>
    public const int DifferencesFound = 4;
}
