namespace EdSam.Clip;

/// <summary>Numeric precision of a loaded CLIP model (open_clip's <c>precision</c>).</summary>
public enum ClipPrecision
{
    /// <summary>Every parameter, buffer and activation in float32.</summary>
    Fp32,

    /// <summary>
    /// Every floating-point parameter and buffer in bfloat16 ("pure" bf16): about half the memory and, on CPUs
    /// with AVX-512-BF16/AMX, much faster. Features keep cosine ≥ 0.999 to fp32; inputs are cast automatically.
    /// </summary>
    Bf16,
}
