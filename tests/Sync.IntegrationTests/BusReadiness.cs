using MassTransit;

namespace Sync.IntegrationTests;

/// <summary>
/// A started host's bus connects and declares its endpoints in the background; a test that publishes before the
/// endpoints are bound would publish into an exchange with no queue. Tests wait for this first.
/// </summary>
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
