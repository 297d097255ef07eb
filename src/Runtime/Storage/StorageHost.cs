using System.Collections.Concurrent;
using System.Diagnostics;
using Reconciler.Runtime.Storage.HostCommands;
using Reconciler.Schema.Diagnostics;

namespace Reconciler.Runtime.Storage;

/// <summary>A host command the storage driver ran (or recorded) for a pool, with what it was for.</summary>
public sealed record StorageHostEvent(string Pool, string Operation, HostCommand Command, DateTimeOffset Time);

/// <summary>
/// Where the host commands of the storage backends (mount, umount, vgchange, iscsiadm, mkfs, ...) go. The
/// default records them and lets the runtime model their result; <see cref="ExecutingStorageHost"/> runs
/// them on the machine — a separate, explicit choice.
/// </summary>
public interface IStorageHost
{
    /// <summary>Runs (or records) a command; a failure is a <see cref="RuntimeException"/> with libvirt's message.</summary>
    void Run(string pool, string operation, HostCommand command);
}

/// <summary>The in-process backend: records every command, runs none.</summary>
public sealed class RecordingStorageHost : IStorageHost
{
    private readonly ConcurrentQueue<StorageHostEvent> _log = new();

    public IReadOnlyList<StorageHostEvent> Commands => [.. _log];

    public void Run(string pool, string operation, HostCommand command) =>
        _log.Enqueue(new StorageHostEvent(pool, operation, command, DateTimeOffset.UtcNow));
}

/// <summary>Runs the commands on the host, as libvirtd does (needs the tools and the privileges they need).</summary>
public sealed class ExecutingStorageHost : IStorageHost
{
    public void Run(string pool, string operation, HostCommand command)
    {
        var start = new ProcessStartInfo(command.Program) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var arg in command.Args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start) ?? throw new RuntimeException(ErrorCode.InternalError, $"Cannot run {command.Program}");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEnd();
        process.WaitForExit();
        _ = stdout.Result;
        if (process.ExitCode != 0)
        {
            // virCommandRun's message for a command that failed.
            throw new RuntimeException(ErrorCode.InternalError,
                $"Child process ({command}) unexpected exit status {process.ExitCode}: {stderr.Trim()}");
        }
    }
}
