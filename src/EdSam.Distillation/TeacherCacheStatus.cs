namespace EdSam.Distillation;

/// <summary>How <see cref="TeacherEmbeddingCache.LoadOrBuild(string, TeacherCacheIdentity, IReadOnlyList{string}, Func{IReadOnlyList{string}, TorchSharp.torch.Tensor}, Func{TorchSharp.torch.Tensor, TorchSharp.torch.Tensor}, TeacherCacheOptions?, CancellationToken)"/> obtained its embeddings.</summary>
public enum TeacherCacheStatus
{
    /// <summary>The file held every requested key for this teacher: nothing was computed.</summary>
    Hit,

    /// <summary>There was no cache file: every embedding was computed.</summary>
    Built,

    /// <summary>The file was stale (other teacher, weights or preprocessing) or unreadable: every embedding was recomputed.</summary>
    Rebuilt,

    /// <summary>The file was valid but lacked some keys: only those were computed and added.</summary>
    Extended,
}
