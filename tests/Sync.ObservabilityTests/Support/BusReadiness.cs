using MassTransit;

namespace Sync.ObservabilityTests.Support;

/// <summary>Waits until a started host's bus has connected and bound its endpoints.</summary>
internal static class BusReadiness
{
    public static async Task WaitAsync(IBusControl bus, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (bus.CheckHealth().Status != BusHealthStatus.Healthy)
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new InvalidOperationException($"The bus did not become healthy within {timeout}: {bus.CheckHealth().Description}");
            }

            await Task.Delay(100);
        }
    }
}
