using EdSam.Diffusion.Models;
using EdSam.IO;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace EdSam.Diffusion.Autoencoders;

/// <summary>
/// The KL-regularised autoencoder of latent diffusion (Rombach et al., 2022) with diffusers' <c>AutoencoderKL</c>
/// state-dict layout (<c>encoder.*</c>, <c>quant_conv</c>, <c>post_quant_conv</c>, <c>decoder.*</c>), so Stable
/// Diffusion VAE weights in diffusers format load as they are (<see cref="FromPretrained"/>).
/// </summary>
/// <remarks>
/// <see cref="Encode"/> returns the posterior mean times <see cref="ScalingFactor"/> (deterministic, as used for
/// editing and inversion); <see cref="EncodeDistribution"/> gives the posterior to sample from when training.
/// </remarks>
public sealed class AutoencoderKL : Module<Tensor, Tensor>, IAutoencoder
{
    /// <summary>File name of the architecture in a saved folder.</summary>
    public const string ConfigFileName = "vae.json";

    /// <summary>File name of the weights in a saved folder.</summary>
    public const string WeightsFileName = "vae.safetensors";

    private readonly VaeEncoder encoder;
    private readonly VaeDecoder decoder;
    private readonly Conv2d quant_conv;
    private readonly Conv2d post_quant_conv;

    /// <summary>Builds a randomly initialised VAE.</summary>
    /// <param name="config">The architecture (validated here); null = Stable Diffusion's VAE.</param>
    /// <exception cref="OptionsValidationException">The config is invalid (every error listed).</exception>
    public AutoencoderKL(AutoencoderKLConfig? config = null) : base(nameof(AutoencoderKL))
    {
        Config = (config ?? AutoencoderKLConfig.StableDiffusion).Validate();
        encoder = new VaeEncoder(Config);
        decoder = new VaeDecoder(Config);
        quant_conv = nn.Conv2d(2 * Config.LatentChannels, 2 * Config.LatentChannels, 1);
        post_quant_conv = nn.Conv2d(Config.LatentChannels, Config.LatentChannels, 1);
        RegisterComponents();
    }

    /// <summary>The architecture.</summary>
    public AutoencoderKLConfig Config { get; }

    /// <inheritdoc />
    public int LatentChannels => Config.LatentChannels;

    /// <inheritdoc />
    public int DownscaleFactor => Config.DownscaleFactor;

    /// <inheritdoc />
    public double ScalingFactor => Config.ScalingFactor;

    /// <summary>The posterior q(z | x) for images in [0, 1], unscaled (multiply samples by <see cref="ScalingFactor"/> for the diffusion model).</summary>
    /// <param name="images">float [N, InChannels, H, W] in [0, 1], H and W divisible by <see cref="DownscaleFactor"/>.</param>
    /// <returns>The distribution; the caller disposes it.</returns>
    /// <exception cref="ArgumentException">The images have the wrong shape.</exception>
    public DiagonalGaussian EncodeDistribution(Tensor images)
    {
        CheckImages(images);
        Tensor mean, logVariance;
        using (var scope = NewDisposeScope())
        {
            var moments = quant_conv.call(encoder.call(images * 2 - 1)).chunk(2, 1);
            mean = scope.MoveToOuter(moments[0].contiguous());
            logVariance = scope.MoveToOuter(moments[1].contiguous());
        }
        return new DiagonalGaussian(mean, logVariance);   // built outside the scope: it owns the clamped log-variance
    }

    /// <inheritdoc />
    public Tensor Encode(Tensor images)
    {
        using var posterior = EncodeDistribution(images);
        return posterior.Mean * ScalingFactor;
    }

    /// <inheritdoc />
    public Tensor Decode(Tensor latents)
    {
        ArgumentNullException.ThrowIfNull(latents);
        if (latents.dim() != 4 || latents.shape[1] != LatentChannels)
            throw new ArgumentException($"AutoencoderKL expects latents [N, {LatentChannels}, h, w], got [{string.Join(", ", latents.shape)}]", nameof(latents));
        using var scope = NewDisposeScope();
        var images = decoder.call(post_quant_conv.call(latents / ScalingFactor));
        return scope.MoveToOuter((images + 1) / 2);
    }

    /// <summary>Reconstruction through the posterior mean: <c>Decode(Encode(images))</c>, images in [0, 1].</summary>
    public override Tensor forward(Tensor images)
    {
        using var scope = NewDisposeScope();
        return scope.MoveToOuter(Decode(Encode(images)));
    }

    /// <summary>Writes <see cref="ConfigFileName"/> and <see cref="WeightsFileName"/> into <paramref name="folder"/> (created if needed; files written atomically).</summary>
    public void Save(string folder)
    {
        ArgumentException.ThrowIfNullOrEmpty(folder);
        Directory.CreateDirectory(folder);
        StateDicts.Save(this, Path.Combine(folder, WeightsFileName));
        ConfigFiles.Write(Path.Combine(folder, ConfigFileName), Config);
    }

