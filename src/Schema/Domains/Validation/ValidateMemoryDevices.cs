using System.Xml.Linq;
using Reconciler.Schema.Diagnostics;
using Reconciler.Schema.Domains.Defaults;
using Reconciler.Schema.Xml;
using Problem = Reconciler.Schema.Validation.XmlProp.Problem;

namespace Reconciler.Schema.Domains.Validation;

/// <summary>virDomainMemoryDefValidate: DIMMs, NVDIMMs, virtio-pmem, virtio-mem and SGX EPC.</summary>
internal static partial class ValidateRules
{
    /// <summary>virDomainMemoryDefValidate.</summary>
    private static Problem? MemoryDevice(DomainXml d, XElement memory)
    {
        var target = memory.El("target");
        long? node = target.El("node") is { } n && CNumber.TryParseLong(n.Value.Trim(), out var v) ? v : null;
        var cells = d.Root.El("cpu").El("numa").Els("cell").Count();
        if (node is { } targetNode && targetNode != -1)
        {
            if (cells == 0)
            {
                return P(ErrorCode.XmlDetail, "can't add memory backend as guest has no NUMA nodes configured", target.El("node"));
            }

            if (targetNode >= cells)
            {
                return P(ErrorCode.XmlDetail,
                    $"can't add memory backend for guest node '{targetNode}' as the guest has only '{cells}' NUMA nodes configured", target.El("node"));
            }
        }

        var model = memory.A("model");
        var path = memory.El("source").El("path") is { Value.Length: > 0 } p ? p : null;
        var discard = memory.A("discard") == "yes";
        switch (model)
        {
            case "nvdimm":
                if (path is null)
                {
                    return P(ErrorCode.XmlDetail, "path is required for model 'nvdimm'", memory);
                }

                if (discard)
                {
                    return P(ErrorCode.ConfigUnsupported, "discard is not supported for nvdimms", memory);
                }

                if (DomainDefaults.IsPpc64(Arch(d)))
                {
                    if ((DomainDefaults.KiB(target.El("label").El("size") ?? new XElement("size")) ?? 0) == 0)
                    {
                        return P(ErrorCode.ConfigUnsupported, "label size is required for NVDIMM device", memory);
                    }
                }
                else if (memory.El("uuid") is not null)
                {
                    return P(ErrorCode.ConfigUnsupported, "UUID is not supported for NVDIMM device", memory.El("uuid"));
                }

                break;
            case "virtio-pmem":
                if (path is null)
                {
                    return P(ErrorCode.XmlDetail, "path is required for model 'virtio-pmem'", memory);
                }

                if (discard)
                {
                    return P(ErrorCode.ConfigUnsupported, "discard is not supported for model 'virtio-pmem'", memory);
                }

                if (memory.A("access") is { } access && access != "shared")
                {
                    return P(ErrorCode.ConfigUnsupported, "shared access mode required for virtio-pmem device", memory);
                }

                if (node is not null and not -1)
                {
                    return P(ErrorCode.ConfigUnsupported, "virtio-pmem does not support NUMA nodes", target.El("node"));
                }

                break;
            case "virtio-mem":
                var size = KiBOf(target.El("size"));
                var requested = KiBOf(target.El("requested"));
                var block = KiBOf(target.El("block"));
                if (requested > size)
                {
                    return P(ErrorCode.XmlDetail, $"requested size must be smaller than or equal to @size ({size}KiB)", target.El("requested"));
                }

                if (block == 0 || (block & (block - 1)) != 0)
                {
                    return P(ErrorCode.XmlDetail, "block size must be a power of two", (XObject?)target.El("block") ?? memory);
                }

                if (block < TransparentHugePageKiB)
                {
                    return P(ErrorCode.XmlDetail, $"block size too small, must be at least {TransparentHugePageKiB}KiB", target.El("block"));
                }

                if (requested % block != 0)
                {
                    return P(ErrorCode.XmlDetail, "requested size must be an integer multiple of block size", target.El("requested"));
                }

                break;
            case "sgx-epc":
                if (memory.El("address") is not null)
                {
                    return P(ErrorCode.ConfigUnsupported, "memory device address is not supported for model 'sgx-epc'", memory.El("address"));
                }

                break;
        }

        return null;
    }

    /// <summary>The size of transparent huge pages (libvirt reads the host's; 2 MiB on x86, and its fallback).</summary>
    private const ulong TransparentHugePageKiB = 2048;

    private static ulong KiBOf(XElement? element) => element is null ? 0 : DomainDefaults.KiB(element) ?? 0;
}
