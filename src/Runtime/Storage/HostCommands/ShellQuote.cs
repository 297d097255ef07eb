using System.Text;

namespace Reconciler.Runtime.Storage.HostCommands;

/// <summary>libvirt's virBufferEscapeShell: a word quoted so that /bin/sh reads it back unchanged.</summary>
internal static class ShellQuote
{
    private const string Metacharacters = "\r\t\n !\"#$&'()*;<>?[\\]^`{|}~";

    public static void Append(StringBuilder sb, string word)
    {
        if (word.Length == 0)
        {
            sb.Append("''");
            return;
        }

        if (word.IndexOfAny(Metacharacters.ToCharArray()) < 0)
        {
            sb.Append(word);
            return;
        }

        sb.Append('\'');
        foreach (var c in word)
        {
            if (c == '\'')
            {
                // Close the quote, an escaped quote, and open again.
                sb.Append("'\\'");
            }

            sb.Append(c);
        }

        sb.Append('\'');
    }
}
