using Reconciler.Schema.Model;
using Reconciler.Schema.Storage.Model;
using Xunit;

namespace Reconciler.Schema.Tests.Storage;

/// <summary>The typed pool and volume models read from the effective XML: units applied, defaults filled in.</summary>
public sealed class StorageModelTests
{
    [Fact]
    public void Iscsi_pool_model()
    {
        var pool = Pool("""
            <pool type='iscsi'>
              <name>virtimages</name>
              <uuid>e9392370-2917-565e-692b-d057f46512d6</uuid>
              <source>
                <host name='iscsi.example.com' port='3260'/>
                <device path='iqn.2013-06.com.example:iscsi-pool'/>
                <initiator>
                  <iqn name='iqn.2013-06.com.example:iscsi-initiator'/>
                </initiator>
                <auth type='chap' username='admin'>
                  <secret usage='libvirtiscsi'/>
                </auth>
                <vendor name='test-vendor'/>
                <product name='test-product'/>
              </source>
              <target>
                <path>/dev/disk/by-path</path>
                <permissions>
                  <mode>0750</mode>
                  <owner>107</owner>
                  <group>-1</group>
                  <label>virt_image_t</label>
                </permissions>
              </target>
            </pool>
            """);

        Assert.Equal("iscsi", pool.Type);
        Assert.Equal("virtimages", pool.Name);
        Assert.Equal(new Guid("e9392370-2917-565e-692b-d057f46512d6"), pool.Uuid);
        Assert.Equal(107374182400UL, pool.Capacity);
        Assert.Equal(0UL, pool.Allocation);
        Assert.Equal(107374182400UL, pool.Available);
        Assert.Equal(new ValueList<StoragePoolHost>([new StoragePoolHost("iscsi.example.com", 3260)]), pool.Source.Hosts);
        Assert.Equal(new ValueList<StoragePoolDevice>([new StoragePoolDevice("iqn.2013-06.com.example:iscsi-pool", null)]), pool.Source.Devices);
        Assert.Equal("iqn.2013-06.com.example:iscsi-initiator", pool.Source.InitiatorIqn);
        Assert.Equal(new StorageAuth("chap", "admin", new StorageSecretRef(null, null, "libvirtiscsi")), pool.Source.Auth);
        Assert.Equal(("test-vendor", "test-product"), (pool.Source.Vendor, pool.Source.Product));
        Assert.Null(pool.Source.Format);
        Assert.Equal(new StoragePoolTarget("/dev/disk/by-path", new StoragePermissions(0b111_101_000, 107, null, "virt_image_t")), pool.Target);
    }

    [Fact]
    public void Netfs_pool_model_has_dir_format_and_protocol()
    {
        var pool = Pool("""
            <pool type='netfs'>
              <name>nfs</name>
              <source>
                <host name='nfs.example.com'/>
                <dir path='/export//images/'/>
                <protocol ver='4'/>
              </source>
              <target><path>/mnt/nfs</path></target>
            </pool>
            """);

        Assert.Equal(StorageSpecs.GeneratedUuid, pool.Uuid);
        Assert.Equal(new StoragePoolHost("nfs.example.com", null), Assert.Single(pool.Source.Hosts));
        Assert.Equal("/export/images", pool.Source.Dir);
        Assert.Equal("auto", pool.Source.Format);
        Assert.Equal("4", pool.Source.ProtocolVersion);
        Assert.Equal(StoragePermissions.None, pool.Target!.Permissions);
    }

    [Fact]
    public void Rbd_pool_model_has_no_target()
    {
        var pool = Pool("""
            <pool type='rbd'>
              <name>ceph</name>
              <source>
                <name>rbd</name>
                <host name='mon1' port='6789'/>
                <auth username='admin' type='ceph'>
                  <secret uuid='2ec115d7-3a88-3ceb-bc12-0ac909a6fd87'/>
                </auth>
              </source>
            </pool>
            """);

        Assert.Null(pool.Target);
        Assert.Equal("rbd", pool.Source.Name);
        Assert.Equal(new Guid("2ec115d7-3a88-3ceb-bc12-0ac909a6fd87"), pool.Source.Auth!.Secret.Uuid);
    }

