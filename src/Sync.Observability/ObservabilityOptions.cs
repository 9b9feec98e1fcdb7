using System.ComponentModel.DataAnnotations;

namespace Sync.Observability;

/// <summary>Settings of Sync's telemetry (<c>Sync:Observability</c>). Exporters follow the standard <c>OTEL_*</c> variables.</summary>
public sealed class ObservabilityOptions
{
    /// <summary>The configuration section.</summary>
    public const string SectionName = "Sync:Observability";

    /// <summary>
    /// How many locations get a <c>location</c> label of their own on the budget and 429 metrics; the rest share
    /// <c>other</c>. Bounds the series a scrape returns. Default 50, 0 to 1000.
    /// </summary>
    [Range(0, 1000, ErrorMessage = "Sync:Observability:MaxLabelledLocations must be between 0 and 1000.")]
    public int MaxLabelledLocations { get; set; } = 50;

    /// <summary>
    /// Whether spans are made: <c>null</c> (the default) makes them only when <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set,
    /// since spans nothing exports only cost CPU; <c>true</c> makes them for an in-process listener too; <c>false</c> never.
    /// </summary>
    public bool? Traces { get; set; }

    /// <summary>The path Prometheus text is served on. Default <c>/metrics</c>.</summary>
    [Required(AllowEmptyStrings = false, ErrorMessage = "Sync:Observability:MetricsPath must be set (e.g. /metrics).")]
    [RegularExpression("^/.*", ErrorMessage = "Sync:Observability:MetricsPath must start with '/'.")]
    public string MetricsPath { get; set; } = "/metrics";
}
