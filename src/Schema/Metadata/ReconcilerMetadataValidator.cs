using System.Globalization;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using FluentValidation;
using Reconciler.Schema.Diagnostics;
using Reconciler.Schema.Domains;
using Reconciler.Schema.Validation;
using Reconciler.Schema.Xml;

namespace Reconciler.Schema.Metadata;

/// <summary>
/// Checks Reconciler's own metadata in a domain. libvirt keeps foreign metadata as opaque XML, so these
/// are Reconciler's rules: every element and value must be known, so that a typo never silently means
/// "the default".
/// </summary>
internal sealed partial class ReconcilerMetadataValidator : AbstractValidator<DomainXml>
{
    private static readonly XNamespace Ns = ReconcilerMetadata.Ns;

    public ReconcilerMetadataValidator()
    {
        RuleFor(d => d).Custom((doc, context) =>
        {
            var e = ReconcilerMetadata.Element(doc.Root);
            if (e is null)
            {
                return;
            }

            foreach (var problem in Check(e))
            {
                context.Report(ErrorCode.PolicyViolation, problem.Message, problem.At);
            }
        });
    }

    private static IEnumerable<(string Message, XObject At)> Check(XElement e)
    {
        string[] known = ["runStrategy", "autostart", "restartOnChange", "placement", "migration"];
        foreach (var child in e.Elements())
        {
            if (child.Name.Namespace != Ns || Array.IndexOf(known, child.Name.LocalName) < 0)
            {
                yield return ($"reconciler metadata: unknown element '{child.Name.LocalName}'; expected one of {string.Join(", ", known)}", child);
            }
        }

        foreach (var group in e.Elements().Where(c => c.Name.Namespace == Ns).GroupBy(c => c.Name.LocalName).Where(g => g.Count() > 1))
        {
            yield return ($"reconciler metadata: element '{group.Key}' can only appear once", group.ElementAt(1));
        }

        var strategy = e.Element(Ns + "runStrategy");
        if (strategy is not null && !ReconcilerMetadata.RunStrategies.ContainsKey(strategy.Value.Trim()))
        {
            yield return ($"reconciler metadata: unknown runStrategy '{strategy.Value.Trim()}'; expected one of {string.Join(", ", ReconcilerMetadata.RunStrategies.Keys)}", strategy);
        }

        var restart = e.Element(Ns + "restartOnChange");
        if (restart is not null && restart.Value.Trim() is not ("yes" or "no"))
        {
            yield return ($"reconciler metadata: restartOnChange must be 'yes' or 'no', not '{restart.Value.Trim()}'", restart);
        }

        var autostart = e.Element(Ns + "autostart");
        if (autostart is not null && autostart.Value.Trim() is not ("yes" or "no"))
        {
            yield return ($"reconciler metadata: autostart must be 'yes' or 'no', not '{autostart.Value.Trim()}'", autostart);
        }

        var placement = e.Element(Ns + "placement");
        if (placement is not null)
        {
            var host = placement.A("host");
            if (host is null)
            {
                yield return ("reconciler metadata: placement needs a host attribute naming the host that runs the domain", placement);
            }
            else if (!HostName().IsMatch(host))
            {
                yield return ($"reconciler metadata: placement host '{host}' is not a valid host name (letters, digits, '-', '.' and '_', at most 253 characters)", placement.Attribute("host")!);
            }
        }

        var migration = e.Element(Ns + "migration");
        if (migration is not null)
        {
            string[] numbers = ["maxDowntime", "bandwidth", "completionTimeoutPerGiB", "progressTimeout"];
            string[] flags = ["autoConverge", "copyStorage"];
            foreach (var a in migration.Attributes().Where(a => !a.IsNamespaceDeclaration))
            {
                var name = a.Name.LocalName;
                if (Array.IndexOf(numbers, name) >= 0)
                {
                    if (!uint.TryParse(a.Value, NumberStyles.None, CultureInfo.InvariantCulture, out _))
                    {
                        yield return ($"reconciler metadata: migration {name} must be a non-negative integer, not '{a.Value}'", a);
                    }
                }
                else if (Array.IndexOf(flags, name) >= 0)
                {
                    if (a.Value is not ("yes" or "no"))
                    {
                        yield return ($"reconciler metadata: migration {name} must be 'yes' or 'no', not '{a.Value}'", a);
                    }
                }
                else if (name == "onNonConvergence")
                {
                    if (a.Value is not ("pause" or "abort"))
                    {
                        yield return ($"reconciler metadata: migration onNonConvergence must be 'pause' or 'abort', not '{a.Value}'", a);
                    }
                }
                else
                {
                    yield return ($"reconciler metadata: unknown migration attribute '{name}'; expected one of {string.Join(", ", numbers.Concat(flags).Append("onNonConvergence"))}", a);
                }
            }
        }
    }

    [GeneratedRegex("^(?=.{1,253}$)[A-Za-z0-9_]([A-Za-z0-9_.-]*[A-Za-z0-9_])?$", RegexOptions.CultureInvariant)]
    private static partial Regex HostName();
}
