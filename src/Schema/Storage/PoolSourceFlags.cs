namespace Reconciler.Schema.Storage;

/// <summary>The parts of a pool's source a pool type uses (VIR_STORAGE_POOL_SOURCE_* in storage_conf.c).</summary>
[Flags]
internal enum PoolSourceFlags
{
    None = 0,
    Host = 1 << 0,
    Device = 1 << 1,
    Dir = 1 << 2,
    Adapter = 1 << 3,
    Name = 1 << 4,
    InitiatorIqn = 1 << 5,
    Network = 1 << 6,
}
