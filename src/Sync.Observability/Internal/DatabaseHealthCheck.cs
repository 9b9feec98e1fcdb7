using Microsoft.Extensions.Diagnostics.HealthChecks;
using Sync.Storage;

namespace Sync.Observability.Internal;

/// <summary>Ready when the database answers a cheap query (the outbox backlog count).</summary>
internal sealed class DatabaseHealthCheck(IOutboxStore outbox) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(TimeSpan.FromSeconds(5));
            var backlog = await outbox.GetBacklogAsync(timeout.Token);
            return HealthCheckResult.Healthy("The database answers.", new Dictionary<string, object> { ["outboxPending"] = backlog.Pending });
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            return HealthCheckResult.Unhealthy($"The database does not answer: {ex.GetType().Name}.");
        }
    }
}
