using System.Xml.Linq;
using FluentValidation;
using FluentValidation.Results;
using Reconciler.Schema.Diagnostics;

namespace Reconciler.Schema.Validation;

/// <summary>What a validation failure carries besides its message: libvirt's error code and the location.</summary>
public sealed record FailureState(ErrorCode Code, XmlPosition Position);

/// <summary>Helpers that let FluentValidation rules report errors with libvirt's codes, texts and positions.</summary>
public static class LibvirtFailure
{
    /// <summary>Reports a libvirt error at <paramref name="at"/> from inside a Custom rule.</summary>
    public static void Report<T>(this ValidationContext<T> context, ErrorCode code, string detail, XObject? at)
    {
        context.AddFailure(Create(context.PropertyPath, code, detail, at));
    }

    public static ValidationFailure Create(string property, ErrorCode code, string detail, XObject? at) =>
        new(property, code.Format(detail))
        {
            ErrorCode = code.Name(),
            CustomState = new FailureState(code, XmlPosition.Of(at)),
        };

    /// <summary>
    /// Makes a rule's failure read like libvirt: the error code, the detail built from the object
    /// (the message prefix is added from the code), and the position of the XML node the rule is about.
    /// </summary>
    public static IRuleBuilderOptions<T, TProperty> WithLibvirtError<T, TProperty>(
        this IRuleBuilderOptions<T, TProperty> rule,
        ErrorCode code,
        Func<T, TProperty, string> detail,
        Func<T, TProperty, XObject?> at)
    {
        return rule
            .WithErrorCode(code.Name())
            .WithMessage((root, value) => code.Format(detail(root, value)))
            .WithState((root, value) => new FailureState(code, XmlPosition.Of(at(root, value))));
    }

    /// <summary>Turns FluentValidation's result into schema errors, in rule order.</summary>
    public static IEnumerable<SchemaError> ToSchemaErrors(this ValidationResult result)
    {
        foreach (var f in result.Errors)
        {
            if (f.CustomState is FailureState state)
            {
                yield return new SchemaError(state.Code, f.ErrorMessage, state.Position.Line, state.Position.Column);
            }
            else
            {
                yield return new SchemaError(ErrorCode.XmlError, f.ErrorMessage, 0, 0);
            }
        }
    }
}
