using Reconciler.Schema.Storage.Support;
using Reconciler.Schema.Storage.Validation;
using Reconciler.Schema.Validation;

namespace Reconciler.Schema.Storage;

/// <summary>
/// libvirt 9.0.0's storage pool XML as the test driver's pool-define takes it: virStoragePoolDefParseXML's
/// checks, then the pool as virsh pool-dumpxml shows it.
/// </summary>
internal sealed class StoragePoolSchema : IKindSchema
{
    private static readonly PoolParseValidator ParseValidator = new();

    public SpecKind Kind => SpecKind.StoragePool;

    public void Check(SpecContext context) =>
        context.Errors.AddRange(ParseValidator.Validate(new PoolXml(context.Root)).ToSchemaErrors());

    /// <summary>
    /// The pool libvirt holds, written back in its format: a generated UUID when none is given, and the test
    /// driver's sizes (testStoragePoolDefineXML: 100 GiB capacity, nothing allocated), whatever the file says.
    /// </summary>
    public void ApplyDefaults(SpecContext context)
    {
        var root = context.Root;
        var pool = PoolReader.Read(root);
        if (XPathLite.String(root, "uuid") is null)
        {
            pool = pool with { Uuid = context.Options.Identity.NewUuid() };
        }

        pool = pool with
        {
            Capacity = PoolReader.TestDriverCapacity,
            Allocation = 0,
            Available = PoolReader.TestDriverCapacity,
        };
        PoolWriter.Write(pool, root);
    }

    /// <summary>pool-define checks nothing more of the definition itself.</summary>
    public void Validate(SpecContext context)
    {
    }
}
