using Microsoft.Extensions.Diagnostics.HealthChecks;
using Sync.HoopAi.Circuits;

namespace Sync.Messaging.Circuits;

/// <summary>The worker's health as the circuits see it: degraded while the API's (or a location's) circuit is open.</summary>
public sealed class ApiCircuitHealthCheck(ApiCircuitBreaker circuit) : IHealthCheck
{
    /// <inheritdoc />
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var circuits = circuit.Snapshot();
        var data = circuits.ToDictionary(c => c.Circuit, c => (object)$"{c.State}{(c.NextProbeAt is { } at ? $" (next probe {at:O})" : "")}: {c.Reason}");
        var open = circuits.Where(c => c.State != CircuitState.Closed).ToList();
        return Task.FromResult(open.Count == 0
            ? HealthCheckResult.Healthy("Every circuit is closed.", data)
            : HealthCheckResult.Degraded($"{open.Count} circuit(s) open: {string.Join(", ", open.Select(c => c.Circuit))}; their work waits.", data: data));
    }
}
