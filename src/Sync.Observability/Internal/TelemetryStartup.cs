using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Sync.Core;
using Sync.HoopAi.Api;
using Sync.HoopAi.Circuits;
using Sync.Messaging.Redelivery;

namespace Sync.Observability.Internal;

/// <summary>Applies the label cap and follows the circuits' changes into <c>sync.api.circuit.*</c>.</summary>
internal sealed class TelemetryStartup(IServiceProvider services, IOptions<ObservabilityOptions> options) : IHostedService
{
    private ApiCircuitBreaker? _breaker;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        SyncTelemetry.MaxLabelledLocations = options.Value.MaxLabelledLocations;
        _breaker = services.GetService<ApiCircuitBreaker>();
        if (_breaker is not null)
        {
            // A worker: the API and dead-letter counters an alert rates start at 0.
            SyncTelemetry.StartCountersAtZero(
                HoopAiClient.RouteTemplates,
                RedeliveryTopologyInitializer.WorkQueues.Select(q => q.Queue),
                Enum.GetValues<FailureKind>().Select(RedeliveryForwarder.ReasonOf).Distinct(StringComparer.Ordinal));
            SyncTelemetry.RecordCircuit("api", 0, opened: false);
            SyncTelemetry.RecordCircuit("location", 0, opened: false);
            _breaker.Changed += OnChanged;
        }

        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        if (_breaker is not null)
        {
            _breaker.Changed -= OnChanged;
        }

        return Task.CompletedTask;
    }

    private void OnChanged(CircuitChange change)
    {
        var isHost = change.Circuit == ApiCircuitBreaker.HostCircuit;
        var kind = isHost ? "api" : "location";
        var state = isHost
            ? StateOf(change.State)
            : _breaker!.Snapshot().Where(c => c.Circuit != ApiCircuitBreaker.HostCircuit).Select(c => StateOf(c.State)).DefaultIfEmpty(0).Max();
        SyncTelemetry.RecordCircuit(kind, state, opened: change.State == CircuitState.Open);
    }

    private static int StateOf(CircuitState state) => state switch
    {
        CircuitState.Open => 1,
        CircuitState.HalfOpen => 2,
        _ => 0,
    };
}
