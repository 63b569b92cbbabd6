using System.ComponentModel.DataAnnotations;

namespace EdSam.Diffusion.Models;

/// <summary>The validation recipe every config/options record of this assembly shares: attribute checks plus the record's own rules, reported all at once.</summary>
internal static class RecordValidation
{
    /// <summary>The messages of every failed data-annotation attribute (<c>[Range]</c>, …) on <paramref name="value"/>'s properties.</summary>
    public static List<string> AttributeErrors(object value)
    {
        var results = new List<ValidationResult>();
        Validator.TryValidateObject(value, new ValidationContext(value), results, validateAllProperties: true);
        return results.Select(r => r.ErrorMessage!).ToList();
    }

    /// <summary>Returns <paramref name="value"/> when <paramref name="errors"/> is empty; otherwise throws one <see cref="OptionsValidationException"/> "Invalid TypeName: …" listing them all.</summary>
    public static T ThrowIfAny<T>(T value, IReadOnlyCollection<string> errors) where T : class =>
        errors.Count == 0 ? value : throw new OptionsValidationException(typeof(T).Name, errors);
}
