namespace Sync.Testing;

/// <summary>Polling for a condition that a running system reaches in its own time.</summary>
public static class Eventually
{
    /// <summary>
    /// Polls <paramref name="done"/> every <paramref name="poll"/> (default 250 ms) until it holds or
    /// <paramref name="timeout"/> passes; asks once more at the end and returns whether it held.
    /// </summary>
    public static async Task<bool> HoldsAsync(Func<Task<bool>> done, TimeSpan timeout, TimeSpan? poll = null)
    {
        ArgumentNullException.ThrowIfNull(done);
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (await done())
            {
                return true;
            }

            await Task.Delay(poll ?? TimeSpan.FromMilliseconds(250));
        }

        return await done();
    }
}
