using EdSam.Data.FashionMnist;
using EdSam.Imaging;
using EdSam.Tests.TestSupport;

namespace EdSam.Tests.Data.FashionMnist;

public class DocsImageTests
{
    /// <summary>Regenerates docs/images/fashion-mnist-dg-domains.png when EDSAM_WRITE_DOCS=1 (a tool, not a check).</summary>
    [SkippableFact]
    public void Writes_the_domain_grid_into_docs_when_asked()
    {
        Skip.IfNot(Environment.GetEnvironmentVariable("EDSAM_WRITE_DOCS") == "1", "Set EDSAM_WRITE_DOCS=1 to regenerate docs/images.");
        var data = FashionMnistDg.Load(new FashionMnistDgOptions { Source = FashionMnistSource.Embedded, ImageSize = 64 });
        string path = Path.Combine(SharedFixtures.RepositoryRoot, "docs", "images", "fashion-mnist-dg-domains.png");
        data.SaveDomainGrid(path);
        using var decoded = ImageDecoder.DecodeFile(path);
        decoded.shape.Should().Equal(3, 6 * 66 + 2, 10 * 66 + 2);
    }
}
