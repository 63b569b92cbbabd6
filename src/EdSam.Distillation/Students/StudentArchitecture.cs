namespace EdSam.Distillation.Students;

/// <summary>The student backbones <see cref="StudentFactory"/> can build.</summary>
public enum StudentArchitecture
{
    /// <summary>torchvision <c>resnet18</c>: BasicBlock ×[2, 2, 2, 2], 512-d pooled features, 11.2 M parameters without <c>fc</c>.</summary>
    ResNet18,

    /// <summary>torchvision <c>resnet50</c>: Bottleneck ×[3, 4, 6, 3], 2048-d pooled features, 23.5 M parameters without <c>fc</c>.</summary>
    ResNet50,

    /// <summary>timm <c>vit_small_patch16_224</c>: width 384, 12 blocks, 6 heads; 384-d class-token features.</summary>
    VitSmall16,

    /// <summary>timm <c>vit_base_patch16_224</c>: width 768, 12 blocks, 12 heads; 768-d class-token features.</summary>
    VitBase16,

    /// <summary>A small ResNet for tests and quick CPU runs: BasicBlock ×[1, 1, 1, 1], widths 8/16/32/64, 64-d features.</summary>
    TinyResNet,

    /// <summary>A small ViT for tests and quick CPU runs: 32-px images, patch 4, width 64, 2 blocks, 4 heads; 64-d features.</summary>
    TinyVit,
}
