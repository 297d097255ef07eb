using Reconciler.Runtime.Storage.HostCommands;
using Reconciler.Runtime.Tests.Support;
using Reconciler.Schema.Diagnostics;
using Reconciler.Schema.Storage.Model;
using Xunit;

namespace Reconciler.Runtime.Tests.Storage.HostCommands;

/// <summary>
/// The commands of libvirt 9.0.0's storage backends, with expectations worked out from
/// src/storage/storage_backend_*.c, storage_util.c and src/util/viriscsi.c.
/// </summary>
public sealed class StoragePoolCommandsTests
{
    private static string Argv(IReadOnlyList<HostCommand> commands) => string.Join("\n--\n", commands.Select(c => c.ToArgv()));

    private static StoragePoolDefinition Fs(string format, string devices = "<device path='/dev/vdb1'/>") => Specs.Pool($"""
        <pool type='fs'>
          <name>data</name>
          <source>{devices}<format type='{format}'/></source>
          <target><path>/srv/data</path></target>
        </pool>
        """);

    private static StoragePoolDefinition Netfs(string source) => Specs.Pool($"""
        <pool type='netfs'>
          <name>share</name>
          <source>{source}</source>
          <target><path>/mnt/share</path></target>
        </pool>
        """);

    [Fact]
    public void An_fs_pool_is_mounted_with_the_linux_defaults_and_its_type()
    {
        var start = StoragePoolCommands.Start(Fs("ext4"));
        Assert.Equal([new HostCommand("/usr/bin/mount", "-o", "nodev,nosuid,noexec", "-t", "ext4", "/dev/vdb1", "/srv/data")], start);
        Assert.Equal([new HostCommand("/usr/bin/umount", "/srv/data")], StoragePoolCommands.Stop(Fs("ext4")));
    }

    [Theory]
    [InlineData(HostPlatform.FreeBsd, "mount \\\n-o nosuid,noexec \\\n-t xfs \\\n/dev/vdb1 \\\n/srv/data")]
    [InlineData(HostPlatform.Other, "mount \\\n-t xfs \\\n/dev/vdb1 \\\n/srv/data")]
    public void Other_platforms_have_their_own_default_mount_options(HostPlatform platform, string argv) =>
        Assert.Equal(argv, Argv(StoragePoolCommands.Start(Fs("xfs"), StorageHostOptions.Default with { Platform = platform })));

    [Fact]
    public void Nfs_mounts_host_colon_dir_with_the_protocol_version_before_the_custom_options()
    {
        var pool = Netfs("<host name='nas.example'/><dir path='/export/vm'/><format type='nfs'/><protocol ver='4.2'/>");
        Assert.Equal(
            "mount \\\n-o nodev,nosuid,noexec,nfsvers=4.2,soft,timeo=50 \\\n-t nfs \\\nnas.example:/export/vm \\\n/mnt/share",
            Argv(StoragePoolCommands.Start(pool, mountOptions: ["soft", "timeo=50"])));
        Assert.Equal("nas.example:/export/vm", StoragePoolCommands.MountSource(pool));
    }

    [Fact]
    public void A_netfs_pool_of_format_auto_is_mounted_without_a_type()
    {
        var pool = Netfs("<host name='nas.example'/><dir path='/export/vm'/><protocol ver='3'/>");
        Assert.Equal([new HostCommand("/usr/bin/mount", "-o", "nodev,nosuid,noexec,nfsvers=3", "nas.example:/export/vm", "/mnt/share")], StoragePoolCommands.Start(pool));
    }

    [Fact]
    public void Cifs_mounts_slash_slash_host_slash_dir_as_guest()
    {
        var pool = Netfs("<host name='files.example'/><dir path='vms'/><format type='cifs'/>");
        Assert.Equal([new HostCommand("/usr/bin/mount", "-o", "nodev,nosuid,noexec,guest", "-t", "cifs", "//files.example/vms", "/mnt/share")], StoragePoolCommands.Start(pool));
    }

