using System.Xml;
using System.Xml.Linq;
using Reconciler.Schema.Tests.Support;
using Reconciler.Schema.Xml;
using Xunit;

namespace Reconciler.Schema.Tests;

/// <summary>How a document is loaded for keeping: without validation (stored definitions), compacted (kept trees).</summary>
public sealed class LoadOptionsTests
{
    private const string Domain = """
        <domain type='kvm'>
          <name>web</name>
          <memory unit='MiB'>256</memory>
          <os><type arch='x86_64'>hvm</type></os>
          <devices>
            <disk type='file' device='disk'><source file='/images/a.qcow2'/><target dev='vda' bus='virtio'/></disk>
            <disk type='file' device='disk'><source file='/images/b.qcow2'/><target dev='vda' bus='virtio'/></disk>
          </devices>
        </domain>
        """;

    [Fact]
    public void Without_validation_a_definition_only_validation_refuses_loads_with_its_defaults()
    {
        var validated = LibvirtSchema.LoadText("d.xml", Domain);
        Assert.False(validated.IsValid);
        Assert.Contains("vda", validated.Errors[0].Message, StringComparison.Ordinal);

        var stored = LibvirtSchema.LoadText("d.xml", Domain, new SchemaOptions { SkipValidation = true });
        Assert.True(stored.IsValid);
        Assert.NotNull(stored.Effective!.Element("uuid")); // the defaults (post-parse) still apply

        // Parse checks still apply.
        Assert.False(LibvirtSchema.LoadText("d.xml", "<domain type='kvm'><name>x</name><memory>zero</memory></domain>", new SchemaOptions { SkipValidation = true }).IsValid);
    }

    [Fact]
    public void A_kept_tree_drops_its_line_information_and_errors_keep_their_positions()
    {
        var valid = Domain.Replace("<target dev='vda' bus='virtio'/></disk>\n  </devices>", "<target dev='vdb' bus='virtio'/></disk>\n  </devices>", StringComparison.Ordinal);
        var kept = LibvirtSchema.LoadText("d.xml", valid, new SchemaOptions { Compact = true });
        Assert.True(kept.IsValid);
        Assert.All(kept.Effective!.DescendantsAndSelf(), e => Assert.False(((IXmlLineInfo)e).HasLineInfo()));
        Assert.True(((IXmlLineInfo)LibvirtSchema.LoadText("d.xml", valid).Effective!).HasLineInfo());

        var refused = LibvirtSchema.LoadText("d.xml", Domain, new SchemaOptions { Compact = true });
        Assert.False(refused.IsValid);
        Assert.True(refused.Errors[0].Line > 1);
    }

    [Fact]
    public void A_kept_tree_has_no_indentation_nodes_shares_its_short_values_and_formats_as_before()
    {
        var a = LibvirtSchema.LoadText("a.xml", Domain.Replace("vda' bus='virtio'/></disk>\n  </devices>", "vdb' bus='virtio'/></disk>\n  </devices>", StringComparison.Ordinal), new SchemaOptions { Compact = true }).Effective!;
        var b = LibvirtSchema.LoadText("b.xml", Domain.Replace("vda' bus='virtio'/></disk>\n  </devices>", "vdb' bus='virtio'/></disk>\n  </devices>", StringComparison.Ordinal).Replace("web", "db", StringComparison.Ordinal), new SchemaOptions { Compact = true }).Effective!;
        Assert.DoesNotContain(a.DescendantNodes(), n => n is XText t && string.IsNullOrWhiteSpace(t.Value));
        Assert.All(a.DescendantNodes(), n => Assert.False(((IXmlLineInfo)n).HasLineInfo()));
        Assert.Same(((XText)a.Element("on_poweroff")!.FirstNode!).Value, ((XText)b.Element("on_poweroff")!.FirstNode!).Value);
        Assert.Same(a.Element("devices")!.Element("disk")!.Attribute("device")!.Value, b.Element("devices")!.Element("disk")!.Attribute("device")!.Value);
        Assert.Equal("web", a.Element("name")!.Value);
        Assert.Equal("db", b.Element("name")!.Value);
    }

    [Fact]
    public void Compacting_never_changes_how_a_definition_is_written()
    {
        var compared = 0;
        foreach (var file in Corpus.AllSpecFiles())
        {
            var doc = LibvirtSchema.LoadFile(file);
            if (!doc.IsValid)
            {
                continue;
            }

            var before = LibvirtXmlWriter.Format(doc.Effective!);
            KeptTree.Compact(doc.Effective!);
            Assert.Equal(before, LibvirtXmlWriter.Format(doc.Effective!));
            compared++;
        }

        Assert.True(compared > 5, $"only {compared} valid files were compared");
    }

    [Fact]
    public void Content_accepted_before_loads_without_checks_to_the_same_effective_definition()
    {
        // SkipChecks (the controller's spec files this build accepted before, byte for byte) runs the
        // defaults alone: the effective definition must be the one the whole layer makes.
        var compared = 0;
        foreach (var file in Corpus.AllSpecFiles())
        {
            var content = File.ReadAllBytes(file);
            var whole = LibvirtSchema.Load(file, content, new SchemaOptions { Identity = new CountingIdentity() });
            if (!whole.IsValid)
            {
                continue;
            }

            var defaultsOnly = LibvirtSchema.Load(file, content, new SchemaOptions { Identity = new CountingIdentity(), SkipChecks = true });
            Assert.True(defaultsOnly.IsValid, file);
            Assert.Equal(whole.Format(), defaultsOnly.Format());
            compared++;
        }

        Assert.True(compared > 5, $"only {compared} valid files were compared");
    }

    [Fact]
    public void Without_checks_nothing_validation_alone_refuses_is_refused()
    {
        // Validation does not run either: SkipChecks is for content accepted before.
        Assert.True(LibvirtSchema.LoadText("d.xml", Domain, new SchemaOptions { SkipChecks = true }).IsValid);
    }

    /// <summary>The same identifiers in the same order for every load, so that two loads compare.</summary>
    private sealed class CountingIdentity : IIdentityGenerator
    {
        private int _next;

        public Guid NewUuid() => new($"00000000-0000-4000-8000-{++_next:x12}");

        public byte[] NewMac() => [0x52, 0x54, 0x00, 0, 0, (byte)++_next];
    }
}
