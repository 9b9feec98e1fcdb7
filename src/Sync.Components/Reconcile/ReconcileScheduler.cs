using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Sync.Core;
using Sync.Storage;

namespace Sync.Components.Reconcile;

/// <summary>
/// Reconciles locations on a schedule when <see cref="ReconcileOptions.Enabled"/>: every
/// <see cref="ReconcileOptions.PollInterval"/> it takes each location (<see cref="ReconcileOptions.Locations"/>, or every
/// active installation) whose last run finished at least <see cref="ReconcileOptions.Interval"/> ago and whose lease is
/// free, one after another. Any number of workers may run it: the lease lets one of them at a time run a location.
/// </summary>
public sealed partial class ReconcileScheduler(
    IServiceProvider services,
    IInstallationStore installations,
    IOptions<ReconcileOptions> options,
    TimeProvider time,
    ILogger<ReconcileScheduler> logger) : BackgroundService
{
    private readonly string _owner = $"{Environment.MachineName}:{Environment.ProcessId}:{Guid.NewGuid():N}";

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value;
        if (!settings.Enabled)
        {
            return;
        }

        LogScheduled(settings.Interval, settings.BudgetShare, settings.Locations.Count == 0 ? "every active installation" : string.Join(", ", settings.Locations));
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await RunDueAsync(settings, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (ex is System.Data.Common.DbException or TimeoutException)
            {
                LogDatabaseUnavailable(ex.Message);
            }

            try
            {
                await Task.Delay(settings.PollInterval, time, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>Runs every location that is due now, one after another; returns how many ran.</summary>
    public async Task<int> RunDueAsync(ReconcileOptions settings, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(settings);
        IEnumerable<string> locations = settings.Locations.Count > 0
            ? settings.Locations
            : (await installations.ListAsync(cancellationToken)).Where(i => i.Status == InstallationStatus.Active).Select(i => i.LocationId);
        var reconciler = services.GetRequiredService<ContactReconciler>();
        var ran = 0;
        foreach (var location in locations)
        {
            cancellationToken.ThrowIfCancellationRequested();
            try
            {
                var due = time.GetUtcNow() - settings.Interval;
                if (await reconciler.TryRunAsync(new ReconcileRequest(location, _owner, due), cancellationToken) is not null)
                {
                    ran++;
                }
            }
            catch (SyncFailureException ex)
            {
                // The API refused or failed: the run is recorded as failed and comes round again after the interval.
                LogRunFailed(location, ex.Kind.ToString(), ex.Message);
            }
            catch (InvalidOperationException ex)
            {
                LogRunFailed(location, "lease", ex.Message);
            }
        }

        return ran;
    }

    [LoggerMessage(EventId = 5202, Level = LogLevel.Information,
        Message = "Reconcile is scheduled every {Interval} at {Share:P0} of each location's API budget, for {Locations}")]
    private partial void LogScheduled(TimeSpan interval, double share, string locations);

    [LoggerMessage(EventId = 5203, Level = LogLevel.Warning, Message = "Reconcile of location {LocationId} failed ({Kind}): {Reason}; it is tried again after the interval")]
    private partial void LogRunFailed(string locationId, string kind, string reason);

    [LoggerMessage(EventId = 5204, Level = LogLevel.Warning, Message = "Reconcile could not reach the database: {Reason}; it looks again at the next poll")]
    private partial void LogDatabaseUnavailable(string reason);
}
