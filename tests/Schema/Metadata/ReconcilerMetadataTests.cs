using Reconciler.Schema.Metadata;
using Reconciler.Schema.Tests.Support;
using Xunit;

namespace Reconciler.Schema.Tests.Metadata;

/// <summary>Reconciler's own domain metadata: known values become the typed model, unknown ones are refused.</summary>
public sealed class ReconcilerMetadataTests
{
    private static string Domain(string metadata) => $"""
        <domain type='kvm'>
          <name>m</name>
          <metadata>
            <rc:reconciler xmlns:rc='https://reconciler.dev/xmlns/domain/1.0'>
              {metadata}
            </rc:reconciler>
          </metadata>
          <memory unit='MiB'>64</memory>
          <os><type arch='x86_64'>hvm</type></os>
        </domain>
        """;

    [Fact]
    public void WithoutMetadataTheDefaultsApply()
    {
        var doc = Specs.Load("<domain type='kvm'><name>m</name><memory>65536</memory><os><type>hvm</type></os></domain>");
        Assert.Equal(ReconcilerMetadata.Default, doc.Domain!.Metadata);
        Assert.Equal(RunStrategy.Always, doc.Domain.Metadata.RunStrategy);
        Assert.False(doc.Domain.Metadata.Autostart);
    }

    [Theory]
    [InlineData("always", RunStrategy.Always)]
    [InlineData("rerun-on-failure", RunStrategy.RerunOnFailure)]
    [InlineData("once", RunStrategy.Once)]
    [InlineData("manual", RunStrategy.Manual)]
    [InlineData("halted", RunStrategy.Halted)]
    public void EveryRunStrategyIsRead(string text, RunStrategy expected)
    {
        var doc = Specs.Load(Domain($"<rc:runStrategy>{text}</rc:runStrategy>"));
        Assert.True(doc.IsValid, string.Join("; ", doc.Errors));
        Assert.Equal(expected, doc.Domain!.Metadata.RunStrategy);
    }

    [Fact]
    public void AllSettingsAreRead()
    {
        var doc = Specs.Load(Domain("""
            <rc:autostart>yes</rc:autostart>
            <rc:placement host='kvm-02.example.com'/>
            <rc:migration maxDowntime='500' bandwidth='100' autoConverge='no' completionTimeoutPerGiB='60' progressTimeout='30' onNonConvergence='abort' copyStorage='yes'/>
            """));
        Assert.True(doc.IsValid, string.Join("; ", doc.Errors));
        var m = doc.Domain!.Metadata;
        Assert.True(m.Autostart);
        Assert.Equal("kvm-02.example.com", m.PlacementHost);
        Assert.Equal(new MigrationSettings(500, 100, false, 60, 30, NonConvergenceAction.Abort, true), m.Migration);
    }

    [Fact]
    public void TheMetadataSurvivesNormalization()
    {
        var text = Specs.Normalize(Domain("<rc:runStrategy>halted</rc:runStrategy>"));
        var again = Specs.Load(text);
        Assert.Equal(RunStrategy.Halted, again.Domain!.Metadata.RunStrategy);
    }

    [Theory]
    [InlineData("<rc:runStrategy>sometimes</rc:runStrategy>", "reconciler metadata: unknown runStrategy 'sometimes'; expected one of always, rerun-on-failure, once, manual, halted")]
    [InlineData("<rc:autostart>true</rc:autostart>", "reconciler metadata: autostart must be 'yes' or 'no', not 'true'")]
    [InlineData("<rc:placement/>", "reconciler metadata: placement needs a host attribute naming the host that runs the domain")]
    [InlineData("<rc:placement host='bad host!'/>", "reconciler metadata: placement host 'bad host!' is not a valid host name (letters, digits, '-', '.' and '_', at most 253 characters)")]
    [InlineData("<rc:migration maxDowntime='fast'/>", "reconciler metadata: migration maxDowntime must be a non-negative integer, not 'fast'")]
    [InlineData("<rc:migration autoConverge='on'/>", "reconciler metadata: migration autoConverge must be 'yes' or 'no', not 'on'")]
    [InlineData("<rc:migration onNonConvergence='retry'/>", "reconciler metadata: migration onNonConvergence must be 'pause' or 'abort', not 'retry'")]
    [InlineData("<rc:migration speed='1'/>", "reconciler metadata: unknown migration attribute 'speed'; expected one of maxDowntime, bandwidth, completionTimeoutPerGiB, progressTimeout, autoConverge, copyStorage, onNonConvergence")]
    [InlineData("<rc:restartOnChange>maybe</rc:restartOnChange>", "reconciler metadata: restartOnChange must be 'yes' or 'no', not 'maybe'")]
    [InlineData("<rc:runstrategy>always</rc:runstrategy>", "reconciler metadata: unknown element 'runstrategy'; expected one of runStrategy, autostart, restartOnChange, placement, migration")]
    [InlineData("<rc:autostart>yes</rc:autostart><rc:autostart>no</rc:autostart>", "reconciler metadata: element 'autostart' can only appear once")]
    public void UnknownValuesAreRefusedWithWhatIsAllowed(string metadata, string message)
    {
        var doc = Specs.Load(Domain(metadata));
        Assert.False(doc.IsValid);
        Assert.Equal(message, doc.Errors[0].Message);
        Assert.Equal("RECONCILER_POLICY", doc.Errors[0].CodeName);
        Assert.True(doc.Errors[0].Line >= 4, "the error points into the metadata");
    }
}
