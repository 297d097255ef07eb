namespace Reconciler.Schema.Tests.Storage;

/// <summary>
/// libvirt 9.0.0's volume parse checks (virStorageVolDefParseXML and the encryption and permission parsers
/// it calls) and the test driver's vol-create check, each with a volume libvirt accepts and one it rejects.
/// </summary>
internal static class VolumeRuleCases
{
    /// <summary>A volume with the given target (and extra elements after it).</summary>
    private static string Volume(string target, string more = "") =>
        $"<volume>\n  <name>disk.img</name>\n  <capacity unit='GiB'>1</capacity>\n  <target>\n{target}\n  </target>\n{more}</volume>";

    private static string Encryption(string body, string format = "luks") =>
        Volume($"    <encryption format='{format}'>\n      {body}\n    </encryption>");

    private static string Sized(string sizes) => $"<volume>\n  <name>disk.img</name>\n{sizes}\n</volume>";

    private static StorageCase Case(string rule, string valid, string invalid, string message, string at) =>
        new(rule, valid, invalid, message, at);

    public static IEnumerable<StorageCase> All()
    {
        yield return Case(
            "volume name required",
            Sized("  <capacity>1024</capacity>"),
            "<volume>\n  <capacity>1024</capacity>\n</volume>",
            "XML error: missing volume name element",
            "volume>");
        yield return Case(
            "volume type known",
            "<volume type='block'>\n  <name>v</name>\n  <capacity>1024</capacity>\n</volume>",
            "<volume type='disk'>\n  <name>v</name>\n  <capacity>1024</capacity>\n</volume>",
            "unsupported configuration: unknown volume type 'disk'",
            "type=");
        yield return Case(
            "backing store format known",
            Volume("    <format type='qcow2'/>", "  <backingStore>\n    <path>/images/base.img</path>\n    <format type='vmdk'/>\n  </backingStore>\n"),
            Volume("    <format type='qcow2'/>", "  <backingStore>\n    <path>/images/base.img</path>\n    <format type='none'/>\n  </backingStore>\n"),
            "unsupported configuration: unknown volume format type none",
            "type='none'");
        yield return Case(
            "backing store permissions",
            Volume("    <format type='qcow2'/>", "  <backingStore>\n    <path>/images/base.img</path>\n    <permissions>\n      <mode>0644</mode>\n    </permissions>\n  </backingStore>\n"),
            Volume("    <format type='qcow2'/>", "  <backingStore>\n    <path>/images/base.img</path>\n    <permissions>\n      <mode>rw-r--r--</mode>\n    </permissions>\n  </backingStore>\n"),
            "XML error: malformed octal mode",
            "mode>");
        yield return Case(
            "capacity required",
            Sized("  <capacity>0</capacity>"),
            Sized("  <allocation>0</allocation>"),
            "XML error: missing capacity element",
            "volume>");
        yield return Case(
            "capacity a non-negative number",
            Sized("  <capacity> 5</capacity>"),
            Sized("  <capacity>-5</capacity>"),
            "XML error: malformed capacity element",
            "capacity>");
        yield return Case(
            "capacity unit known",
            Sized("  <capacity unit='TB'>1</capacity>\n  <allocation>0</allocation>"),
            Sized("  <capacity unit='blocks'>1</capacity>"),
            "invalid argument: unknown suffix 'blocks'",
            "capacity unit");
        yield return Case(
            "capacity at most 2^63-1 bytes",
            Sized("  <capacity unit='EiB'>7</capacity>\n  <allocation>0</allocation>"),
            Sized("  <capacity unit='EiB'>8</capacity>"),
            "numerical overflow: value too large: 8EiB",
            "capacity unit");
        yield return Case(
            "allocation a number",
            Sized("  <capacity>1024</capacity>\n  <allocation>0</allocation>"),
            Sized("  <capacity>1024</capacity>\n  <allocation>all</allocation>"),
            "XML error: malformed capacity element",
            "allocation>");
        yield return Case(
            "target format known",
            Volume("    <format type='iso'/>"),
            Volume("    <format type='none'/>"),
            "unsupported configuration: unknown volume format type none",
            "type='none'");
        yield return Case(
            "target permissions",
            Volume("    <permissions>\n      <owner>107</owner>\n    </permissions>"),
            Volume("    <permissions>\n      <owner>qemu</owner>\n    </permissions>"),
            "XML error: malformed owner element",
            "owner>");
        yield return Case(
            "encryption format required",
            Encryption("<secret type='passphrase' usage='disk'/>", "qcow"),
            Volume("    <encryption>\n      <secret type='passphrase' usage='disk'/>\n    </encryption>"),
            "XML error: unknown volume encryption format",
            "encryption>");
        yield return Case(
            "encryption format known",
            Encryption("<secret type='passphrase' usage='disk'/>", "luks2"),
            Encryption("<secret type='passphrase' usage='disk'/>", "bitlocker"),
            "unsupported configuration: unknown volume encryption format type bitlocker",
            "format='bitlocker'");
        yield return Case(
            "encryption engine known",
            Volume("    <encryption format='luks' engine='qemu'/>"),
            Volume("    <encryption format='luks' engine='default'/>"),
            "XML error: Invalid value for attribute 'engine' in element 'encryption': 'default'.",
            "engine=");
        yield return Case(
            "encryption secret type required",
            Encryption("<secret type='passphrase' uuid='e78d4b51-a2af-485f-b0f5-afca709a80f4'/>"),
            Encryption("<secret uuid='e78d4b51-a2af-485f-b0f5-afca709a80f4'/>"),
            "XML error: unknown volume encryption secret type",
            "secret uuid");
        yield return Case(
            "encryption secret type known",
            Encryption("<secret type='passphrase' uuid='e78d4b51-a2af-485f-b0f5-afca709a80f4'/>"),
            Encryption("<secret type='key' uuid='e78d4b51-a2af-485f-b0f5-afca709a80f4'/>"),
            "unsupported configuration: unknown volume encryption secret type key",
            "type='key'");
        yield return Case(
            "encryption secret uuid or usage",
            Encryption("<secret type='passphrase' usage='disk'/>"),
            Encryption("<secret type='passphrase'/>"),
            "XML error: missing secret uuid or usage attribute",
            "secret type");
        yield return Case(
            "luks cipher name required",
            Encryption("<cipher name='serpent' size='256'/>"),
            Encryption("<cipher size='256'/>"),
            "XML error: cipher info missing 'name' attribute",
            "cipher");
        yield return Case(
            "luks cipher size required",
            Encryption("<cipher name='serpent' size='256'/>"),
            Encryption("<cipher name='serpent'/>"),
            "XML error: Missing required attribute 'size' in element 'cipher'",
            "cipher");
        yield return Case(
            "luks cipher size a number",
            Encryption("<cipher name='serpent' size='256'/>"),
            Encryption("<cipher name='serpent' size='large'/>"),
            "XML error: Invalid value for attribute 'size' in element 'cipher': 'large'. Expected non-negative integer value",
            "size=");
        yield return Case(
            "luks ivgen needs a cipher",
            Encryption("<cipher name='serpent' size='256'/>\n      <ivgen name='plain64'/>"),
            Encryption("<ivgen name='plain64'/>"),
            "XML error: ivgen element found, but cipher is missing",
            "ivgen");
        yield return Case(
            "luks ivgen name required",
            Encryption("<cipher name='serpent' size='256'/>\n      <ivgen name='plain64' hash='sha256'/>"),
            Encryption("<cipher name='serpent' size='256'/>\n      <ivgen hash='sha256'/>"),
            "XML error: missing ivgen info name string",
            "ivgen");
        yield return Case(
            "compat two numbers",
            Volume("    <format type='qcow2'/>\n    <compat>0.10</compat>"),
            Volume("    <format type='qcow2'/>\n    <compat>v3</compat>"),
            "XML error: forbidden characters in 'compat' attribute",
            "compat>");
        yield return Case(
            "cluster size a number",
            Volume("    <format type='qcow2'/>\n    <clusterSize unit='KiB'>64</clusterSize>"),
            Volume("    <format type='qcow2'/>\n    <clusterSize unit='KiB'>x64</clusterSize>"),
            "XML error: Invalid value 'x64' for element or attribute './target/clusterSize'",
            "clusterSize unit");
        yield return Case(
            "cluster size unit known",
            Volume("    <format type='qcow2'/>\n    <clusterSize unit='k'>64</clusterSize>"),
            Volume("    <format type='qcow2'/>\n    <clusterSize unit='sectors'>64</clusterSize>"),
            "invalid argument: unknown suffix 'sectors'",
            "clusterSize unit");
        yield return Case(
            "features known",
            Volume("    <format type='qcow2'/>\n    <features>\n      <lazy_refcounts/>\n    </features>"),
            Volume("    <format type='qcow2'/>\n    <features>\n      <compression/>\n    </features>"),
            "unsupported configuration: unsupported feature compression",
            "compression");
        yield return Case(
            "allocation fits the test driver's pool",
            Sized("  <capacity unit='TiB'>1</capacity>\n  <allocation unit='GiB'>100</allocation>"),
            Sized("  <capacity unit='TiB'>1</capacity>\n  <allocation unit='GiB'>101</allocation>"),
            "internal error: Not enough free space in pool for volume 'disk.img'",
            "allocation unit");
        yield return Case(
            "capacity fits the test driver's pool when it is the allocation",
            Sized("  <capacity unit='GiB'>100</capacity>"),
            Sized("  <capacity unit='GiB'>101</capacity>"),
            "internal error: Not enough free space in pool for volume 'disk.img'",
            "capacity unit");
    }
}
