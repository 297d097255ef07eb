using System.Xml.Linq;
using Reconciler.Schema.Storage.Model;
using Reconciler.Schema.Storage.Support;

namespace Reconciler.Schema.Storage;

/// <summary>A &lt;secret&gt; reference: virSecretLookupParseSecret and virSecretLookupFormatSecret.</summary>
internal static class SecretXml
{
    public static StorageFault? Check(XElement secret)
    {
        var uuid = VirXmlProp.Prop(secret, "uuid");
        var usage = VirXmlProp.Prop(secret, "usage");
        if (uuid is null && usage is null)
        {
            return StorageFault.Xml("missing secret uuid or usage attribute", secret);
        }

        if (uuid is not null && usage is not null)
        {
            return StorageFault.Xml("either secret uuid or usage expected", secret);
        }

        if (uuid is not null && !VirUuid.TryParse(uuid, out _))
        {
            return StorageFault.Xml($"invalid secret uuid '{uuid}'", secret.Attribute("uuid"));
        }

        return null;
    }

    /// <summary>The reference, with the secret type given (the type attribute for auth, the encryption secret type).</summary>
    public static StorageSecretRef Read(XElement secret, string? type)
    {
        var uuid = VirXmlProp.Prop(secret, "uuid");
        if (uuid is not null)
        {
            return new StorageSecretRef(type, VirUuid.TryParse(uuid, out var value) ? value : Guid.Empty, null);
        }

        return new StorageSecretRef(type, null, VirXmlProp.Prop(secret, "usage"));
    }

    public static XElement Write(StorageSecretRef secret)
    {
        var element = new XElement("secret");
        if (secret.Type is not null)
        {
            element.SetAttributeValue("type", secret.Type);
        }

        if (secret.Uuid is { } uuid)
        {
            element.SetAttributeValue("uuid", VirUuid.Format(uuid));
        }
        else if (secret.Usage is not null)
        {
            element.SetAttributeValue("usage", secret.Usage);
        }

        return element;
    }
}