    [Fact]
    public void Scsi_pool_adapter_models()
    {
        var fc = Pool("<pool type='scsi'><name>hba</name><source><adapter type='fc_host' parent='scsi_host5' managed='yes' wwnn='20000000c9831b4b' wwpn='10000000c9831b4b'/></source><target><path>/dev/disk/by-path</path></target></pool>");
        Assert.Equal(
            new StorageAdapter("fc_host", null, null, 0, "scsi_host5", null, null, null, true, "20000000c9831b4b", "10000000c9831b4b"),
            fc.Source.Adapter);

        var scsi = Pool("<pool type='scsi'><name>hba</name><source><adapter type='scsi_host'><parentaddr unique_id='2'><address domain='0x0000' bus='0x00' slot='0x1f' function='0x2'/></parentaddr></adapter></source><target><path>/dev/disk/by-path</path></target></pool>");
        Assert.Equal(new StoragePciAddress(0, 0, 0x1f, 2), scsi.Source.Adapter!.ParentAddress);
        Assert.Equal(2, scsi.Source.Adapter.UniqueId);

        var legacy = Pool("<pool type='scsi'><name>hba</name><source><adapter name='host0'/></source><target><path>/dev/disk/by-path</path></target></pool>");
        Assert.Equal(("scsi_host", "host0"), (legacy.Source.Adapter!.Type, legacy.Source.Adapter.Name));
    }

    [Fact]
    public void Disk_pool_model_has_devices_with_their_part_separator_and_a_format()
    {
        var pool = Pool("<pool type='disk'><name>sdb</name><source><device path='/dev/sdb' part_separator='no'/><format type='gpt'/></source><target><path>/dev</path></target></pool>");
        Assert.Equal(new StoragePoolDevice("/dev/sdb", false), Assert.Single(pool.Source.Devices));
        Assert.Equal("gpt", pool.Source.Format);
        Assert.Null(pool.Cow);
    }

    [Fact]
    public void Dir_pool_model_has_its_cow_feature_and_refresh_policy()
    {
        var pool = Pool("<pool type='dir'><name>p</name><features><cow state='no'/></features><target><path>/p</path></target><refresh><volume allocation='capacity'/></refresh></pool>");
        Assert.False(pool.Cow);
        Assert.Equal("capacity", pool.RefreshVolumeAllocation);
        Assert.Equal(StoragePoolSource.Empty, pool.Source);
    }

    [Fact]
    public void Volume_model_applies_units()
    {
        var volume = Volume("""
            <volume>
              <name>vm.qcow2</name>
              <capacity unit='GiB'>1</capacity>
              <allocation unit='KB'>3</allocation>
              <target>
                <format type='qcow2'/>
                <permissions>
                  <mode>0600</mode>
                  <owner>107</owner>
                  <group>107</group>
                </permissions>
                <clusterSize unit='KiB'>64</clusterSize>
                <features>
                  <lazy_refcounts/>
                </features>
              </target>
              <backingStore>
                <path>/images/base.qcow2</path>
                <format type='qcow2'/>
                <permissions>
                  <label>virt_content_t</label>
                </permissions>
              </backingStore>
            </volume>
            """);

        Assert.Equal("vm.qcow2", volume.Name);
        Assert.Equal("/default-pool/vm.qcow2", volume.Key);
        Assert.Equal("file", volume.Type);
        Assert.Equal(1073741824UL, volume.Capacity);
        Assert.Equal(3000UL, volume.Allocation);
        Assert.Equal("/default-pool/vm.qcow2", volume.Target.Path);
        Assert.Equal("qcow2", volume.Target.Format);
        Assert.Equal(new StoragePermissions(0b110_000_000, 107, 107, null), volume.Target.Permissions);
        Assert.Equal("1.1", volume.Target.Compat);
        Assert.Equal(65536UL, volume.Target.ClusterSize);
        Assert.Equal(new ValueList<string>(["lazy_refcounts"]), volume.Target.Features);
        Assert.False(volume.Target.Nocow);
        Assert.False(volume.Encrypted);
        Assert.Equal(
            new StorageVolumeBackingStore("/images/base.qcow2", "qcow2", new StoragePermissions(null, null, null, "virt_content_t")),
            volume.BackingStore);
    }

