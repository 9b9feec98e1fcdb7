namespace Sync.Storage.Internal;

/// <summary>
/// The schema and table names, defined once: both providers' statements are built from these constants, and a test
/// checks that each provider's migrations create exactly these tables.
/// </summary>
internal static class Tables
{
    public const string Schema = "sync";
    public const string Journal = "schema_versions";

    public const string Inbox = Schema + ".inbox";
    public const string Outbox = Schema + ".outbox";
    public const string Installations = Schema + ".installations";
    public const string ContactKeys = Schema + ".contact_keys";
    public const string ContactVersions = Schema + ".contact_versions";
    public const string ContactTagVersions = Schema + ".contact_tag_versions";
    public const string DeadLetters = Schema + ".dead_letters";
    public const string DeadLetterAudit = Schema + ".dead_letter_audit";
    public const string RateLimits = Schema + ".rate_limits";
    public const string CircuitStates = Schema + ".circuit_states";
    public const string ReconcileRuns = Schema + ".reconcile_runs";

    /// <summary>Every table the migrations create, journal excluded, unqualified.</summary>
    public static readonly IReadOnlyList<string> All =
    [
        Unqualified(Inbox), Unqualified(Outbox), Unqualified(Installations), Unqualified(ContactKeys),
        Unqualified(ContactVersions), Unqualified(ContactTagVersions), Unqualified(DeadLetters),
        Unqualified(DeadLetterAudit), Unqualified(RateLimits), Unqualified(CircuitStates),
        Unqualified(ReconcileRuns),
    ];

    private static string Unqualified(string table) => table[(Schema.Length + 1)..];
}
