using System.Collections.Concurrent;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Sync.Core;
using Sync.HoopAi.Api;
using Sync.HoopAi.Circuits;

namespace Sync.Messaging.Circuits;

/// <summary>
/// The kill switch's hands: while the API host's circuit is open, the work queues' endpoints are stopped (messages
/// stay in their queues; those in flight go back without an attempt counted), and one probe call tests the API on the
/// circuit's growing interval; when it answers, the circuit closes and consumption resumes. Endpoints that do not call
/// the API (the dead-letter collector) keep running.
/// </summary>
public sealed partial class ApiCircuitSupervisor : BackgroundService, IReceiveEndpointObserver
{
    private readonly ApiCircuitBreaker _circuit;
    private readonly IServiceProvider _services;
    private readonly ILogger<ApiCircuitSupervisor> _logger;
    private readonly ConcurrentDictionary<string, byte> _watched = new(StringComparer.OrdinalIgnoreCase);
    private readonly ConcurrentDictionary<Uri, IReceiveEndpoint> _endpoints = new();
    private readonly SemaphoreSlim _wake = new(0);
    private bool _paused;

    /// <summary>Creates the supervisor.</summary>
    public ApiCircuitSupervisor(ApiCircuitBreaker circuit, IServiceProvider services, ILogger<ApiCircuitSupervisor> logger)
    {
        ArgumentNullException.ThrowIfNull(circuit);
        _circuit = circuit;
        _services = services;
        _logger = logger;
        _circuit.Changed += change =>
        {
            if (change.Circuit == ApiCircuitBreaker.HostCircuit)
            {
                _wake.Release();
            }
        };
    }

    /// <summary>Pauses the endpoint of <paramref name="queue"/> while the API's circuit is open.</summary>
    public void Watch(string queue) => _watched.TryAdd(queue, 0);

    /// <summary>True while consumption is paused.</summary>
    public bool Paused => Volatile.Read(ref _paused);

    /// <inheritdoc />
    public Task Ready(ReceiveEndpointReady ready)
    {
        ArgumentNullException.ThrowIfNull(ready);
        if (_watched.ContainsKey(QueueOf(ready.InputAddress)))
        {
            _endpoints[ready.InputAddress] = ready.ReceiveEndpoint;
            _wake.Release();
        }

        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public Task Stopping(ReceiveEndpointStopping stopping) => Task.CompletedTask;

    /// <inheritdoc />
    public Task Completed(ReceiveEndpointCompleted completed) => Task.CompletedTask;

    /// <inheritdoc />
    public Task Faulted(ReceiveEndpointFaulted faulted) => Task.CompletedTask;

    /// <inheritdoc />
    public override void Dispose()
    {
        _wake.Dispose();
        base.Dispose();
    }

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var wait = TimeSpan.FromSeconds(1);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await _wake.WaitAsync(wait, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            try
            {
                wait = await StepAsync(stoppingToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                LogStepFailed(ex.Message);
                wait = TimeSpan.FromSeconds(1);
            }
        }
    }

    private async Task<TimeSpan> StepAsync(CancellationToken cancellationToken)
    {
        if (_circuit.HostState == CircuitState.Closed)
        {
            if (Paused)
            {
                foreach (var endpoint in _endpoints.Values)
                {
                    var handle = endpoint.Start(cancellationToken);
                    await handle.Ready;
                }

                Volatile.Write(ref _paused, false);
                LogResumed(_endpoints.Count);
            }

            return TimeSpan.FromSeconds(5);
        }

        if (!Paused)
        {
            Volatile.Write(ref _paused, true);
            foreach (var endpoint in _endpoints.Values)
            {
                await endpoint.Stop(cancellationToken);
            }

            LogPaused(_endpoints.Count);
        }

        if (!_circuit.TryBeginProbe(out var locationId, out var untilDue))
        {
            return untilDue > TimeSpan.Zero ? untilDue : TimeSpan.FromMilliseconds(100);
        }

        if (locationId is null)
        {
            _circuit.RecordProbeInconclusive("no location is known to probe with");
            return TimeSpan.Zero;
        }

        try
        {
            await _services.GetRequiredService<HoopAiClient>().ProbeAsync(locationId, cancellationToken);

            // An answer closes the circuit (the client records it); the next step resumes consumption.
        }
        catch (SyncFailureException ex) when (ex.Kind is FailureKind.Transient or FailureKind.CircuitOpen)
        {
            _circuit.RecordProbeFailure(ex.Message);
        }
        catch (SyncFailureException ex) when (ex.Kind is FailureKind.Throttled or FailureKind.RateLimited)
        {
            // No budget for the probe now: try again when there is, without counting it.
            return ex.RetryAfter ?? TimeSpan.FromSeconds(1);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // The probe could not be made with this location (its token, its installation): let real work find out.
            _circuit.RecordProbeInconclusive(ex.Message);
        }

        return TimeSpan.Zero;
    }

    private static string QueueOf(Uri address) => address.AbsolutePath.TrimEnd('/').Split('/')[^1];

    [LoggerMessage(EventId = 2201, Level = LogLevel.Warning,
        Message = "The API's circuit is open: paused consumption of {Endpoints} work queues until a probe sees the API answer")]
    private partial void LogPaused(int endpoints);

    [LoggerMessage(EventId = 2202, Level = LogLevel.Information, Message = "The API answers again: resumed consumption of {Endpoints} work queues")]
    private partial void LogResumed(int endpoints);

    [LoggerMessage(EventId = 2203, Level = LogLevel.Warning, Message = "Circuit supervision step failed: {Reason}")]
    private partial void LogStepFailed(string reason);
}