    [Fact]
    public void Volume_model_defaults_allocation_to_capacity_and_format_to_raw()
    {
        var volume = Volume("<volume><name>v</name><capacity unit='MiB'>2</capacity></volume>");
        Assert.Equal((2097152UL, 2097152UL), (volume.Capacity, volume.Allocation));
        Assert.Equal("raw", volume.Target.Format);
        Assert.Null(volume.Target.Features);
        Assert.Null(volume.Target.Compat);
        Assert.Equal(0UL, volume.Target.ClusterSize);
        Assert.Null(volume.BackingStore);
    }

    [Fact]
    public void Volume_model_knows_its_encryption()
    {
        var volume = Volume("""
            <volume>
              <name>luks.img</name>
              <capacity>1024</capacity>
              <target>
                <encryption format='luks' engine='qemu'>
                  <secret type='passphrase' uuid='f52a81b2-424e-490c-823d-6bd4235bc572'/>
                  <cipher name='serpent' size='256' mode='cbc' hash='sha256'/>
                  <ivgen name='plain64' hash='sha256'/>
                </encryption>
              </target>
            </volume>
            """);

        Assert.True(volume.Encrypted);
        var encryption = volume.Target.Encryption!;
        Assert.Equal(("luks", "qemu"), (encryption.Format, encryption.Engine));
        Assert.Equal(new StorageSecretRef("passphrase", new Guid("f52a81b2-424e-490c-823d-6bd4235bc572"), null), Assert.Single(encryption.Secrets));
        Assert.Equal(new StorageCipher("serpent", 256, "cbc", "sha256"), encryption.Cipher);
        Assert.Equal(new StorageIvgen("plain64", "sha256"), encryption.Ivgen);
    }

    [Fact]
    public void Nocow_is_known_from_the_spec_although_libvirt_does_not_write_it_back()
    {
        var doc = StorageSpecs.Load("<volume><name>v</name><capacity>1</capacity><target><nocow/></target></volume>");
        Assert.True(StorageVolumeDefinition.FromDocument(doc).Target.Nocow);
        Assert.DoesNotContain("nocow", doc.Format(), StringComparison.Ordinal);
    }

    [Fact]
    public void Models_are_only_made_from_valid_documents_of_their_kind()
    {
        var volume = StorageSpecs.Load("<volume><name>v</name></volume>");
        Assert.Throws<InvalidOperationException>(() => StorageVolumeDefinition.FromDocument(volume));
        var pool = StorageSpecs.Load("<pool type='dir'><name>p</name><target><path>/p</path></target></pool>");
        Assert.Throws<InvalidOperationException>(() => StorageVolumeDefinition.FromDocument(pool));
        Assert.Equal("p", StoragePoolDefinition.FromDocument(pool).Name);
    }

    [Fact]
    public void Model_keeps_the_effective_xml()
    {
        var doc = StorageSpecs.Load("<pool type='dir'><name>p</name><target><path>/p</path></target></pool>");
        Assert.Same(doc.Effective, StoragePoolDefinition.FromDocument(doc).Xml);
    }

    private static StoragePoolDefinition Pool(string xml)
    {
        var doc = StorageSpecs.Load(xml);
        Assert.True(doc.IsValid, string.Join("\n", doc.Errors));
        return StoragePoolDefinition.FromDocument(doc);
    }

    private static StorageVolumeDefinition Volume(string xml)
    {
        var doc = StorageSpecs.Load(xml);
        Assert.True(doc.IsValid, string.Join("\n", doc.Errors));
        return StorageVolumeDefinition.FromDocument(doc);
    }
}
