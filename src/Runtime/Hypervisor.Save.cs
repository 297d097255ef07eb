using System.Xml.Linq;
using Reconciler.Runtime.Domains;
using Reconciler.Runtime.Persistence;
using Reconciler.Schema;
using Reconciler.Schema.Diagnostics;
using Reconciler.Schema.Domains.Model;
using Reconciler.Schema.Xml;

namespace Reconciler.Runtime;

public sealed partial class Hypervisor
{
    /// <summary>
    /// Saves the running domain's definition and memory to <paramref name="path"/> and shuts it off
    /// (shutoff, saved). The image is written atomically: a crash never leaves half of one under the name.
    /// </summary>
    public Task SaveAsync(string name, string path, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var full = Path.GetFullPath(path);
        return JobAsync(name, dom =>
        {
            if (!dom.IsActive)
            {
                throw RuntimeException.NotRunning();
            }

            WriteSaveImage(dom, full);
            Stop(dom, ShutoffReason.Saved, DomainEventType.Stopped, "saved", spontaneous: false);
        }, cancellationToken);
    }

    /// <summary>
    /// Restores a domain saved with <see cref="SaveAsync"/>: same name and UUID, a new ID, the memory as
    /// it was, running (restored) unless it was paused when saved or <paramref name="paused"/>.
    /// </summary>
    public async Task<DomainSummary> RestoreAsync(string path, bool paused = false, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        SaveImage.Contents image;
        try
        {
            using var stream = File.OpenRead(path);
            image = SaveImage.Read(stream);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new RuntimeException(ErrorCode.SystemError, $"Failed to open domain image file '{path}': {e.Message}", e);
        }
        catch (InvalidDataException e)
        {
            throw new RuntimeException(ErrorCode.OperationFailed, $"cannot restore from '{path}': {e.Message}", e);
        }

        return await StartNewAsync(ParseDefinition(image.DomainXml), paused || !image.Running, RunningReason.Restored, image.Memory, cancellationToken)
            .ConfigureAwait(false);
    }

    /// <summary>
    /// Saves a running persistent domain to its managed-save image and shuts it off (shutoff, saved); its
    /// next start restores it.
    /// </summary>
    public Task ManagedSaveAsync(string name, CancellationToken cancellationToken = default) =>
        JobAsync(name, dom =>
        {
            if (!dom.IsPersistent)
            {
                throw new RuntimeException(ErrorCode.OperationInvalid, "cannot do managed save for transient domain");
            }

            if (!dom.IsActive)
            {
                throw RuntimeException.NotRunning();
            }

            ManagedSave(dom);
        }, cancellationToken);

    /// <summary>Removes the managed-save image, so that the next start boots afresh; false when there was none.</summary>
    public Task<bool> RemoveManagedSaveAsync(string name, CancellationToken cancellationToken = default) =>
        JobAsync(name, dom =>
        {
            if (!dom.HasManagedSave)
            {
                return false;
            }

            StateDirectory.Retire(ManagedSavePath(dom.Uuid));
            dom.HasManagedSave = false;
            return true;
        }, cancellationToken);

    private void ManagedSave(DomainObject dom)
    {
        WriteSaveImage(dom, ManagedSavePath(dom.Uuid));
        dom.HasManagedSave = true;
        Stop(dom, ShutoffReason.Saved, DomainEventType.Stopped, "saved", spontaneous: false);
    }

    private static void WriteSaveImage(DomainObject dom, string path)
    {
        var guest = dom.Guest!;
        var running = !guest.Paused;
        guest.Pause();
        try
        {
            var xml = LibvirtXmlWriter.Format(dom.Live!);
            StateDirectory.WriteAtomic(path, stream => SaveImage.Write(stream, xml, guest.Memory, running));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            if (running)
            {
                guest.Resume();
            }

            throw new RuntimeException(ErrorCode.SystemError, $"Failed to create domain save file '{path}': {e.Message}", e);
        }
    }

    /// <summary>The definition inside a managed-save image, which must be of the same domain.</summary>
    private static XElement ParseSavedDefinition(string xml, DomainObject dom)
    {
        var doc = LibvirtSchema.LoadText("managed save", xml, StoredDefinition);
        if (!doc.IsValid || doc.Kind != SpecKind.Domain)
        {
            throw new RuntimeException(ErrorCode.OperationFailed, $"the managed-save image of domain '{dom.Name}' holds no valid definition");
        }

        var model = DomainDefinition.FromXml(doc.Effective!);
        if (model.Uuid != dom.Uuid || model.Name != dom.Name)
        {
            throw new RuntimeException(ErrorCode.OperationFailed, $"the managed-save image of domain '{dom.Name}' belongs to domain '{model.Name}'");
        }

        return doc.Effective!;
    }
}
