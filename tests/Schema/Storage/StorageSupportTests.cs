using Reconciler.Schema.Storage.Support;
using Xunit;

namespace Reconciler.Schema.Tests.Storage;

/// <summary>The C semantics the storage parsers rely on: strtol and friends, virFileSanitizePath, virUUIDParse.</summary>
public sealed class StorageSupportTests
{
    [Theory]
    [InlineData("0755", 8, 493)]
    [InlineData(" +17", 10, 17)]
    [InlineData("-1", 8, -1)]
    [InlineData("2147483647", 10, int.MaxValue)]
    public void Int_parses_like_virStrToLong_i(string text, int numberBase, int expected)
    {
        Assert.True(CStrToLong.TryInt(text, numberBase, out var value));
        Assert.Equal(expected, value);
    }

    [Theory]
    [InlineData("08", 8)]
    [InlineData("7 ", 10)]
    [InlineData("", 10)]
    [InlineData("+", 10)]
    [InlineData("2147483648", 10)]
    [InlineData("0x10", 10)]
    public void Int_rejects_what_virStrToLong_i_rejects(string text, int numberBase) =>
        Assert.False(CStrToLong.TryInt(text, numberBase, out _));

    [Fact]
    public void Unsigned_int_takes_minus_as_wrap_around_but_the_positive_variant_does_not()
    {
        Assert.True(CStrToLong.TryUInt("-1", 10, out var wrapped));
        Assert.Equal(uint.MaxValue, wrapped);
        Assert.False(CStrToLong.TryUIntPositive("-1", 10, out _));
        Assert.False(CStrToLong.TryUInt("-4294967296", 10, out _));
    }

    [Theory]
    [InlineData("0x1f", 31U)]
    [InlineData("010", 8U)]
    [InlineData("0", 0U)]
    [InlineData("12", 12U)]
    public void Base_zero_reads_hex_octal_and_decimal(string text, uint expected)
    {
        Assert.True(CStrToLong.TryUIntPositive(text, 0, out var value));
        Assert.Equal(expected, value);
    }

    [Fact]
    public void Unsigned_long_long_range()
    {
        Assert.True(CStrToLong.TryULongLongPositive("18446744073709551615", 10, out var max));
        Assert.Equal(ulong.MaxValue, max);
        Assert.False(CStrToLong.TryULongLongPositive("18446744073709551616", 10, out _));
        Assert.False(CStrToLong.TryULongLongPositive("-0", 10, out _));
        Assert.True(CStrToLong.TryLongLong("-9223372036854775808", 10, out var min));
        Assert.Equal(long.MinValue, min);
    }

    [Theory]
    [InlineData("///var/////lib/libvirt/images//", "/var/lib/libvirt/images")]
    [InlineData("//server/share/", "//server/share")]
    [InlineData("//", "//")]
    [InlineData("/", "/")]
    [InlineData("///", "/")]
    [InlineData("a//b", "a/b")]
    [InlineData("gluster://host//vol/", "gluster://host//vol/")]
    [InlineData("/a://b//c", "/a:/b/c")]
    public void Paths_are_sanitised_like_virFileSanitizePath(string path, string expected) =>
        Assert.Equal(expected, VirFile.SanitizePath(path));

    [Theory]
    [InlineData("70a7eb15-6c34-ee9c-bf57-69e8e5ff3fb2")]
    [InlineData(" 70a7eb15 6c34 ee9c bf57 69e8e5ff3fb2\n")]
    [InlineData("70A7EB156C34EE9CBF5769E8E5FF3FB2")]
    [InlineData("70-a7-eb-15-6c-34-ee-9c-bf-57-69-e8-e5-ff-3f-b2")]
    public void Uuids_parse_like_virUUIDParse(string text)
    {
        Assert.True(VirUuid.TryParse(text, out var uuid));
        Assert.Equal("70a7eb15-6c34-ee9c-bf57-69e8e5ff3fb2", VirUuid.Format(uuid));
    }

    [Theory]
    [InlineData("70a7eb1-56c34-ee9c-bf57-69e8e5ff3fb2")]
    [InlineData("70a7eb15-6c34-ee9c-bf57-69e8e5ff3fb")]
    [InlineData("70a7eb15-6c34-ee9c-bf57-69e8e5ff3fb2a")]
    [InlineData("70a7eb15-6c34-ee9c-bf57-69e8e5ff3fb2 x")]
    public void Uuids_reject_what_virUUIDParse_rejects(string text) => Assert.False(VirUuid.TryParse(text, out _));
}
