using System.Runtime.InteropServices;

namespace Reconciler.Runtime.Host;

/// <summary>
/// Threads for work the host does on its own while it answers callers (bringing saved domains back after a
/// restart): they run at a lower CPU priority (nice 10), so that they take the CPU callers leave idle.
/// </summary>
internal static partial class BackgroundThread
{
    private const int Niceness = 10;

    /// <summary>Runs <paramref name="work"/> on a thread of its own at background priority.</summary>
    public static Task Run(Action work) => Task.Factory.StartNew(() =>
    {
        Lower();
        work();
    }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);

    /// <summary>Lowers the calling thread's priority (Linux: setpriority on the thread's ID); nothing elsewhere or when refused.</summary>
    private static void Lower()
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }

        try
        {
            _ = SetPriority(PrioProcess, GetTid(), Niceness);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
        }
    }

    private const int PrioProcess = 0;

    [LibraryImport("libc", EntryPoint = "gettid")]
    private static partial int GetTid();

    [LibraryImport("libc", EntryPoint = "setpriority", SetLastError = true)]
    private static partial int SetPriority(int which, int who, int priority);
}
