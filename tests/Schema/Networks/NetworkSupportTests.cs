using System.Net.Sockets;
using Reconciler.Schema.Networks.Support;
using Xunit;

namespace Reconciler.Schema.Tests.Networks;

/// <summary>
/// The address, MAC and number parsing libvirt's network parser relies on (glibc's getaddrinfo and
/// getnameinfo, virMacAddrParse, virStrToLong_*); the expected values are what libvirt 9.0.0 makes of them.
/// </summary>
public sealed class NetworkSupportTests
{
    [Theory]
    [InlineData("192.168.1", "192.168.0.1")]
    [InlineData("10.1", "10.0.0.1")]
    [InlineData("0x7f000001", "127.0.0.1")]
    [InlineData("010.0.0.1", "8.0.0.1")]
    [InlineData("00000001.1", "1.0.0.1")]
    [InlineData("1.2.65535", "1.2.255.255")]
    [InlineData("0", "0.0.0.0")]
    [InlineData("2001:DB8:0:0:0:0:0:1", "2001:db8::1")]
    [InlineData("1:0:0:0:1:0:0:0", "1::1:0:0:0")]
    [InlineData("1:0:0:1:0:0:1:1", "1::1:0:0:1:1")]
    [InlineData("0:0:1::", "0:0:1::")]
    [InlineData("::", "::")]
    [InlineData("::1:2", "::0.1.0.2")]
    [InlineData("::0.0.0.1", "::1")]
    [InlineData("::ffff:1.2.3.4", "::ffff:1.2.3.4")]
    [InlineData("::ffff:0:0", "::ffff:0.0.0.0")]
    [InlineData("1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8")]
    [InlineData("fe80::1%5", "fe80::1%5")]
    [InlineData("fe80::1%0", "fe80::1")]
    public void Addresses_are_read_and_written_as_glibc_does(string text, string formatted)
    {
        Assert.True(VirSocketAddr.TryParse(text, AddressFamily.Unspecified, out var address, out _));
        Assert.Equal(formatted, VirSocketAddr.Format(address));
    }

    [Theory]
    [InlineData("1.2.3.4.5")]
    [InlineData("1..2")]
    [InlineData("0x100.1")]
    [InlineData("1.0x1000000")]
    [InlineData("1.2.65536")]
    [InlineData("4294967296")]
    [InlineData("1.2.3.4 ")]
    [InlineData(" 1.2.3.4")]
    [InlineData("1.2.3.256")]
    [InlineData("08")]
    [InlineData("1::2::3")]
    [InlineData("12345::")]
    [InlineData("1:2:3:4:5:6:7:8:9")]
    [InlineData("::1.2.3")]
    [InlineData("::01.2.3.4")]
    [InlineData("*")]
    [InlineData("")]
    [InlineData("localhost")]
    public void Non_numeric_or_malformed_addresses_are_refused(string text)
    {
        Assert.False(VirSocketAddr.TryParse(text, AddressFamily.Unspecified, out _, out var error));
        Assert.Equal("Name or service not known", error);
    }

    [Fact]
    public void An_IPv4_only_parse_takes_mapped_addresses_and_refuses_other_IPv6()
    {
        Assert.True(VirSocketAddr.TryParse("::ffff:1.2.3.4", AddressFamily.InterNetwork, out var mapped, out _));
        Assert.Equal("1.2.3.4", VirSocketAddr.Format(mapped));
        Assert.False(VirSocketAddr.TryParse("::1", AddressFamily.InterNetwork, out _, out var error));
        Assert.Equal("Address family for hostname not supported", error);
    }

    [Theory]
    [InlineData("52:54:00:AB:cd:0F", "52:54:00:ab:cd:0f")]
    [InlineData("52:54:0:1:2:3", "52:54:00:01:02:03")]
    [InlineData("52:54:00:00:00:0A ", "52:54:00:00:00:0a")]
    public void Mac_addresses_are_read_as_virMacAddrParse_does(string text, string formatted)
    {
        Assert.True(MacAddress.TryParse(text, out var mac));
        Assert.Equal(formatted, MacAddress.Format(mac));
    }

    [Theory]
    [InlineData("52:54:00:ab:cd")]
    [InlineData("52:54:00:00:00:01x")]
    [InlineData("0x2:54:00:00:00:01")]
    [InlineData("052:54:00:00:00:01")]
    [InlineData("")]
    public void Malformed_mac_addresses_are_refused(string text) => Assert.False(MacAddress.TryParse(text, out _));

    [Fact]
    public void Multicast_is_the_low_bit_of_the_first_byte()
    {
        Assert.True(MacAddress.TryParse("01:00:00:00:00:01", out var multicast));
        Assert.True(MacAddress.IsMulticast(multicast));
        Assert.True(MacAddress.TryParse("52:54:00:00:00:01", out var unicast));
        Assert.False(MacAddress.IsMulticast(unicast));
    }

    [Theory]
    [InlineData("-1", 10, true, 4294967295u)]
    [InlineData("-0", 10, true, 0u)]
    [InlineData(" 1500", 10, true, 1500u)]
    [InlineData("+7", 10, true, 7u)]
    [InlineData("0x10", 0, true, 16u)]
    [InlineData("010", 0, true, 8u)]
    [InlineData("0x10", 10, false, 0u)]
    [InlineData("9k", 10, false, 0u)]
    [InlineData("4294967296", 10, false, 0u)]
    [InlineData("", 10, false, 0u)]
    public void Unsigned_ints_follow_virStrToLong_ui(string text, int numberBase, bool ok, uint value)
    {
        Assert.Equal(ok, StrToLong.TryUInt(text, numberBase, out var parsed));
        Assert.Equal(value, parsed);
    }

    [Theory]
    [InlineData("-1", false)]
    [InlineData("18446744073709551615", true)]
    [InlineData("18446744073709551616", false)]
    [InlineData("12 ", false)]
    public void Positive_variants_refuse_a_minus_sign(string text, bool ok) =>
        Assert.Equal(ok, StrToLong.TryULongPositive(text, 10, out _));

    [Theory]
    [InlineData("10.0.0.1", null, 0u, 8)]
    [InlineData("172.16.0.1", null, 0u, 16)]
    [InlineData("192.168.0.1", null, 0u, 24)]
    [InlineData("224.0.0.1", null, 0u, -1)]
    [InlineData("0.0.0.0", null, 0u, 0)]
    [InlineData("10.0.0.1", "255.255.240.0", 0u, 20)]
    [InlineData("10.0.0.1", "255.0.255.0", 0u, -1)]
    [InlineData("10.0.0.1", null, 30u, 30)]
    [InlineData("2001:db8::1", null, 0u, 64)]
    [InlineData("::", null, 0u, 0)]
    public void The_prefix_in_effect_is_virSocketAddrGetIPPrefix(string address, string? netmask, uint prefix, int expected)
    {
        Assert.True(VirSocketAddr.TryParse(address, AddressFamily.Unspecified, out var a, out _));
        System.Net.IPAddress? mask = null;
        if (netmask is not null)
        {
            Assert.True(VirSocketAddr.TryParse(netmask, AddressFamily.Unspecified, out mask, out _));
        }

        Assert.Equal(expected, AddressMath.GetIpPrefix(a, mask, prefix));
    }
}
