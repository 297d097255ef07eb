using Microsoft.Win32.SafeHandles;
using Reconciler.Schema.Diagnostics;

namespace Reconciler.Runtime.Persistence;

/// <summary>
/// The exclusive hold of a state directory: a lock on its <c>.lock</c> file (flock, taken by .NET for
/// <see cref="FileShare.None"/>), kept while the owner runs and dropped by the kernel when it dies. Two
/// owners of one state directory would each take the other's running domains for crashed ones, rewrite
/// each other's files and lose state: the second is refused instead.
/// </summary>
public static class StateLock
{
    // What .NET reports when the lock is held: flock's EWOULDBLOCK on Linux, ERROR_SHARING_VIOLATION on Windows.
    private const int WouldBlock = 11;
    private const int SharingViolation = unchecked((int)0x80070020);

    /// <summary>Takes the lock of <paramref name="directory"/> (created when missing), or throws a <see cref="RuntimeException"/> naming the conflict.</summary>
    public static SafeFileHandle Acquire(string directory, string owner)
    {
        Directory.CreateDirectory(directory);
        var path = Path.Combine(directory, ".lock");
        try
        {
            return File.OpenHandle(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException e) when (e.HResult is WouldBlock or SharingViolation)
        {
            throw new RuntimeException(ErrorCode.OperationInvalid,
                $"the state directory {directory} is in use by another {owner}: stop it first, or give this one another state directory");
        }
    }
}
