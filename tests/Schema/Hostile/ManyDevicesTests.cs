using System.Diagnostics;
using System.Text;
using Reconciler.Schema.Support;
using Xunit;

namespace Reconciler.Schema.Tests.Hostile;

/// <summary>
/// A file may hold tens of thousands of devices. libvirt's ordering and "no two alike" rules are nested
/// loops; done that way a 3 MB file of disks kept a validation busy for over seven minutes. The rules now
/// run in (near) linear time, giving the same answers as libvirt's loops.
/// </summary>
public sealed class ManyDevicesTests
{
    /// <summary>virDomainDiskInsert / virDomainControllerInsertPreAlloced as libvirt writes them: a scan back per device.</summary>
    private static List<(int Group, int? Key, int Id)> LibvirtInsert(IEnumerable<(int Group, int? Key, int Id)> items)
    {
        var list = new List<(int Group, int? Key, int Id)>();
        foreach (var item in items)
        {
            var insertAt = -1;
            for (var i = list.Count - 1; i >= 0; i--)
            {
                var current = list[i];
                if (current.Group != item.Group)
                {
                    continue;
                }

                if (item.Key is null)
                {
                    insertAt = i + 1;
                    break;
                }

                if (current.Key is { } k && k > item.Key)
                {
                    insertAt = i;
                }
                else if (insertAt == -1)
                {
                    insertAt = i + 1;
                }
            }

            if (insertAt < 0)
            {
                list.Add(item);
            }
            else
            {
                list.Insert(insertAt, item);
            }
        }

        return list;
    }

    [Fact]
    public void SortedInsertionGivesLibvirtsOrder()
    {
        var random = new Random(20230117);
        for (var round = 0; round < 2000; round++)
        {
            var count = random.Next(0, 40);
            var groups = random.Next(1, 4);
            var keys = random.Next(1, 8);
            var items = Enumerable.Range(0, count)
                .Select(id => (Group: random.Next(groups), Key: random.Next(5) == 0 ? (int?)null : random.Next(keys), Id: id))
                .ToList();

            var expected = LibvirtInsert(items).Select(i => i.Id);
            var actual = SortedInsertion.Order(items, i => i.Group, i => i.Key).Select(i => i.Id);
            Assert.Equal(expected, actual);
        }
    }

    [Fact]
    public void PairsFindWhatNestedLoopsFind()
    {
        var random = new Random(7);
        for (var round = 0; round < 2000; round++)
        {
            var items = Enumerable.Range(0, random.Next(0, 30)).Select(_ => random.Next(4) == 0 ? null : (object?)random.Next(10)).ToList();
            (int, int)? expected = null;
            for (var i = 0; i < items.Count && expected is null; i++)
            {
                for (var j = i + 1; j < items.Count; j++)
                {
                    if (items[i] is not null && items[i]!.Equals(items[j]))
                    {
                        expected = (i, j);
                        break;
                    }
                }
            }

            Assert.Equal(expected, Pairs.FirstWithSameKey(items, x => x));
        }
    }

    public static TheoryData<string, string> RepeatedDevices => new()
    {
        { "disks, one target", "<disk type='file' device='disk'><source file='/var/lib/images/a.img'/><target dev='vda' bus='virtio'/></disk>" },
        { "disks, distinct targets", "<disk type='file' device='disk'><source file='/var/lib/images/{0}.img'/><target dev='sd{1}' bus='scsi'/><address type='drive' controller='0' bus='0' target='0' unit='{0}'/></disk>" },
        { "controllers", "<controller type='pci' index='{0}' model='pci-bridge'/>" },
        { "usb controllers without index", "<controller type='usb' model='ich9-uhci1'/>" },
        { "smartcards", "<smartcard mode='passthrough' type='spicevmc'/>" },
        { "videos", "<video><model type='virtio' heads='1' primary='no'/></video>" },
        { "consoles", "<console type='pty'><target type='serial' port='0'/></console>" },
        { "usb host devices", "<hostdev mode='subsystem' type='usb'><source><vendor id='0x1234'/><product id='0x{2}'/></source></hostdev>" },
        { "scsi host devices", "<hostdev mode='subsystem' type='scsi'><source><adapter name='scsi_host0'/><address bus='0' target='0' unit='{0}'/></source><address type='drive' controller='0' bus='0' target='0' unit='{0}'/></hostdev>" },
        { "parallel ports", "<parallel type='pty'/>" },
        { "interfaces", "<interface type='network'><source network='default'/></interface>" },
    };

    /// <summary>About 2 MB of one device, repeated: answered (valid or not) in seconds, not minutes.</summary>
    [Theory]
    [MemberData(nameof(RepeatedDevices))]
    public void ThousandsOfOneDeviceAreAnsweredInSeconds(string what, string device)
    {
        var sb = new StringBuilder("<domain type='kvm'><name>many</name><memory unit='MiB'>512</memory><os><type arch='x86_64' machine='pc'>hvm</type></os><devices>");
        var count = 0;
        while (sb.Length < 2_000_000)
        {
            sb.AppendFormat(System.Globalization.CultureInfo.InvariantCulture, device, count, DiskSuffix(count), (count % 65536).ToString("x4", System.Globalization.CultureInfo.InvariantCulture));
            count++;
        }

        sb.Append("<serial type='pty'/></devices></domain>");
        var watch = Stopwatch.StartNew();
        var doc = LibvirtSchema.LoadText("many.xml", sb.ToString());
        watch.Stop();
        Assert.True(doc.IsValid || doc.Errors.Count > 0);
        Assert.DoesNotContain(doc.Errors, e => e.Message.StartsWith("internal error: cannot process", StringComparison.Ordinal));
        // A guard against the quadratic scans that took minutes, with room for a loaded 2-core CI machine
        // (the figure itself is not the point: it is printed by the message).
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(60), $"{count} {what}: {watch.Elapsed.TotalSeconds:F1} s");
    }

    /// <summary>libvirt's disk name suffix for an index: 0 → a, 25 → z, 26 → aa.</summary>
    private static string DiskSuffix(int index)
    {
        var s = string.Empty;
        for (index++; index > 0; index = (index - 1) / 26)
        {
            s = (char)('a' + ((index - 1) % 26)) + s;
        }

        return s;
    }
}
