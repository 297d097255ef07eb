using Reconciler.Schema.Storage;
using Reconciler.Schema.Tests.Support;
using Xunit;

namespace Reconciler.Schema.Tests.Storage;

/// <summary>
/// The fs and netfs backends' &lt;fs:mount_opts&gt; (virStoragePoolDefFSNamespaceParse in libvirt 9.0.0's
/// storage_backend_fs.c): registered for those two pool types only.
/// </summary>
public sealed class FsMountXmlNamespaceTests
{
    private const string Options = "<fs:mount_opts><fs:option name='sync'/><fs:option name='lazytime'/></fs:mount_opts>";

    [Fact]
    public void Mount_options_of_a_netfs_pool_in_document_order()
    {
        var document = Specs.Load($"""
            <pool type='netfs' xmlns:fs='http://libvirt.org/schemas/storagepool/fs/1.0'>
              <name>nfs</name>
              <source><host name='nas'/><dir path='/export'/></source>
              <target><path>/mnt/nfs</path></target>
              {Options}
            </pool>
            """);

        Assert.True(document.IsValid, string.Join("\n", document.Errors));
        Assert.Equal(["sync", "lazytime"], FsMountXmlNamespace.MountOptions(document, out var error));
        Assert.Null(error);
        Assert.DoesNotContain("mount_opts", document.Format(), StringComparison.Ordinal);
    }

    [Fact]
    public void Other_pool_types_have_no_mount_options()
    {
        var document = Specs.Load($"<pool type='dir' xmlns:fs='http://libvirt.org/schemas/storagepool/fs/1.0'><name>d</name><target><path>/d</path></target>{Options}</pool>");
        Assert.Empty(FsMountXmlNamespace.MountOptions(document, out _));
    }

    [Fact]
    public void An_option_without_a_name_is_libvirts_xml_error()
    {
        var document = Specs.Load("<pool type='fs' xmlns:fs='http://libvirt.org/schemas/storagepool/fs/1.0'><name>f</name><source><device path='/dev/vdb'/></source><target><path>/f</path></target><fs:mount_opts><fs:option/></fs:mount_opts></pool>");
        FsMountXmlNamespace.MountOptions(document, out var error);
        Assert.Equal("XML error: no fs mount option name specified", error?.Message);
    }
}
