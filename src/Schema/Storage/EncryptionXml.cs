using System.Globalization;
using System.Xml.Linq;
using Reconciler.Schema.Model;
using Reconciler.Schema.Storage.Model;
using Reconciler.Schema.Storage.Support;

namespace Reconciler.Schema.Storage;

/// <summary>A volume's &lt;encryption&gt; (storage_encryption_conf.c): virStorageEncryptionParseNode and its formatter.</summary>
internal static class EncryptionXml
{
    private const int Luks = 2;

    public static StorageFault? Check(XElement encryption)
    {
        var format = XPathLite.String(encryption, "@format");
        if (format is null)
        {
            return StorageFault.Xml("unknown volume encryption format", encryption);
        }

        var formatValue = StorageEnums.EncryptionFormat.FromString(format);
        if (formatValue < 0)
        {
            return StorageFault.Unsupported($"unknown volume encryption format type {format}", encryption.Attribute("format"));
        }

        if (VirXmlProp.Enum(encryption, "engine", StorageEnums.EncryptionEngine, out _) is { } badEngine)
        {
            return badEngine;
        }

        foreach (var secret in encryption.Elements("secret"))
        {
            if (CheckSecret(secret) is { } fault)
            {
                return fault;
            }
        }

        if (formatValue != Luks)
        {
            return null;
        }

        var cipher = encryption.Element("cipher");
        if (cipher is not null)
        {
            if (VirXmlProp.Prop(cipher, "name") is null)
            {
                return StorageFault.Xml("cipher info missing 'name' attribute", cipher);
            }

            if (VirXmlProp.UInt(cipher, "size", 10, out _, required: true) is { } badSize)
            {
                return badSize;
            }
        }

        var ivgen = encryption.Element("ivgen");
        if (ivgen is null)
        {
            return null;
        }

        if (VirXmlProp.Prop(cipher, "name") is null)
        {
            return StorageFault.Xml("ivgen element found, but cipher is missing", ivgen);
        }

        return VirXmlProp.Prop(ivgen, "name") is null ? StorageFault.Xml("missing ivgen info name string", ivgen) : null;
    }

    private static StorageFault? CheckSecret(XElement secret)
    {
        var type = XPathLite.String(secret, "@type");
        if (type is null)
        {
            return StorageFault.Xml("unknown volume encryption secret type", secret);
        }

        if (StorageEnums.EncryptionSecretType.FromString(type) < 0)
        {
            return StorageFault.Unsupported($"unknown volume encryption secret type {type}", secret.Attribute("type"));
        }

        return SecretXml.Check(secret);
    }

    public static StorageEncryption Read(XElement encryption)
    {
        var format = XPathLite.String(encryption, "@format") ?? "default";
        var engine = StorageEnums.EncryptionEngine.FromString(VirXmlProp.Prop(encryption, "engine"));
        var secrets = encryption.Elements("secret").Select(s => SecretXml.Read(s, XPathLite.String(s, "@type"))).ToValueList();
        StorageCipher? cipher = null;
        StorageIvgen? ivgen = null;
        if (format == "luks" && encryption.Element("cipher") is { } c && VirXmlProp.Prop(c, "name") is { } name)
        {
            _ = CStrToLong.TryUIntPositive(VirXmlProp.Prop(c, "size"), 10, out var size);
            cipher = new StorageCipher(name, size, VirXmlProp.Prop(c, "mode"), VirXmlProp.Prop(c, "hash"));
            if (encryption.Element("ivgen") is { } i && VirXmlProp.Prop(i, "name") is { } ivgenName)
            {
                ivgen = new StorageIvgen(ivgenName, VirXmlProp.Prop(i, "hash"));
            }
        }

        return new StorageEncryption(format, engine > 0 ? StorageEnums.EncryptionEngine.ToString(engine) : null, secrets, cipher, ivgen);
    }

    public static XElement Write(StorageEncryption encryption)
    {
        var element = new XElement("encryption", new XAttribute("format", encryption.Format));
        if (encryption.Engine is not null)
        {
            element.SetAttributeValue("engine", encryption.Engine);
        }

        foreach (var secret in encryption.Secrets)
        {
            element.Add(SecretXml.Write(secret));
        }

        if (encryption.Format == "luks" && encryption.Cipher is { } cipher)
        {
            var c = new XElement("cipher", new XAttribute("name", cipher.Name), new XAttribute("size", cipher.Size.ToString(CultureInfo.InvariantCulture)));
            c.SetAttributeValue("mode", cipher.Mode);
            c.SetAttributeValue("hash", cipher.Hash);
            element.Add(c);
            if (encryption.Ivgen is { } ivgen)
            {
                element.Add(new XElement("ivgen", new XAttribute("name", ivgen.Name), ivgen.Hash is null ? null : new XAttribute("hash", ivgen.Hash)));
            }
        }

        return element;
    }
}
