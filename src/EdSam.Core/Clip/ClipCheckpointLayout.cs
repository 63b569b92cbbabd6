namespace EdSam.Clip;

/// <summary>How a pretrained CLIP folder or hub repository stores its config and weights.</summary>
public enum ClipCheckpointLayout
{
    /// <summary>OpenCLIP's hub layout: <c>open_clip_config.json</c> (<c>model_cfg</c>, <c>preprocess_cfg</c>) and
    /// <c>open_clip_model.safetensors</c> with OpenAI state-dict keys.</summary>
    OpenClip,

    /// <summary>Hugging Face transformers' layout: <c>config.json</c> (<c>CLIPModel</c>) and <c>model.safetensors</c>
    /// (converted to OpenAI keys while loading), with <c>preprocessor_config.json</c> beside them.</summary>
    HuggingFace,
}
