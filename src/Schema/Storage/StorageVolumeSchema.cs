using Reconciler.Schema.Storage.Validation;
using Reconciler.Schema.Validation;

namespace Reconciler.Schema.Storage;

/// <summary>
/// libvirt 9.0.0's storage volume XML as the test driver's vol-create takes it in its default pool (a dir
/// pool): virStorageVolDefParseXML's checks, then the volume as virsh vol-dumpxml shows it.
/// </summary>
internal sealed class StorageVolumeSchema : IKindSchema
{
    private static readonly VolumeParseValidator ParseValidator = new();
    private static readonly VolumeValidator CreateValidator = new();

    /// <summary>The type of the pool volumes are created in: the test driver's default pool is a dir pool.</summary>
    private static PoolTypeInfo Pool => PoolTypeInfo.TestDriverDefaultPool;

    public SpecKind Kind => SpecKind.StorageVolume;

    public void Check(SpecContext context) =>
        context.Errors.AddRange(ParseValidator.Validate(new VolumeXml(context.Root, Pool)).ToSchemaErrors());

    /// <summary>The volume libvirt holds: the key and target path are the pool's directory and the volume name.</summary>
    public void ApplyDefaults(SpecContext context)
    {
        var volume = VolumeReader.Read(context.Root, Pool);
        var path = context.Options.VolumePoolPath + "/" + volume.Name;
        volume = volume with { Key = path, Target = volume.Target with { Path = path } };
        VolumeWriter.Write(volume, context.Root, Pool);
    }

    public void Validate(SpecContext context) =>
        context.Errors.AddRange(CreateValidator.Validate(VolumeReader.Read(context.Root, Pool)).ToSchemaErrors());
}
