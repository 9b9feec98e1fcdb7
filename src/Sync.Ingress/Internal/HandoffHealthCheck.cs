using MassTransit;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using Sync.Storage;

namespace Sync.Ingress.Internal;

/// <summary>
/// Readiness: can an event be handed over durably? Healthy when the broker and the database both answer; Degraded
/// (still ready: events spill to the outbox, or publish without it) when one is down; Unhealthy when both are.
/// One answer is shared by every probe for <see cref="IngressOptions.ReadinessCacheDuration"/> (and by every probe
/// arriving while it is computed), so <c>/health/ready</c> cannot be used to load the database.
/// </summary>
internal sealed class HandoffHealthCheck(IBusControl bus, IUnitOfWorkFactory database, IOptions<IngressOptions> options, TimeProvider time)
    : IHealthCheck
{
    private static readonly TimeSpan DatabaseTimeout = TimeSpan.FromSeconds(2);
    private readonly object _gate = new();
    private Task<HealthCheckResult>? _last;
    private DateTimeOffset _lastStarted;

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        Task<HealthCheckResult> current;
        lock (_gate)
        {
            var now = time.GetUtcNow();
            if (_last is null || (_last.IsCompleted && now - _lastStarted >= options.Value.ReadinessCacheDuration))
            {
                // Not bound to one caller's token: the answer is shared; the database check bounds itself.
                _last = CheckNowAsync();
                _lastStarted = now;
            }

            current = _last;
        }

        return current.WaitAsync(cancellationToken);
    }

    private async Task<HealthCheckResult> CheckNowAsync()
    {
        var cancellationToken = CancellationToken.None;
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
        IUnitOfWork unit;
        try
        {
            unit = await begin.WaitAsync(DatabaseTimeout, cancellationToken);
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

        await using (unit)
        {
            try
            {
                // Opening may hand out a pooled connection without a round trip; committing the empty transaction makes
                // one, so a connection the network broke is noticed here rather than by the next event.
                await unit.CommitAsync(bound.Token);
                return true;
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                return false;
            }
        }
    }
}
