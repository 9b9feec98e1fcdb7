using MassTransit;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Sync.Storage;

namespace Sync.Ingress.Internal;

/// <summary>
/// Readiness: can an event be handed over durably? Healthy when the broker and the database both answer; Degraded
/// (still ready: events spill to the outbox, or publish without it) when one is down; Unhealthy when both are.
/// </summary>
internal sealed class HandoffHealthCheck(IBusControl bus, IUnitOfWorkFactory database) : IHealthCheck
{
    private static readonly TimeSpan DatabaseTimeout = TimeSpan.FromSeconds(2);

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var broker = bus.CheckHealth().Status == BusHealthStatus.Healthy;
        var databaseUp = await DatabaseAnswersAsync(cancellationToken);
        var data = new Dictionary<string, object>
        {
            ["broker"] = broker ? "up" : "down",
            ["database"] = databaseUp ? "up" : "down",
        };

        return (broker, databaseUp) switch
        {
            (true, true) => HealthCheckResult.Healthy("Broker and database answer.", data),
            (false, true) => HealthCheckResult.Degraded("Broker down: accepted events go to the outbox.", data: data),
            (true, false) => HealthCheckResult.Degraded("Database down: events are published, nothing can spill.", data: data),
            _ => HealthCheckResult.Unhealthy("Broker and database down: events are refused with 429.", data: data),
        };
    }

    private async Task<bool> DatabaseAnswersAsync(CancellationToken cancellationToken)
    {
        using var bound = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        bound.CancelAfter(DatabaseTimeout);
        var begin = database.BeginAsync(bound.Token);
        try
        {
            await using var unit = await begin.WaitAsync(DatabaseTimeout, cancellationToken);
            return true;
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            // A unit of work that opens after we stopped waiting is closed at once; a late failure is read, not left unobserved.
            _ = begin.ContinueWith(
                static async t =>
                {
                    if (t.IsCompletedSuccessfully)
                    {
                        await t.Result.DisposeAsync();
                    }
                    else
                    {
                        _ = t.Exception;
                    }
                },
                CancellationToken.None,
                TaskContinuationOptions.ExecuteSynchronously,
                TaskScheduler.Default);
            return false;
        }
    }
}
