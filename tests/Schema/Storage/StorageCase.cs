using Reconciler.Schema.Tests.Support;
using Xunit;

namespace Reconciler.Schema.Tests.Storage;

/// <summary>
/// One libvirt check: a definition it lets through, one it rejects with libvirt's message, and the text of the
/// rejected file at which the error must point (its first occurrence gives the expected line and column).
/// </summary>
public sealed record StorageCase(string Rule, string Valid, string Invalid, string Message, string At)
{
    public override string ToString() => Rule;

    /// <summary>The 1-based line and column of the first occurrence of <paramref name="marker"/> in <paramref name="text"/>.</summary>
    public static (int Line, int Column) PositionOf(string text, string marker)
    {
        var index = text.IndexOf(marker, StringComparison.Ordinal);
        Assert.True(index >= 0, $"'{marker}' is not in the test input");
        var line = 1 + text.AsSpan(0, index).Count('\n');
        var lineStart = index == 0 ? 0 : text.LastIndexOf('\n', index - 1) + 1;
        var column = index - lineStart + 1;
        return (line, column);
    }

    public void AssertValid()
    {
        var doc = Specs.Load(Valid);
        Assert.True(doc.IsValid, $"{Rule}: {string.Join("\n", doc.Errors)}");
    }

    public void AssertRejected()
    {
        var doc = Specs.Load(Invalid);
        Assert.False(doc.IsValid, $"{Rule}: accepted");
        var error = doc.Errors[0];
        Assert.Equal(Message, error.Message);
        var (line, column) = PositionOf(Invalid, At);
        Assert.Equal((line, column), (error.Line, error.Column));
    }
}