    [Fact]
    public void Glusterfs_mounts_with_direct_io()
    {
        var pool = Netfs("<host name='gl.example'/><dir path='/vol0'/><format type='glusterfs'/>");
        Assert.Equal(
            [new HostCommand("/usr/bin/mount", "-o", "nodev,nosuid,noexec,direct-io-mode=1", "-t", "glusterfs", "gl.example:/vol0", "/mnt/share")],
            StoragePoolCommands.Start(pool, StorageHostOptions.Default with { Platform = HostPlatform.Linux }));
    }

    [Fact]
    public void An_fs_pool_needs_exactly_one_device()
    {
        var two = Fs("ext4", "<device path='/dev/vdb1'/><device path='/dev/vdc1'/>");
        var e = Assert.Throws<RuntimeException>(() => StoragePoolCommands.Start(two));
        Assert.Equal(ErrorCode.ConfigUnsupported, e.Code);
        Assert.Equal("unsupported configuration: expected exactly 1 device for the storage pool", e.Message);
    }

    [Theory]
    [InlineData("xfs", "-f")]
    [InlineData("ext3", "-F")]
    [InlineData("vfat", "-I")]
    [InlineData("gfs2", null)]
    public void Building_with_a_mode_makes_the_file_system_forced_where_mkfs_needs_it(string format, string? force)
    {
        string[] args = force is null ? ["-t", format, "/dev/vdb1"] : ["-t", format, force, "/dev/vdb1"];
        Assert.Equal([new HostCommand("/usr/sbin/mkfs", args)], StoragePoolCommands.Build(Fs(format), PoolBuildMode.Overwrite));
        Assert.Empty(StoragePoolCommands.Build(Fs(format)));
    }

    [Fact]
    public void Formatting_needs_a_source_device()
    {
        var dir = Specs.Pool("<pool type='dir'><name>d</name><target><path>/var/lib/d</path></target></pool>");
        var e = Assert.Throws<RuntimeException>(() => StoragePoolCommands.Build(dir, PoolBuildMode.NoOverwrite));
        Assert.Equal("Requested operation is not valid: No source device specified when formatting pool 'd'", e.Message);
        Assert.Empty(StoragePoolCommands.Start(dir));
    }

    [Fact]
    public void A_logical_pool_is_its_volume_group()
    {
        var pool = Specs.Pool("""
            <pool type='logical'>
              <name>vms</name>
              <source><name>vg_vms</name><device path='/dev/sdb'/><device path='/dev/sdc'/></source>
            </pool>
            """);

        Assert.Equal([new HostCommand("/usr/sbin/vgchange", "-aly", "vg_vms")], StoragePoolCommands.Start(pool));
        Assert.Equal([new HostCommand("/usr/sbin/vgchange", "-aln", "vg_vms")], StoragePoolCommands.Stop(pool));
        Assert.Equal(
            [
                new HostCommand("/usr/sbin/pvcreate", "/dev/sdb"),
                new HostCommand("/usr/sbin/pvcreate", "/dev/sdc"),
                new HostCommand("/usr/sbin/vgcreate", "vg_vms", "/dev/sdb", "/dev/sdc"),
            ],
            StoragePoolCommands.Build(pool, PoolBuildMode.NoOverwrite));
        Assert.Equal(
            [
                new HostCommand("/usr/sbin/vgremove", "-f", "vg_vms"),
                new HostCommand("/usr/sbin/pvremove", "/dev/sdb"),
                new HostCommand("/usr/sbin/pvremove", "/dev/sdc"),
            ],
            StoragePoolCommands.Delete(pool));
    }

    [Fact]
    public void A_logical_pool_without_a_source_name_is_the_group_of_its_own_name()
    {
        var pool = Specs.Pool("<pool type='logical'><name>guests</name><source><device path='/dev/sdb'/></source></pool>");
        Assert.Equal("vgchange \\\n-aly guests", Argv(StoragePoolCommands.Start(pool)));
    }

    [Theory]
    [InlineData("", "msdos")]
    [InlineData("<format type='dos'/>", "msdos")]
    [InlineData("<format type='gpt'/>", "gpt")]
    public void A_disk_pool_is_built_with_a_new_partition_table_and_started_without_a_command(string format, string label)
    {
        var pool = Specs.Pool($"""
            <pool type='disk'>
              <name>sdd</name>
              <source><device path='/dev/sdd'/>{format}</source>
              <target><path>/dev</path></target>
            </pool>
            """);

        Assert.Equal([new HostCommand("parted", "/dev/sdd", "mklabel", "--script", label)], StoragePoolCommands.Build(pool));
        Assert.Empty(StoragePoolCommands.Start(pool));
        Assert.Empty(StoragePoolCommands.Delete(pool));
    }

