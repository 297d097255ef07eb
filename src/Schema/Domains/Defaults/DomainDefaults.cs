using System.Xml.Linq;
using Reconciler.Schema.Xml;

namespace Reconciler.Schema.Domains.Defaults;

/// <summary>
/// libvirt 9.0.0's post-parse for domains as its test driver (and ours) applies it: after this the
/// definition is what <c>virsh dumpxml --inactive</c> shows after <c>virsh define</c>.
/// Each part lives in its own file, named after the libvirt concept it completes.
/// </summary>
internal static partial class DomainDefaults
{
    public static void Apply(SpecContext context)
    {
        var root = context.Root;
        var devices = root.El("devices");
        if (devices is null)
        {
            devices = new XElement("devices");
            root.Add(devices);
        }

        // libvirt reads the devices of every <devices> element and writes them in one.
        foreach (var more in root.Elements("devices").Skip(1).ToList())
        {
            devices.Add(more.Elements());
            more.Remove();
        }

        DropEmptyXPathValues(root);
        ApplyIdentity(root, context.Options.Identity);
        ApplyCaps(root);
        ApplyMemory(context, root);
        ApplyVcpus(root);
        ApplyNumatune(root);
        ApplyCpu(root);
        ApplyClock(root);
        ApplyLifecycle(root);
        ApplyOs(root);
        ApplyDevices(context, root, devices);
        ApplySeclabels(root);
        DropForeignNamespaceElements(root);
        DropEmptyDiskSources(root);
        DomainOrder.Apply(root);
    }

    /// <summary>The architecture the definition runs on (the test driver's default is i686).</summary>
    internal static string Arch(XElement root) => root.El("os").El("type").A("arch") ?? "i686";

    internal static bool IsX86(string arch) => arch is "i686" or "x86_64";

    internal static bool IsPpc64(string arch) => arch is "ppc64" or "ppc64le";

    internal static bool IsS390(string arch) => arch is "s390" or "s390x";

    internal static bool IsArm(string arch) => arch is "armv6l" or "armv7l" or "armv7b" or "aarch64";

    internal static string OsType(XElement root)
    {
        var type = root.El("os").Text("type");
        if (string.IsNullOrEmpty(type))
        {
            return root.El("bootloader") is not null ? "xen" : "hvm";
        }

        return type == "linux" && root.A("type") == "xen" ? "xen" : type;
    }
}
