using Reconciler.Schema.Storage.Model;
using Xunit;

namespace Reconciler.Schema.Tests.Storage;

/// <summary>
/// parse → format → parse: the effective XML of an effective XML is itself, and so is its model. (libvirt
/// reads back what it writes, except the pool sizes, which its test driver sets anyway.)
/// </summary>
public sealed class StorageRoundTripTests
{
    public static TheoryData<string> Pools() =>
    [
        "<pool type='dir'><name>images</name><uuid>70a7eb15-6c34-ee9c-bf57-69e8e5ff3fb2</uuid><source/><target><path>///var//lib/images/</path><permissions><mode>0700</mode><owner>-1</owner><group>0</group><label>l</label></permissions></target></pool>",
        "<pool type='dir'><name>cow</name><features><cow state='yes'/></features><target><path>/p</path></target><refresh><volume allocation='default'/></refresh></pool>",
        "<pool type='fs'><name>fs</name><source><device path='/dev/sdb1'/><format type='ext4'/></source><target><path>/mnt</path></target></pool>",
        "<pool type='netfs'><name>nfs</name><source><host name='nfs.example.com' port='2049'/><dir path='/export'/><format type='nfs'/><protocol ver='4'/></source><target><path>/mnt/nfs</path></target></pool>",
        "<pool type='netfs'><name>cifs</name><source><host name='smb'/><dir path='share'/><format type='cifs'/></source><target><path>/mnt/smb</path></target></pool>",
        "<pool type='logical'><name>vg</name><source><device path='/dev/sda1'/><device path='/dev/sdb1'/><format type='lvm2'/></source></pool>",
        "<pool type='disk'><name>sdb</name><source><device path='/dev/sdb' part_separator='yes'/><format type='gpt'/></source><target><path>/dev</path></target></pool>",
        "<pool type='iscsi'><name>iscsi</name><source><host name='h'/><device path='iqn.t'/><initiator><iqn name='iqn.i'/></initiator><auth type='chap' username='u'><secret usage='s'/></auth><vendor name='v'/><product name='p'/></source><target><path>/dev/disk/by-path</path></target></pool>",
        "<pool type='iscsi-direct'><name>direct</name><source><host name='h'/><device path='iqn.t'/><initiator><iqn name='iqn.i'/></initiator><auth type='chap' username='u'><secret type='iscsi' uuid='2ec115d7-3a88-3ceb-bc12-0ac909a6fd87'/></auth></source></pool>",
        "<pool type='scsi'><name>fc</name><source><adapter type='fc_host' parent_wwnn='20000000c9831b4c' parent_wwpn='10000000c9831b4c' parent_fabric_wwn='20000000c9831b4d' managed='no' wwnn='20000000c9831b4b' wwpn='10000000c9831b4b'/></source><target><path>/dev/disk/by-path</path></target></pool>",
        "<pool type='scsi'><name>sh</name><source><adapter type='scsi_host'><parentaddr unique_id='3'><address domain='0x0001' bus='0x02' slot='0x03' function='0x4'/></parentaddr></adapter></source><target><path>/dev/disk/by-id</path></target></pool>",
        "<pool type='mpath'><name>mpath</name><target><path>/dev/mapper</path></target></pool>",
        "<pool type='rbd'><name>ceph</name><source><name>rbd</name><host name='[::1]' port='6789'/><auth type='ceph' username='admin'><secret uuid='2ec115d7-3a88-3ceb-bc12-0ac909a6fd87'/></auth></source></pool>",
        "<pool type='sheepdog'><name>sheep</name><source><host name='localhost' port='7000'/></source></pool>",
        "<pool type='gluster'><name>gluster</name><source><host name='g'/><dir path='/sub'/><name>vol</name></source></pool>",
        "<pool type='zfs'><name>tank</name><source><device path='/dev/sdc'/></source></pool>",
        "<pool type='vstorage'><name>vz</name><source><name>cluster</name></source><target><path>/mnt/vz</path></target></pool>",
    ];

    public static TheoryData<string> Volumes() =>
    [
        "<volume><name>raw.img</name><capacity unit='G'>10</capacity><allocation>0</allocation></volume>",
        "<volume type='block'><name>swap</name><capacity>2080374784</capacity><target><permissions><mode>0660</mode><owner>0</owner><group>6</group><label>system_u:object_r:fixed_disk_device_t:s0</label></permissions></target><backingStore><path>/dev/vg/snap</path><permissions><mode>0</mode></permissions></backingStore></volume>",
        "<volume><name>q.qcow2</name><capacity unit='GiB'>5</capacity><target><format type='qcow2'/><compat>0.10</compat><clusterSize unit='KiB'>128</clusterSize><features><extended_l2/><lazy_refcounts/></features></target><backingStore><path>/b.vmdk</path><format type='vmdk'/></backingStore></volume>",
        "<volume><name>e.qcow2</name><capacity>1048576</capacity><target><format type='qcow2'/><features/><encryption format='qcow'><secret type='passphrase' uuid='e78d4b51-a2af-485f-b0f5-afca709a80f4'/></encryption></target></volume>",
        "<volume><name>luks</name><capacity>1048576</capacity><target><encryption format='luks' engine='librbd'><secret type='passphrase' usage='u'/><cipher name='aes' size='256'/><ivgen name='plain64' hash='sha256'/></encryption></target></volume>",
        "<volume type='netdir'><name>dir</name><capacity>0</capacity><target><format type='dir'/><permissions><mode>0600</mode><owner>4294967295</owner></permissions></target></volume>",
    ];

    [Theory]
    [MemberData(nameof(Pools))]
    public void Pool_round_trip(string spec)
    {
        var first = StorageSpecs.Load(spec);
        Assert.True(first.IsValid, string.Join("\n", first.Errors));
        var second = StorageSpecs.Load(first.Format());
        Assert.True(second.IsValid, string.Join("\n", second.Errors));

        Assert.Equal(first.Format(), second.Format());
        var a = StoragePoolDefinition.FromDocument(first);
        var b = StoragePoolDefinition.FromDocument(second);
        Assert.Equal(a with { Xml = b.Xml }, b);
    }

    [Theory]
    [MemberData(nameof(Volumes))]
    public void Volume_round_trip(string spec)
    {
        var first = StorageSpecs.Load(spec);
        Assert.True(first.IsValid, string.Join("\n", first.Errors));
        var second = StorageSpecs.Load(first.Format());
        Assert.True(second.IsValid, string.Join("\n", second.Errors));

        Assert.Equal(first.Format(), second.Format());
        var a = StorageVolumeDefinition.FromDocument(first);
        var b = StorageVolumeDefinition.FromDocument(second);
        Assert.Equal(a with { Xml = b.Xml }, b);
    }
}