    [Fact]
    public void A_zfs_pool_is_created_on_its_devices_and_a_dataset_inside_its_pool()
    {
        var pool = Specs.Pool("<pool type='zfs'><name>tank</name><source><name>tank</name><device path='/dev/sde'/><device path='/dev/sdf'/></source></pool>");
        Assert.Equal([new HostCommand("zpool", "create", "tank", "/dev/sde", "/dev/sdf")], StoragePoolCommands.Build(pool));
        Assert.Equal([new HostCommand("zpool", "destroy", "tank")], StoragePoolCommands.Delete(pool));
        Assert.Empty(StoragePoolCommands.Start(pool));

        var dataset = Specs.Pool("<pool type='zfs'><name>vms</name><source><name>tank/vms</name></source></pool>");
        Assert.Equal([new HostCommand("zfs", "create", "-o", "mountpoint=none", "tank/vms")], StoragePoolCommands.Build(dataset));
        Assert.Equal([new HostCommand("zfs", "destroy", "-r", "tank/vms")], StoragePoolCommands.Delete(dataset));

        var noDevices = Specs.Pool("<pool type='zfs'><name>z</name><source><name>z</name></source></pool>");
        Assert.Equal("unsupported configuration: missing source devices", Assert.Throws<RuntimeException>(() => StoragePoolCommands.Build(noDevices)).Message);
    }

    [Fact]
    public void An_iscsi_pool_gets_a_node_record_chap_settings_and_a_login()
    {
        var pool = Specs.Pool("""
            <pool type='iscsi'>
              <name>san</name>
              <source>
                <host name='san.example' port='3261'/>
                <device path='iqn.2024-01.example:target0'/>
                <auth type='chap' username='admin'><secret usage='san-secret'/></auth>
              </source>
              <target><path>/dev/disk/by-path</path></target>
            </pool>
            """);
        var options = StorageHostOptions.Default with { SecretValue = s => s.Usage == "san-secret" ? "s3cret" : null };
        const string portal = "san.example:3261,1";
        const string target = "iqn.2024-01.example:target0";

        Assert.Equal(
            [
                new HostCommand("/usr/sbin/iscsiadm", "--mode", "node", "--portal", portal, "--targetname", target, "--op", "new"),
                new HostCommand("/usr/sbin/iscsiadm", "--mode", "node", "--portal", portal, "--target", target, "--op", "update", "--name", "node.session.auth.authmethod", "--value", "CHAP"),
                new HostCommand("/usr/sbin/iscsiadm", "--mode", "node", "--portal", portal, "--target", target, "--op", "update", "--name", "node.session.auth.username", "--value", "admin"),
                new HostCommand("/usr/sbin/iscsiadm", "--mode", "node", "--portal", portal, "--target", target, "--op", "update", "--name", "node.session.auth.password", "--value", "s3cret"),
                new HostCommand("/usr/sbin/iscsiadm", "--mode", "node", "--portal", portal, "--targetname", target, "--login"),
            ],
            StoragePoolCommands.Start(pool, options));
        Assert.Equal([new HostCommand("/usr/sbin/iscsiadm", "--mode", "node", "--portal", portal, "--targetname", target, "--logout")], StoragePoolCommands.Stop(pool, options));

        var e = Assert.Throws<RuntimeException>(() => StoragePoolCommands.Start(pool));
        Assert.Equal("Secret not found: no secret with matching usage 'san-secret'", e.Message);
    }

