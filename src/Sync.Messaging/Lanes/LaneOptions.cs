using System.ComponentModel.DataAnnotations;

namespace Sync.Messaging.Lanes;

/// <summary>
/// How webhooks are split between the work queue and the backlog lane (<c>Sync:Lanes</c>): per location, webhooks
/// within <see cref="Burst"/> plus <see cref="EventsPerSecond"/> go to <c>webhook-received</c>; what a location sends
/// beyond that goes to <c>webhook-received-backlog</c>, so one location's flood never sits in front of another
/// location's events. The defaults are the API's own budget per location (100 calls per 10 s).
/// </summary>
public sealed class LaneOptions
{
    /// <summary>Configuration section name.</summary>
    public const string SectionName = "Sync:Lanes";

    /// <summary>Whether over-budget webhooks go to the backlog lane (default true); false sends every webhook to the work queue.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>The sustained rate of one location's webhooks that stays in the work queue (default 10 per second).</summary>
    [Range(0.01, 100_000, ErrorMessage = "Sync:Lanes:EventsPerSecond must be between {1} and {2}.")]
    public double EventsPerSecond { get; set; } = 10;

    /// <summary>How many webhooks of one location may arrive at once and stay in the work queue (default 100).</summary>
    [Range(1, 1_000_000, ErrorMessage = "Sync:Lanes:Burst must be between {1} and {2}.")]
    public int Burst { get; set; } = 100;

    /// <summary>
    /// Most locations whose rate one process keeps (default 10,000); past that, locations back at their full burst are
    /// forgotten first, then those owing the least.
    /// </summary>
    [Range(16, 10_000_000, ErrorMessage = "Sync:Lanes:MaxTrackedLocations must be between {1} and {2}.")]
    public int MaxTrackedLocations { get; set; } = 10_000;
}
