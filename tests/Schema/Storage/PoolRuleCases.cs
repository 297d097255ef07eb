namespace Reconciler.Schema.Tests.Storage;

/// <summary>
/// libvirt 9.0.0's pool parse checks (virStoragePoolDefParseXML and the source, auth, adapter and permission
/// parsers it calls), each with a definition libvirt accepts and one it rejects, with libvirt's message.
/// </summary>
internal static class PoolRuleCases
{
    private const string Target = "  <target>\n    <path>/var/lib/images</path>\n  </target>";

    /// <summary>A pool of a type with the given source (and, unless told otherwise, a target).</summary>
    private static string Pool(string type, string source, string target = Target) =>
        $"<pool type='{type}'>\n  <name>p</name>\n  <source>\n{source}\n  </source>\n{target}\n</pool>";

    private static string Iscsi(string auth) =>
        Pool("iscsi", $"    <host name='iscsi.example.com'/>\n    <device path='iqn.2013-06.com.example:t'/>\n{auth}");

    private static string Scsi(string adapter) => Pool("scsi", adapter);

    private static string ScsiParent(string address, string uniqueId = " unique_id='1'") =>
        Scsi($"    <adapter type='scsi_host'>\n      <parentaddr{uniqueId}>\n        {address}\n      </parentaddr>\n    </adapter>");

    private static string Permissions(string body) =>
        $"  <target>\n    <path>/var/lib/images</path>\n    <permissions>\n      {body}\n    </permissions>\n  </target>";

    private static StorageCase Case(string rule, string valid, string invalid, string message, string at) =>
        new(rule, valid, invalid, message, at);

