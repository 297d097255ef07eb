using System.Net.Sockets;
using System.Security.Cryptography;

namespace Reconciler.Controller.Api;

/// <summary>
/// A Unix domain socket that only its owner can open (mode 0600), with no moment when anyone else could
/// connect: it is bound inside a fresh directory of mode 0700 next to its final path, given mode 0600
/// there, and only then linked into place (which fails, rather than replace, when something took the
/// path meanwhile).
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
internal static class OwnerOnlySocket
{
    /// <summary>The longest path a Unix domain socket can have on Linux (sun_path less its terminating NUL).</summary>
    public const int MaxPathBytes = 107;

    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private const UnixFileMode OwnerOnlyDirectory = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    /// <summary>
    /// Makes <paramref name="path"/> free for a new socket: nothing there, or a stale socket that nobody
    /// listens on (removed). Refuses, with a message that says what to do, when a daemon is listening on it
    /// or when it is something else than a socket.
    /// </summary>
    public static void ClearStale(string path)
    {
        if (System.Text.Encoding.UTF8.GetByteCount(path) > MaxPathBytes)
        {
            throw new IOException($"the socket path {path} is too long for a Unix domain socket ({System.Text.Encoding.UTF8.GetByteCount(path)} bytes, at most {MaxPathBytes}): choose a shorter --socket");
        }

        if (Directory.Exists(path))
        {
            throw new IOException($"{path} is a directory, not a socket: remove it or choose another --socket");
        }

        var info = new FileInfo(path);
        if (!info.Exists)
        {
            return;
        }

        if (info.LinkTarget is not null)
        {
            throw new IOException($"{path} is a symbolic link, not a socket: remove it or choose another --socket");
        }

        using (var probe = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified))
        {
            try
            {
                probe.Connect(new UnixDomainSocketEndPoint(path));
                throw new IOException($"another reconciler daemon is already listening on {path}: stop it first, or give this one another --socket");
            }
            catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionRefused)
            {
                // Nobody listens: a socket left by a daemon that died, or not a socket at all.
            }
            catch (SocketException e) when (e.SocketErrorCode == SocketError.AddressNotAvailable)
            {
                return; // removed meanwhile
            }
            catch (SocketException e)
            {
                throw new IOException($"cannot use the socket {path}: {e.Message}", e);
            }
        }

        if (IsOpenableFile(path))
        {
            throw new IOException($"{path} exists and is not a socket: move it away or choose another --socket");
        }

        File.Delete(path);
    }

    /// <summary>
    /// A socket bound at <paramref name="path"/> with mode 0600 (not yet listening). The directory of the
    /// path is created (mode 0700) when missing.
    /// </summary>
    public static Socket Bind(string path)
    {
        var directory = Path.GetDirectoryName(path) ?? throw new IOException($"the socket path {path} has no directory");
        if (!Directory.Exists(directory))
        {
            Directory.CreateDirectory(directory, OwnerOnlyDirectory);
        }

        RemoveStaleStaging(directory);
        var staging = Path.Combine(directory, StagingPrefix + RandomNumberGenerator.GetHexString(StagingHexDigits, lowercase: true));
        Directory.CreateDirectory(staging, OwnerOnlyDirectory);
        var temporary = Path.Combine(staging, "s");
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            // A directory of that random name that existed before would not be ours: check what we got.
            if ((File.GetUnixFileMode(staging) & ~OwnerOnlyDirectory) != 0)
            {
                throw new IOException($"cannot create a private directory {staging} for the socket");
            }

            socket.Bind(new UnixDomainSocketEndPoint(temporary));
            File.SetUnixFileMode(temporary, OwnerOnly);
            try
            {
                File.Move(temporary, path, overwrite: false);
            }
            catch (IOException e) when (File.Exists(path))
            {
                throw new IOException($"another reconciler daemon took the socket {path} while this one was starting: stop it first, or give this one another --socket", e);
            }

            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
        finally
        {
            TryDelete(temporary);
            try
            {
                Directory.Delete(staging);
            }
            catch (IOException)
            {
            }
        }
    }

    /// <summary>
    /// Removes staging directories that a daemon killed while it bound its socket left behind (each lives
    /// for a moment): ours by their name, and old enough that no daemon starting now can still be using one.
    /// </summary>
    private static void RemoveStaleStaging(string directory)
    {
        var cutoff = DateTime.UtcNow - StagingLifetime;
        foreach (var staging in Directory.EnumerateDirectories(directory, StagingPrefix + "*"))
        {
            var name = Path.GetFileName(staging);
            if (name.Length != StagingPrefix.Length + StagingHexDigits || name.AsSpan(StagingPrefix.Length).ContainsAnyExcept("0123456789abcdef")
                || Directory.GetLastWriteTimeUtc(staging) > cutoff || new FileInfo(staging).LinkTarget is not null)
            {
                continue;
            }

            TryDelete(Path.Combine(staging, "s"));
            try
            {
                Directory.Delete(staging); // not recursive: anything else in it is not ours to remove
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
            }
        }
    }

    private const string StagingPrefix = ".rc-";
    private const int StagingHexDigits = 8;

    /// <summary>How old a staging directory must be to count as left behind (one lives for milliseconds).</summary>
    internal static readonly TimeSpan StagingLifetime = TimeSpan.FromMinutes(1);

    /// <summary>Removes the socket file at <paramref name="path"/> when it is still there.</summary>
    public static void Remove(string path) => TryDelete(path);

    // open(2) of a socket fails (ENXIO); of a regular file it succeeds.
    private static bool IsOpenableFile(string path)
    {
        try
        {
            using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            return true;
        }
        catch (IOException)
        {
            return false;
        }
        catch (UnauthorizedAccessException)
        {
            return true;
        }
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
