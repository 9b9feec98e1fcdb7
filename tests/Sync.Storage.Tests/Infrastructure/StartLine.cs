namespace Sync.Storage.Tests.Infrastructure;

/// <summary>Holds racing tasks until all have arrived, then lets them go together, without blocking threads.</summary>
public sealed class StartLine(int participants)
{
    private readonly TaskCompletionSource _go = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _arrived;

    public Task ArriveAndWaitAsync()
    {
        if (Interlocked.Increment(ref _arrived) == participants)
        {
            _go.SetResult();
        }

        return _go.Task;
    }
}