    public static IEnumerable<StorageCase> All()
    {
        yield return Case(
            "pool type required",
            "<pool type='dir'>\n  <name>p</name>\n" + Target + "\n</pool>",
            "<pool>\n  <name>p</name>\n" + Target + "\n</pool>",
            "XML error: Missing required attribute 'type' in element 'pool'",
            "pool>");
        yield return Case(
            "pool type known",
            "<pool type='mpath'>\n  <name>p</name>\n" + Target + "\n</pool>",
            "<pool type='lvm'>\n  <name>p</name>\n" + Target + "\n</pool>",
            "XML error: Invalid value for attribute 'type' in element 'pool': 'lvm'.",
            "type=");
        yield return Case(
            "rbd source name mandatory",
            "<pool type='rbd'>\n  <name>p</name>\n  <source>\n    <name>rbdpool</name>\n    <host name='mon'/>\n  </source>\n</pool>",
            "<pool type='rbd'>\n  <name>p</name>\n  <source>\n    <host name='mon'/>\n  </source>\n</pool>",
            "XML error: element 'name' is mandatory for RBD pool",
            "source>");
        yield return Case(
            "pool format known for the type",
            Pool("fs", "    <device path='/dev/sdb1'/>\n    <format type='xfs'/>"),
            Pool("fs", "    <device path='/dev/sdb1'/>\n    <format type='ntfs'/>"),
            "unsupported configuration: unknown pool format type ntfs",
            "type='ntfs'");
        yield return Case(
            "host name required",
            Pool("netfs", "    <host name='nfs.example.com'/>\n    <dir path='/export'/>"),
            Pool("netfs", "    <host port='2049'/>\n    <dir path='/export'/>"),
            "XML error: missing storage pool host name",
            "host port");
        yield return Case(
            "host port an integer",
            Pool("netfs", "    <host name='nfs.example.com' port='2049'/>\n    <dir path='/export'/>"),
            Pool("netfs", "    <host name='nfs.example.com' port='nfs'/>\n    <dir path='/export'/>"),
            "XML error: Invalid value for attribute 'port' in element 'host': 'nfs'. Expected integer value",
            "port=");
        yield return Case(
            "device path required",
            Pool("fs", "    <device path='/dev/sdb1'/>"),
            Pool("fs", "    <device/>"),
            "XML error: missing storage pool source device path",
            "device/>");
        yield return Case(
            "device part_separator yes or no",
            Pool("disk", "    <device path='/dev/sdb' part_separator='no'/>"),
            Pool("disk", "    <device path='/dev/sdb' part_separator='off'/>"),
            "XML error: Invalid value for attribute 'part_separator' in element 'device': 'off'.",
            "part_separator=");
        yield return Case(
            "adapter type known",
            Scsi("    <adapter type='scsi_host' name='host0'/>"),
            Scsi("    <adapter type='default' name='host0'/>"),
            "XML error: Invalid value for attribute 'type' in element 'adapter': 'default'.",
            "type='default'");
        yield return Case(
            "legacy adapter without fc attributes",
            Scsi("    <adapter name='host0'/>"),
            Scsi("    <adapter name='host0' wwnn='20000000c9831b4b'/>"),
            "XML error: Use of 'wwnn', 'wwpn', and 'parent' attributes requires use of the adapter 'type'",
            "adapter name");
        yield return Case(
            "legacy adapter without parentaddr",
            Scsi("    <adapter name='host0'/>"),
            Scsi("    <adapter name='host0'>\n      <parentaddr unique_id='1'/>\n    </adapter>"),
            "XML error: Use of 'parentaddr' element requires use of the adapter 'type'",
            "parentaddr");
        yield return Case(
            "fc_host managed yes or no",
            Scsi("    <adapter type='fc_host' managed='yes' wwnn='20000000c9831b4b' wwpn='10000000c9831b4b'/>"),
            Scsi("    <adapter type='fc_host' managed='on' wwnn='20000000c9831b4b' wwpn='10000000c9831b4b'/>"),
            "XML error: Invalid value for attribute 'managed' in element 'adapter': 'on'.",
            "managed=");
        yield return Case(
            "scsi_host parentaddr needs an address",
            ScsiParent("<address domain='0x0000' bus='0x00' slot='0x1f' function='0x2'/>"),
            Scsi("    <adapter type='scsi_host'>\n      <parentaddr unique_id='1'/>\n    </adapter>"),
            "XML error: Missing scsi_host PCI address element",
            "parentaddr");
        yield return Case(
            "parent PCI address numbers",
            ScsiParent("<address domain='0' bus='0' slot='31' function='2'/>"),
            ScsiParent("<address domain='-1' bus='0' slot='31' function='2'/>"),
            "XML error: Invalid value for attribute 'domain' in element 'address': '-1'. Expected non-negative integer value",
            "domain=");
        yield return Case(
            "parent PCI address bus",
            ScsiParent("<address domain='0' bus='0xff' slot='1' function='0'/>"),
            ScsiParent("<address domain='0' bus='0x100' slot='1' function='0'/>"),
            "XML error: Invalid PCI address bus='0x100', must be <= 0xFF",
            "address domain");
        yield return Case(
            "parent PCI address slot",
            ScsiParent("<address domain='0' bus='1' slot='0x1f' function='0'/>"),
            ScsiParent("<address domain='0' bus='1' slot='0x20' function='0'/>"),
            "XML error: Invalid PCI address slot='0x20', must be <= 0x1F",
            "address domain");
        yield return Case(
            "parent PCI address function",
            ScsiParent("<address domain='0' bus='1' slot='2' function='7'/>"),
            ScsiParent("<address domain='0' bus='1' slot='2' function='8'/>"),
            "XML error: Invalid PCI address function=0x8, must be <= 7",
            "address domain");
        yield return Case(
            "parent PCI address multifunction",
            ScsiParent("<address domain='0' bus='1' slot='2' function='0' multifunction='on'/>"),
            ScsiParent("<address domain='0' bus='1' slot='2' function='0' multifunction='yes'/>"),
            "XML error: Invalid value for attribute 'multifunction' in element 'address': 'yes'.",
            "multifunction=");
        yield return Case(
            "parent PCI address zpci",
            ScsiParent("<address domain='0' bus='1' slot='2' function='0'><zpci uid='0x1'/></address>"),
            ScsiParent("<address domain='0' bus='1' slot='2' function='0'><zpci uid='one'/></address>"),
            "XML error: Invalid value for attribute 'uid' in element 'zpci': 'one'. Expected non-negative integer value",
            "uid=");
        yield return Case(
            "parentaddr unique_id",
            ScsiParent("<address domain='0' bus='1' slot='2' function='0'/>", " unique_id='0'"),
            ScsiParent("<address domain='0' bus='1' slot='2' function='0'/>", " unique_id='-1'"),
            "XML error: Missing or invalid scsi adapter 'unique_id' value",
            "parentaddr");
        yield return Case(
            "auth username required",
            Iscsi("    <auth type='chap' username='admin'>\n      <secret usage='libvirtiscsi'/>\n    </auth>"),
            Iscsi("    <auth type='chap'>\n      <secret usage='libvirtiscsi'/>\n    </auth>"),
            "XML error: missing username for auth",
            "auth type");
        yield return Case(
            "auth type known",
            Iscsi("    <auth type='chap' username='admin'>\n      <secret usage='libvirtiscsi'/>\n    </auth>"),
            Iscsi("    <auth type='kerberos' username='admin'>\n      <secret usage='libvirtiscsi'/>\n    </auth>"),
            "unsupported configuration: unknown auth type 'kerberos'",
            "type='kerberos'");
        yield return Case(
            "auth secret required",
            Iscsi("    <auth type='chap' username='admin'>\n      <secret usage='libvirtiscsi'/>\n    </auth>"),
            Iscsi("    <auth type='chap' username='admin'/>"),
            "XML error: Missing <secret> element in auth",
            "auth type");
        yield return Case(
            "auth secret uuid or usage",
            Iscsi("    <auth type='chap' username='admin'>\n      <secret uuid='2ec115d7-3a88-3ceb-bc12-0ac909a6fd87'/>\n    </auth>"),
            Iscsi("    <auth type='chap' username='admin'>\n      <secret type='iscsi'/>\n    </auth>"),
            "XML error: missing secret uuid or usage attribute",
            "secret type");
        yield return Case(
            "auth secret not both uuid and usage",
            Iscsi("    <auth type='chap' username='admin'>\n      <secret usage='libvirtiscsi'/>\n    </auth>"),
            Iscsi("    <auth type='chap' username='admin'>\n      <secret uuid='2ec115d7-3a88-3ceb-bc12-0ac909a6fd87' usage='libvirtiscsi'/>\n    </auth>"),
            "XML error: either secret uuid or usage expected",
            "secret uuid");
        yield return Case(
            "auth secret uuid well formed",
            Iscsi("    <auth type='chap' username='admin'>\n      <secret uuid='2ec115d73a883cebbc120ac909a6fd87'/>\n    </auth>"),
            Iscsi("    <auth type='chap' username='admin'>\n      <secret uuid='2ec115d7-3a88'/>\n    </auth>"),
            "XML error: invalid secret uuid '2ec115d7-3a88'",
            "uuid=");
        yield return Case(
            "auth type required for pools",
            Iscsi("    <auth type='chap' username='admin'>\n      <secret usage='libvirtiscsi'/>\n    </auth>"),
            Iscsi("    <auth username='admin'>\n      <secret usage='libvirtiscsi'/>\n    </auth>"),
            "unsupported configuration: storage pool missing auth type",
            "auth username");
        yield return Case(
            "protocol ver only for nfs",
            Pool("netfs", "    <host name='nfs.example.com'/>\n    <dir path='/export'/>\n    <format type='nfs'/>\n    <protocol ver='4'/>"),
            Pool("netfs", "    <host name='nfs.example.com'/>\n    <dir path='/export'/>\n    <format type='cifs'/>\n    <protocol ver='4'/>"),
            "unsupported configuration: storage pool protocol ver unsupported for pool type 'cifs'",
            "ver=");
        yield return Case(
            "protocol ver without comma",
            Pool("netfs", "    <host name='nfs.example.com'/>\n    <dir path='/export'/>\n    <protocol ver='4.2'/>"),
            Pool("netfs", "    <host name='nfs.example.com'/>\n    <dir path='/export'/>\n    <protocol ver='4,nolock'/>"),
            "storage pool protocol ver '4,nolock' must not contain ','",
            "ver=");
        yield return Case(
            "pool name required",
            "<pool type='logical'>\n  <source>\n    <name>vg0</name>\n    <device path='/dev/sdb'/>\n  </source>\n</pool>",
            "<pool type='dir'>\n" + Target + "\n</pool>",
            "XML error: missing pool source name element",
            "pool type");
        yield return Case(
            "pool name without slash",
            "<pool type='dir'>\n  <name>images</name>\n" + Target + "\n</pool>",
            "<pool type='dir'>\n  <name>vm/images</name>\n" + Target + "\n</pool>",
            "XML error: name vm/images cannot contain '/'",
            "name>vm");
        yield return Case(
            "pool uuid well formed",
            "<pool type='dir'>\n  <name>p</name>\n  <uuid>70a7eb15-6c34-ee9c-bf57-69e8e5ff3fb2</uuid>\n" + Target + "\n</pool>",
            "<pool type='dir'>\n  <name>p</name>\n  <uuid>70a7eb15-6c34-ee9c-bf57</uuid>\n" + Target + "\n</pool>",
            "XML error: malformed uuid element",
            "uuid>");
        yield return Case(
            "cow state yes or no",
            "<pool type='dir'>\n  <name>p</name>\n  <features>\n    <cow state='no'/>\n  </features>\n" + Target + "\n</pool>",
            "<pool type='dir'>\n  <name>p</name>\n  <features>\n    <cow state='off'/>\n  </features>\n" + Target + "\n</pool>",
            "XML error: Invalid value for attribute 'state' in element 'cow': 'off'.",
            "state=");
        yield return Case(
            "cow only for fs and dir pools",
            "<pool type='fs'>\n  <name>p</name>\n  <features>\n    <cow state='yes'/>\n  </features>\n  <source>\n    <device path='/dev/sdb1'/>\n  </source>\n" + Target + "\n</pool>",
            "<pool type='mpath'>\n  <name>p</name>\n  <features>\n    <cow state='yes'/>\n  </features>\n" + Target + "\n</pool>",
            "this function is not supported by the connection driver: cow feature may only be used for 'fs' and 'dir' pools",
            "cow state");
        yield return Case(
            "source host required",
            Pool("netfs", "    <host name='nfs.example.com'/>\n    <dir path='/export'/>"),
            Pool("netfs", "    <dir path='/export'/>"),
            "XML error: missing storage pool source host name",
            "source>");
        yield return Case(
            "source dir required",
            Pool("netfs", "    <host name='nfs.example.com'/>\n    <dir path='/export'/>"),
            Pool("netfs", "    <host name='nfs.example.com'/>"),
            "XML error: missing storage pool source path",
            "source>");
        yield return Case(
            "source adapter required",
            Scsi("    <adapter type='scsi_host' name='host0'/>"),
            Scsi("    <adapter/>"),
            "XML error: missing storage pool source adapter",
            "adapter/>");
        yield return Case(
            "fc_host wwnn and wwpn required",
            Scsi("    <adapter type='fc_host' wwnn='20000000c9831b4b' wwpn='10000000c9831b4b'/>"),
            Scsi("    <adapter type='fc_host' wwnn='20000000c9831b4b'/>"),
            "XML error: 'wwnn' and 'wwpn' must be specified for adapter type 'fchost'",
            "adapter type");
        yield return Case(
            "fc_host wwn well formed",
            Scsi("    <adapter type='fc_host' wwnn='0x20000000c9831b4b' wwpn='10000000c9831b4b'/>"),
            Scsi("    <adapter type='fc_host' wwnn='20000000c9831b4b' wwpn='10000000c9831b4'/>"),
            "internal error: Malformed wwn: 10000000c9831b4",
            "wwpn=");
        yield return Case(
            "fc_host parent_wwnn needs parent_wwpn",
            Scsi("    <adapter type='fc_host' parent_wwnn='20000000c9831b4c' parent_wwpn='10000000c9831b4c' wwnn='20000000c9831b4b' wwpn='10000000c9831b4b'/>"),
            Scsi("    <adapter type='fc_host' parent_wwnn='20000000c9831b4c' wwnn='20000000c9831b4b' wwpn='10000000c9831b4b'/>"),
            "XML error: when providing parent_wwnn='20000000c9831b4c', the parent_wwpn must also be provided",
            "adapter type");
        yield return Case(
            "fc_host parent_wwpn needs parent_wwnn",
            Scsi("    <adapter type='fc_host' parent_wwnn='20000000c9831b4c' parent_wwpn='10000000c9831b4c' wwnn='20000000c9831b4b' wwpn='10000000c9831b4b'/>"),
            Scsi("    <adapter type='fc_host' parent_wwpn='10000000c9831b4c' wwnn='20000000c9831b4b' wwpn='10000000c9831b4b'/>"),
            "XML error: when providing parent_wwpn='10000000c9831b4c', the parent_wwnn must also be provided",
            "adapter type");
        yield return Case(
            "fc_host parent fabric wwn well formed",
            Scsi("    <adapter type='fc_host' parent_fabric_wwn='20000000c9831b4d' wwnn='20000000c9831b4b' wwpn='10000000c9831b4b'/>"),
            Scsi("    <adapter type='fc_host' parent_fabric_wwn='fabric' wwnn='20000000c9831b4b' wwpn='10000000c9831b4b'/>"),
            "internal error: Malformed wwn: fabric",
            "parent_fabric_wwn=");
        yield return Case(
            "scsi_host name or parent",
            Scsi("    <adapter type='scsi_host' name='host0'/>"),
            Scsi("    <adapter type='scsi_host'/>"),
            "XML error: Either 'name' or 'parent' must be specified for the 'scsi_host' adapter",
            "adapter type");
        yield return Case(
            "scsi_host not both name and parent",
            ScsiParent("<address domain='0' bus='1' slot='2' function='0'/>"),
            Scsi("    <adapter type='scsi_host' name='host0'>\n      <parentaddr unique_id='1'>\n        <address domain='0' bus='1' slot='2' function='0'/>\n      </parentaddr>\n    </adapter>"),
            "XML error: Both 'name' and 'parent' cannot be specified for the 'scsi_host' adapter",
            "adapter type");
        yield return Case(
            "source device required",
            Pool("disk", "    <device path='/dev/sdb'/>"),
            Pool("disk", "    <format type='gpt'/>"),
            "XML error: missing storage pool source device name",
            "source>");
        yield return Case(
            "target path required",
            "<pool type='dir'>\n  <name>p</name>\n" + Target + "\n</pool>",
            "<pool type='dir'>\n  <name>p</name>\n  <target>\n    <permissions/>\n  </target>\n</pool>",
            "XML error: missing storage pool target path",
            "target>");
        yield return Case(
            "permissions mode octal",
            "<pool type='dir'>\n  <name>p</name>\n" + Permissions("<mode>0755</mode>") + "\n</pool>",
            "<pool type='dir'>\n  <name>p</name>\n" + Permissions("<mode>0758</mode>") + "\n</pool>",
            "XML error: malformed octal mode",
            "mode>");
        yield return Case(
            "permissions mode at most 0777",
            "<pool type='dir'>\n  <name>p</name>\n" + Permissions("<mode>777</mode>") + "\n</pool>",
            "<pool type='dir'>\n  <name>p</name>\n" + Permissions("<mode>1777</mode>") + "\n</pool>",
            "XML error: malformed octal mode",
            "mode>");
        yield return Case(
            "permissions owner a uid",
            "<pool type='dir'>\n  <name>p</name>\n" + Permissions("<owner>-1</owner>") + "\n</pool>",
            "<pool type='dir'>\n  <name>p</name>\n" + Permissions("<owner>4294967296</owner>") + "\n</pool>",
            "XML error: malformed owner element",
            "owner>");
        yield return Case(
            "permissions group a gid",
            "<pool type='dir'>\n  <name>p</name>\n" + Permissions("<group>107</group>") + "\n</pool>",
            "<pool type='dir'>\n  <name>p</name>\n" + Permissions("<group>kvm</group>") + "\n</pool>",
            "XML error: malformed group element",
            "group>");
        yield return Case(
            "iscsi-direct initiator required",
            "<pool type='iscsi-direct'>\n  <name>p</name>\n  <source>\n    <host name='h'/>\n    <device path='iqn.t'/>\n    <initiator>\n      <iqn name='iqn.i'/>\n    </initiator>\n  </source>\n</pool>",
            "<pool type='iscsi-direct'>\n  <name>p</name>\n  <source>\n    <host name='h'/>\n    <device path='iqn.t'/>\n  </source>\n</pool>",
            "unsupported configuration: missing initiator IQN",
            "source>");
        yield return Case(
            "refresh allocation known",
            "<pool type='dir'>\n  <name>p</name>\n" + Target + "\n  <refresh>\n    <volume allocation='capacity'/>\n  </refresh>\n</pool>",
            "<pool type='dir'>\n  <name>p</name>\n" + Target + "\n  <refresh>\n    <volume allocation='sparse'/>\n  </refresh>\n</pool>",
            "unsupported configuration: unknown storage pool volume refresh allocation type sparse",
            "allocation=");
    }
}
