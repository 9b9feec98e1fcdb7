using System.Threading.Channels;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Sync.HoopAi.Circuits;
using Sync.Storage;
using StoredCircuitState = Sync.Storage.CircuitState;

namespace Sync.Messaging.Circuits;

/// <summary>
/// Writes this process's circuit changes to the database (<see cref="ICircuitStateStore"/>), so an operator's
/// <c>sync-admin dlq status</c> and the admin API see every worker's circuits. The host's circuit is recorded at start;
/// a write that fails is tried again with the next change or after a few seconds, and never holds up the API calls.
/// </summary>
public sealed partial class CircuitStateRecorder(
    ApiCircuitBreaker circuit, ICircuitStateStore store, TimeProvider time, ILogger<CircuitStateRecorder> logger) : BackgroundService
{
    private readonly Channel<CircuitChange> _changes = Channel.CreateUnbounded<CircuitChange>(new UnboundedChannelOptions { SingleReader = true });

    /// <summary>This process, as the table names it.</summary>
    public static string Owner { get; } = $"{Environment.MachineName}:{Environment.ProcessId}";

    /// <inheritdoc />
    public override Task StartAsync(CancellationToken cancellationToken)
    {
        circuit.Changed += OnChanged;
        _changes.Writer.TryWrite(new CircuitChange(ApiCircuitBreaker.HostCircuit, circuit.HostState, "worker started", null, time.GetUtcNow()));
        return base.StartAsync(cancellationToken);
    }

    /// <inheritdoc />
    public override Task StopAsync(CancellationToken cancellationToken)
    {
        circuit.Changed -= OnChanged;
        return base.StopAsync(cancellationToken);
    }

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await foreach (var change in _changes.Reader.ReadAllAsync(stoppingToken))
            {
                while (!stoppingToken.IsCancellationRequested)
                {
                    try
                    {
                        await store.UpsertAsync(
                            new StoredCircuitState(change.Circuit, Owner, change.State.ToString(), Cut(change.Reason), change.At), stoppingToken);
                        break;
                    }
                    catch (Exception ex) when (ex is not OperationCanceledException)
                    {
                        LogWriteFailed(change.Circuit, ex.Message);
                        await Task.Delay(TimeSpan.FromSeconds(5), time, stoppingToken);
                    }
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    private void OnChanged(CircuitChange change) => _changes.Writer.TryWrite(change);

    private static string Cut(string reason) => reason.Length > 1000 ? reason[..1000] : reason;

    [LoggerMessage(EventId = 2204, Level = LogLevel.Warning, Message = "Could not record the state of circuit {Circuit}: {Reason}; trying again")]
    private partial void LogWriteFailed(string circuit, string reason);
}