    [Fact]
    public void An_initiator_iqn_logs_in_through_its_iscsi_interface_which_is_created_when_missing()
    {
        var pool = Specs.Pool("""
            <pool type='iscsi'>
              <name>san6</name>
              <source>
                <host name='fd00::10'/>
                <device path='iqn.2024-01.example:t1'/>
                <initiator><iqn name='iqn.2024-01.example:host1'/></initiator>
              </source>
              <target><path>/dev/disk/by-path</path></target>
            </pool>
            """);
        const string portal = "[fd00::10]:3260,1";

        var existing = StorageHostOptions.Default with { IscsiInterfaceFor = iqn => iqn == "iqn.2024-01.example:host1" ? "iface0" : null };
        Assert.Equal(
            new HostCommand("/usr/sbin/iscsiadm", "--mode", "node", "--portal", portal, "--targetname", "iqn.2024-01.example:t1", "--login", "--interface", "iface0"),
            StoragePoolCommands.Start(pool, existing)[^1]);

        var fresh = StorageHostOptions.Default with { NewIscsiInterfaceName = _ => "libvirt-iface-0000002a" };
        Assert.Equal(
            [
                new HostCommand("/usr/sbin/iscsiadm", "--mode", "node", "--portal", portal, "--targetname", "iqn.2024-01.example:t1", "--op", "new"),
                new HostCommand("/usr/sbin/iscsiadm", "--mode", "iface", "--interface", "libvirt-iface-0000002a", "--op", "new"),
                new HostCommand("/usr/sbin/iscsiadm", "--mode", "iface", "--interface", "libvirt-iface-0000002a", "--op", "update", "--name", "iface.initiatorname", "--value", "iqn.2024-01.example:host1"),
                new HostCommand("/usr/sbin/iscsiadm", "--mode", "discovery", "--type", "sendtargets", "--portal", portal, "--interface", "libvirt-iface-0000002a"),
                new HostCommand("/usr/sbin/iscsiadm", "--mode", "node", "--portal", portal, "--targetname", "iqn.2024-01.example:t1", "--login", "--interface", "libvirt-iface-0000002a"),
            ],
            StoragePoolCommands.Start(pool, fresh));
    }

    [Fact]
    public void A_vstorage_pool_is_mounted_with_its_mode_in_octal_and_its_owner_by_name()
    {
        var pool = Specs.Pool("""
            <pool type='vstorage'>
              <name>vz</name>
              <source><name>cluster1</name></source>
              <target>
                <path>/mnt/vz</path>
                <permissions><mode>0750</mode><owner>107</owner><group>36</group></permissions>
              </target>
            </pool>
            """);
        var options = StorageHostOptions.Default with
        {
            UserName = uid => uid == 107 ? "qemu" : null,
            GroupName = gid => gid == 36 ? "kvm" : null,
        };

        Assert.Equal([new HostCommand("vstorage-mount", "-c", "cluster1", "/mnt/vz", "-m", "750", "-g", "kvm", "-u", "qemu")], StoragePoolCommands.Start(pool, options));
        Assert.Equal([new HostCommand("umount", "/mnt/vz")], StoragePoolCommands.Stop(pool, options));
        Assert.Equal("Failed to find group record for gid '36'", Assert.Throws<RuntimeException>(() => StoragePoolCommands.Start(pool)).Message);
    }

    [Fact]
    public void A_vstorage_pool_without_permissions_uses_0711_and_the_daemons_user()
    {
        var pool = Specs.Pool("<pool type='vstorage'><name>vz</name><source><name>c</name></source><target><path>/mnt/vz</path></target></pool>");
        Assert.Equal("vstorage-mount \\\n-c c /mnt/vz \\\n-m 711 \\\n-g root \\\n-u root", Argv(StoragePoolCommands.Start(pool)));
    }

    [Theory]
    [InlineData("<pool type='rbd'><name>ceph</name><source><host name='mon'/><name>rbd</name></source></pool>")]
    [InlineData("<pool type='mpath'><name>mp</name><target><path>/dev/mapper</path></target></pool>")]
    [InlineData("<pool type='scsi'><name>hba</name><source><adapter type='scsi_host' name='host0'/></source><target><path>/dev/disk/by-path</path></target></pool>")]
    public void Backends_that_do_their_work_through_libraries_or_sysfs_run_no_command(string xml)
    {
        var pool = Specs.Pool(xml);
        Assert.Empty(StoragePoolCommands.Start(pool));
        Assert.Empty(StoragePoolCommands.Stop(pool));
        Assert.Empty(StoragePoolCommands.Build(pool, PoolBuildMode.Overwrite));
        Assert.Empty(StoragePoolCommands.Delete(pool));
    }
}
