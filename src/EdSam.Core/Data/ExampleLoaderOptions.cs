using EdSam.Data.Augmentation;
using Microsoft.Extensions.Logging;
using static TorchSharp.torch;

namespace EdSam.Data;

/// <summary>Options of <see cref="ExampleLoader.Create"/>.</summary>
public sealed record ExampleLoaderOptions
{
    /// <summary>Examples per batch.</summary>
    /// <value>The default value is 32.</value>
    public int BatchSize { get; init; } = 32;

    /// <summary>Reshuffle the examples every epoch (each enumeration of the loader is one epoch).</summary>
    /// <value>The default value is false.</value>
    public bool Shuffle { get; init; }

    /// <summary>Seed of the shuffle and of the transforms.</summary>
    /// <value>The default value is 0.</value>
    public int Seed { get; init; }

    /// <summary>For streams (<see cref="ExampleLoader.Stream"/>) with <see cref="Shuffle"/>: examples held in the
    /// shuffle buffer (WebDataset's approach: a stream cannot be permuted, so each batch draws at random from a
    /// window of the next examples). Larger mixes better and costs memory (encoded images).</summary>
    /// <value>The default value is 1000.</value>
    public int ShuffleBufferSize { get; init; } = 1000;

    /// <summary>Images decoded in parallel (TorchSharp's <c>num_worker</c>: threads, not processes).</summary>
    /// <value>The default value is 1.</value>
    public int Workers { get; init; } = 1;

    /// <summary>Drop the last batch when it is smaller than <see cref="BatchSize"/>.</summary>
    /// <value>The default value is false.</value>
    public bool DropLast { get; init; }

    /// <summary>Device of the batch tensors; CPU when null.</summary>
    /// <value>The default value is null (CPU).</value>
    public Device? Device { get; init; }

    /// <summary>Transform applied to each decoded image (resize/crop to one size at least, or batches cannot stack).</summary>
    /// <value>The default value is null (no transform).</value>
    public IImageTransform? Transform { get; init; }

    /// <summary>What to do with an image that cannot be loaded.</summary>
    /// <value>The default value is <see cref="BadInputPolicy.Fail"/>.</value>
    public BadInputPolicy BadInputPolicy { get; init; } = BadInputPolicy.Fail;

    /// <summary>Receives a warning per skipped image.</summary>
    /// <value>The default value is null (no logging).</value>
    public ILogger? Logger { get; init; }

    /// <summary>Dispose each batch's tensors when the loader moves to the next batch (TorchSharp's
    /// <c>disposeBatch</c>); set false to keep batches alive beyond the loop body.</summary>
    /// <value>The default value is true.</value>
    public bool DisposeBatches { get; init; } = true;

    /// <summary>Checks every option and reports all errors at once.</summary>
    /// <exception cref="OptionsValidationException">One or more options are invalid; the message lists each.</exception>
    /// <returns>This instance, so a record can be validated where it is built.</returns>
    public ExampleLoaderOptions Validate()
    {
        var errors = new List<string>();
        if (BatchSize < 1) errors.Add($"BatchSize must be at least 1 (was {BatchSize}).");
        if (ShuffleBufferSize < 1) errors.Add($"ShuffleBufferSize must be at least 1 (was {ShuffleBufferSize}).");
        if (Workers < 1) errors.Add($"Workers must be at least 1 (was {Workers}).");
        if (!Enum.IsDefined(BadInputPolicy)) errors.Add($"BadInputPolicy {(int)BadInputPolicy} is not a defined value.");
        OptionsValidationException.ThrowIfAny("ExampleLoaderOptions", errors);
        return this;
    }
}
