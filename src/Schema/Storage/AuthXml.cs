using System.Xml.Linq;
using Reconciler.Schema.Storage.Model;
using Reconciler.Schema.Storage.Support;

namespace Reconciler.Schema.Storage;

/// <summary>A pool source's &lt;auth&gt;: virStorageAuthDefParse, the pool's own checks, virStorageAuthDefFormat.</summary>
internal static class AuthXml
{
    public static StorageFault? Check(XElement auth)
    {
        if (XPathLite.String(auth, "@username") is null)
        {
            return StorageFault.Xml("missing username for auth", auth);
        }

        var type = XPathLite.String(auth, "@type");
        var authType = 0;
        if (type is not null && (authType = StorageEnums.AuthType.FromString(type)) < 0)
        {
            return StorageFault.Unsupported($"unknown auth type '{type}'", auth.Attribute("type"));
        }

        var secret = XPathLite.Node(auth, "secret");
        if (secret is null)
        {
            return StorageFault.Xml("Missing <secret> element in auth", auth);
        }

        if (SecretXml.Check(secret) is { } fault)
        {
            return fault;
        }

        return authType == 0 ? StorageFault.Unsupported("storage pool missing auth type", auth) : null;
    }

    public static StorageAuth Read(XElement auth)
    {
        var secret = XPathLite.Node(auth, "secret");
        return new StorageAuth(
            XPathLite.String(auth, "@type") ?? "none",
            XPathLite.String(auth, "@username") ?? string.Empty,
            secret is null ? new StorageSecretRef(null, null, null) : SecretXml.Read(secret, VirXmlProp.Prop(secret, "type")));
    }

    public static XElement Write(StorageAuth auth)
    {
        var element = new XElement("auth");
        if (auth.Type != "none")
        {
            element.SetAttributeValue("type", auth.Type);
        }

        element.SetAttributeValue("username", auth.Username);
        element.Add(SecretXml.Write(auth.Secret));
        return element;
    }
}
