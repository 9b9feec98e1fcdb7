using System.ComponentModel.DataAnnotations;

namespace Sync.Components.Reconcile;

/// <summary>
/// Reconcile (<c>Sync:Reconcile</c>): rebuilding a location's contact index from the CRM, by <c>sync-admin reconcile</c>
/// or on a schedule in the workers.
/// </summary>
public sealed class ReconcileOptions : IValidatableObject
{
    /// <summary>Configuration section name.</summary>
    public const string SectionName = "Sync:Reconcile";

    /// <summary>Whether the workers reconcile on a schedule (default false: only when an operator runs it).</summary>
    public bool Enabled { get; set; }

    /// <summary>How long after a location's last run it is reconciled again (default 1 day).</summary>
    [Range(typeof(TimeSpan), "00:01:00", "30.00:00:00", ErrorMessage = "Sync:Reconcile:Interval must be between {1} and {2}.")]
    public TimeSpan Interval { get; set; } = TimeSpan.FromDays(1);

    /// <summary>
    /// The share of a location's burst budget a reconcile may use, above 0 and at most 1 (default 0.2): it reads only while
    /// live calls leave that much of the budget, and paces itself to it.
    /// </summary>
    public double BudgetShare { get; set; } = 0.2;

    /// <summary>The locations the workers reconcile; empty (default): every active installation.</summary>
    public List<string> Locations { get; set; } = [];

    /// <summary>
    /// Index rows written this recently before a run starts are left alone (default 5 min): the CRM's search lags its
    /// writes by seconds, and live traffic may have written them after the listing saw the CRM.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "01:00:00", ErrorMessage = "Sync:Reconcile:SettleTime must be between {1} and {2}.")]
    public TimeSpan SettleTime { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>How long a run's lease lasts without renewal (default 5 min); a run renews it while it reads.</summary>
    [Range(typeof(TimeSpan), "00:00:10", "01:00:00", ErrorMessage = "Sync:Reconcile:Lease must be between {1} and {2}.")]
    public TimeSpan Lease { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>How often a worker looks for locations due (default 1 min).</summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00", ErrorMessage = "Sync:Reconcile:PollInterval must be between {1} and {2}.")]
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Contacts per search call (default 500, the API's largest page).</summary>
    [Range(1, 500, ErrorMessage = "Sync:Reconcile:PageSize must be between {1} and {2}.")]
    public int PageSize { get; set; } = 500;

    /// <inheritdoc />
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (!(BudgetShare > 0 && BudgetShare <= 1))
        {
            yield return new ValidationResult($"{SectionName}:BudgetShare must be above 0 and at most 1 (it is {BudgetShare}).", [nameof(BudgetShare)]);
        }

        if (Locations.Any(string.IsNullOrWhiteSpace))
        {
            yield return new ValidationResult($"{SectionName}:Locations must not hold an empty location id.", [nameof(Locations)]);
        }
    }
}
