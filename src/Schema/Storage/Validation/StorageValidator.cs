using FluentValidation;

namespace Reconciler.Schema.Storage.Validation;

/// <summary>
/// A validator whose rules are libvirt's checks in libvirt's order. libvirt stops at the first error, so
/// does this: each rule returns the fault it finds, and the first fault ends the validation.
/// </summary>
internal abstract class StorageValidator<T> : AbstractValidator<T>
{
    protected StorageValidator()
    {
        ClassLevelCascadeMode = CascadeMode.Stop;
        RuleLevelCascadeMode = CascadeMode.Stop;
    }

    /// <summary>Adds a check; <paramref name="name"/> names it in FluentValidation's results (libvirt's function).</summary>
    protected void Check(string name, Func<T, StorageFault?> check) =>
        RuleFor(x => x).Configure(rule => rule.PropertyName = name).Custom((x, context) => check(x)?.ReportTo(context));
}
