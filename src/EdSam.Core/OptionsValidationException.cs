namespace EdSam;

/// <summary>
/// An options or configuration record has invalid values. Every EdSam options record (<c>EdSamOptions</c>,
/// <c>Vl2vAdipOptions</c>, <c>HubOptions</c>, model configs, …) reports all of its invalid properties at once with this
/// exception when it is validated — by its <c>Validate()</c> method or by the constructor that receives it.
/// </summary>
/// <remarks>An <see cref="ArgumentException"/>, since the options are an argument of the call that validated them; the
/// message is <c>"Invalid {OptionsType}: {error} {error} …"</c>.</remarks>
public sealed class OptionsValidationException : ArgumentException
{
    /// <summary>Creates the exception for the given record type and its errors.</summary>
    /// <param name="optionsType">The record's type name, for example <c>EdSamOptions</c>.</param>
    /// <param name="errors">One sentence per invalid property, naming it, what it must be and what it was; at least one.</param>
    public OptionsValidationException(string optionsType, IEnumerable<string> errors)
        : this(optionsType, errors.ToArray())
    {
    }

    private OptionsValidationException(string optionsType, string[] errors)
        : base($"Invalid {optionsType}: " + string.Join(" ", errors))
    {
        if (errors.Length == 0) throw new ArgumentException("An options validation error needs at least one error.", nameof(errors));
        OptionsType = optionsType;
        Errors = errors;
    }

    /// <summary>The type name of the invalid record.</summary>
    public string OptionsType { get; }

    /// <summary>One message per invalid property.</summary>
    public IReadOnlyList<string> Errors { get; }

    /// <summary>Throws when <paramref name="errors"/> is not empty.</summary>
    /// <param name="optionsType">The record's type name.</param>
    /// <param name="errors">The errors found; none means valid.</param>
    /// <exception cref="OptionsValidationException">There is at least one error.</exception>
    public static void ThrowIfAny(string optionsType, IReadOnlyCollection<string> errors)
    {
        if (errors.Count > 0) throw new OptionsValidationException(optionsType, errors);
    }
}
