using System.Text;

namespace Reconciler.Schema.Storage.Support;

/// <summary>libvirt's path helpers (src/util/virfile.c).</summary>
internal static class VirFile
{
    /// <summary>
    /// virFileSanitizePath: collapses repeated slashes and drops a trailing one ("///a//b/" is "/a/b"),
    /// keeps a leading "//" (valid POSIX) and leaves URIs ("gluster://host/vol") untouched.
    /// </summary>
    public static string SanitizePath(string path)
    {
        var uri = path.IndexOf("://", StringComparison.Ordinal);
        if (uri >= 0 && path.IndexOf('/', StringComparison.Ordinal) > uri)
        {
            return path;
        }

        var clean = new StringBuilder(path.Length);
        var cur = 0;
        if (path.Length >= 2 && path[0] == '/' && path[1] == '/' && (path.Length == 2 || path[2] != '/'))
        {
            clean.Append("//");
            cur = 2;
        }

        while (cur < path.Length)
        {
            if (path[cur] != '/')
            {
                clean.Append(path[cur++]);
                continue;
            }

            while (++cur < path.Length && path[cur] == '/')
            {
            }

            if (clean.Length != 0 && cur == path.Length)
            {
                break;
            }

            clean.Append('/');
        }

        return clean.ToString();
    }
}
