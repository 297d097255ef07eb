using System.Diagnostics;

namespace Reconciler.Runtime.Guests;

/// <summary>
/// One background loop that advances the workload of every busy guest, so that thousands of idle
/// guests cost no thread and no timer.
/// </summary>
internal sealed class GuestScheduler : IDisposable
{
    private static readonly TimeSpan Period = TimeSpan.FromMilliseconds(20);
    private readonly Lock _sync = new();
    private readonly HashSet<SimulatedGuest> _busy = [];
    private readonly CancellationTokenSource _stop = new();
    private Task? _loop;

    public void Add(SimulatedGuest guest)
    {
        lock (_sync)
        {
            _busy.Add(guest);
            _loop ??= Task.Run(RunAsync);
        }
    }

    public void Remove(SimulatedGuest guest)
    {
        lock (_sync)
        {
            _busy.Remove(guest);
        }
    }

    public void Dispose()
    {
        _stop.Cancel();
        try
        {
            _loop?.Wait(TimeSpan.FromSeconds(5));
        }
        catch (AggregateException)
        {
        }

        _stop.Dispose();
    }

    private async Task RunAsync()
    {
        using var timer = new PeriodicTimer(Period);
        var clock = Stopwatch.StartNew();
        var last = clock.Elapsed;
        try
        {
            while (await timer.WaitForNextTickAsync(_stop.Token).ConfigureAwait(false))
            {
                var now = clock.Elapsed;
                var seconds = (now - last).TotalSeconds;
                last = now;
                SimulatedGuest[] guests;
                lock (_sync)
                {
                    guests = [.. _busy];
                }

                foreach (var guest in guests)
                {
                    guest.Tick(seconds);
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }
}
