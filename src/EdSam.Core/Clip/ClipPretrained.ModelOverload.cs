namespace EdSam.Clip;

// The repository/folder overload of ClipModel.FromPretrained lives beside ClipPretrained, which does the work.
public sealed partial class ClipModel
{
    /// <summary>
    /// Loads a pretrained CLIP from a local folder or a Hugging Face-compatible hub repository (OpenCLIP's
    /// <c>open_clip_config.json</c> + <c>open_clip_model.safetensors</c>, or transformers' <c>config.json</c> +
    /// <c>model.safetensors</c>), downloading into the cache when needed. See <see cref="ClipPretrained.Load"/>.
    /// </summary>
    /// <param name="repoIdOrDirectory">An existing folder, or a repository id such as <c>openai/clip-vit-base-patch32</c>.</param>
    /// <param name="options">Hub and loading options; defaults from the environment, fp32 on the CPU.</param>
    /// <param name="progress">Bytes received of the file being downloaded.</param>
    /// <param name="cancellationToken">Stops downloading.</param>
    /// <returns>The model in eval mode.</returns>
    /// <exception cref="ClipPretrainedException">No loadable checkpoint (for example pickle-only weights: the message says how to convert).</exception>
    /// <exception cref="EdSam.IO.Hub.HubException">Downloading failed.</exception>
    public static ClipModel FromPretrained(string repoIdOrDirectory, ClipPretrainedOptions? options = null,
        IProgress<long>? progress = null, CancellationToken cancellationToken = default)
        => ClipPretrained.Load(repoIdOrDirectory, options, progress, cancellationToken);
}