    /// <summary>Loads a VAE saved by <see cref="Save"/> (strictly: every key must match).</summary>
    /// <param name="folder">The folder with <see cref="ConfigFileName"/> and <see cref="WeightsFileName"/>.</param>
    /// <param name="device">Where to put the model; CPU when null.</param>
    /// <exception cref="FileNotFoundException">A file is missing.</exception>
    /// <exception cref="InvalidDataException">The config is not valid JSON for <see cref="AutoencoderKLConfig"/>.</exception>
    /// <exception cref="StateDictMismatchException">The weights do not fit the architecture (every bad key listed).</exception>
    public static AutoencoderKL Load(string folder, Device? device = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(folder);
        var config = ConfigFiles.Read<AutoencoderKLConfig>(Path.Combine(folder, ConfigFileName));
        return Create(config, Path.Combine(folder, WeightsFileName), device);
    }

    /// <summary>
    /// Loads a diffusers-format VAE: its <c>config.json</c> (unused keys such as <c>_class_name</c> or <c>act_fn</c> are
    /// ignored) and <c>diffusion_pytorch_model.safetensors</c>. Attention weights saved under diffusers' older names
    /// (<c>query</c>, <c>key</c>, <c>value</c>, <c>proj_attn</c>, possibly as 1×1 convolutions) are renamed first.
    /// </summary>
    /// <param name="configJsonPath">diffusers' <c>vae/config.json</c>.</param>
    /// <param name="weightsPath">The <c>.safetensors</c> weights.</param>
    /// <param name="device">Where to put the model; CPU when null.</param>
    /// <exception cref="StateDictMismatchException">The weights do not fit the config (every bad key listed).</exception>
    public static AutoencoderKL FromPretrained(string configJsonPath, string weightsPath, Device? device = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(configJsonPath);
        var config = ConfigFiles.Read<AutoencoderKLConfig>(configJsonPath, allowUnknownKeys: true);
        return Create(config, weightsPath, device);
    }

    /// <summary>
    /// Renames attention weights saved under diffusers' deprecated names (<c>query</c>/<c>key</c>/<c>value</c>/<c>proj_attn</c>)
    /// to the current ones (<c>to_q</c>/<c>to_k</c>/<c>to_v</c>/<c>to_out.0</c>) and flattens 1×1-convolution attention
    /// weights [C, C, 1, 1] to linear ones [C, C]. Other entries are returned unchanged.
    /// </summary>
    /// <param name="stateDict">The state dict; do not use it afterwards (its tensors move to the result).</param>
    /// <returns>The converted state dict.</returns>
    public static Dictionary<string, Tensor> ConvertLegacyAttentionKeys(Dictionary<string, Tensor> stateDict)
    {
        ArgumentNullException.ThrowIfNull(stateDict);
        (string from, string to)[] renames = [(".query.", ".to_q."), (".key.", ".to_k."), (".value.", ".to_v."), (".proj_attn.", ".to_out.0.")];
        var result = new Dictionary<string, Tensor>(stateDict.Count, StringComparer.Ordinal);
        foreach (var (key, value) in stateDict)
        {
            string name = key;
            if (key.Contains(".attentions.", StringComparison.Ordinal))
                foreach (var (from, to) in renames) name = name.Replace(from, to, StringComparison.Ordinal);
            var tensor = value;
            bool attentionWeight = name.Contains(".attentions.", StringComparison.Ordinal) && name.EndsWith(".weight", StringComparison.Ordinal)
                && !name.Contains("group_norm", StringComparison.Ordinal);
            if (attentionWeight && value.dim() == 4 && value.shape[2] == 1 && value.shape[3] == 1)
            {
                tensor = value.reshape(value.shape[0], value.shape[1]).clone();
                value.Dispose();
            }
            result[name] = tensor;
        }
        return result;
    }

    private static AutoencoderKL Create(AutoencoderKLConfig config, string weightsPath, Device? device)
    {
        if (!File.Exists(weightsPath)) throw new FileNotFoundException($"VAE weights '{weightsPath}' were not found.", weightsPath);
        var model = new AutoencoderKL(config);
        var stateDict = ConvertLegacyAttentionKeys(SafeTensors.Load(weightsPath));
        try
        {
            StateDicts.LoadStrict(model, stateDict, weightsPath);
            if (device is not null) model.to(device);
            return model;
        }
        catch
        {
            model.Dispose();
            throw;
        }
        finally
        {
            foreach (var tensor in stateDict.Values) tensor.Dispose();
        }
    }

    private void CheckImages(Tensor images)
    {
        ArgumentNullException.ThrowIfNull(images);
        int factor = DownscaleFactor;
        if (images.dim() != 4 || images.shape[1] != Config.InChannels || images.shape[2] % factor != 0 || images.shape[3] % factor != 0)
            throw new ArgumentException($"AutoencoderKL expects images [N, {Config.InChannels}, H, W] with H and W divisible by {factor}, got [{string.Join(", ", images.shape)}]", nameof(images));
    }
}
