using System.Runtime.InteropServices;

namespace Reconciler.Runtime.Storage;

/// <summary>
/// What the file system says of a file beyond its length: the bytes its blocks really take (st_blocks ×
/// 512), which is what libvirt reports as a volume's allocation.
/// </summary>
internal static partial class FileBlocks
{
    /// <summary>Bytes allocated to the file at <paramref name="path"/> (following symlinks).</summary>
    public static ulong Allocated(string path)
    {
        if (!OperatingSystem.IsLinux())
        {
            return (ulong)new FileInfo(path).Length;
        }

        // struct stat: st_blocks is at offset 64 on both x86_64 and aarch64 Linux.
        Span<byte> buffer = stackalloc byte[256];
        if (Stat(path, ref MemoryMarshal.GetReference(buffer)) != 0)
        {
            throw new IOException($"cannot stat '{path}': {Marshal.GetLastPInvokeErrorMessage()}");
        }

        return (ulong)BitConverter.ToInt64(buffer[64..]) * 512;
    }

    /// <summary>
    /// Where the next data at or after <paramref name="offset"/> begins (lseek SEEK_DATA): null when only a
    /// hole follows; <paramref name="offset"/> itself where the file system cannot say (then it is all data).
    /// </summary>
    public static long? NextData(Microsoft.Win32.SafeHandles.SafeFileHandle file, long offset)
    {
        if (!OperatingSystem.IsLinux())
        {
            return offset;
        }

        var added = false;
        try
        {
            file.DangerousAddRef(ref added);
            var result = LSeek((int)file.DangerousGetHandle(), offset, SeekData);
            return result >= 0 ? result : Marshal.GetLastPInvokeError() == NoSuchDeviceOrAddress ? null : offset;
        }
        finally
        {
            if (added)
            {
                file.DangerousRelease();
            }
        }
    }

    private const int SeekData = 3;
    private const int NoSuchDeviceOrAddress = 6; // ENXIO: no data at or after the offset

    [LibraryImport("libc", EntryPoint = "lseek", SetLastError = true)]
    private static partial long LSeek(int fd, long offset, int whence);

    [LibraryImport("libc", EntryPoint = "stat", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int Stat(string path, ref byte buffer);
}
