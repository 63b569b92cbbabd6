using EdSam.Imaging;
using static TorchSharp.torch;

namespace EdSam.Tests.Imaging;

public sealed class ImageGridTests
{
    [Fact]
    public void Grid_places_images_row_by_row_with_padding()
    {
        // Three 2×2 constant images 0.1, 0.2, 0.3 in two columns with 1 pixel of padding valued 1.
        using Tensor images = tensor(new[] { 0.1f, 0.2f, 0.3f }).view(3, 1, 1, 1).expand(3, 3, 2, 2).contiguous();

        using Tensor grid = ImageGrid.Make(images, columns: 2, padding: 1, padValue: 1f);

        grid.shape.Should().Equal(3, 2 * 3 + 1, 2 * 3 + 1);
        grid[0, 1, 1].item<float>().Should().Be(0.1f);   // image 0 at row 0, column 0
        grid[1, 2, 5].item<float>().Should().Be(0.2f);   // image 1 at row 0, column 1
        grid[2, 4, 2].item<float>().Should().Be(0.3f);   // image 2 at row 1, column 0
        grid[0, 5, 5].item<float>().Should().Be(1f);     // empty cell is padding
        grid[0, 0, 0].item<float>().Should().Be(1f);     // border
        grid[0, 1, 3].item<float>().Should().Be(1f);     // gap between columns
        using Tensor nonPadding = grid.lt(1f).sum();
        nonPadding.item<long>().Should().Be(3 * 3 * 4);
    }

    [Fact]
    public void Columns_are_capped_at_the_batch_size()
    {
        using Tensor images = zeros(2, 3, 4, 5);
        using Tensor grid = ImageGrid.Make(images, columns: 8, padding: 0);
        grid.shape.Should().Equal(3, 4, 10);
    }

    [Fact]
    public void Save_writes_a_png_of_the_grid()
    {
        string folder = Directory.CreateTempSubdirectory("edsam-grid-").FullName;
        try
        {
            using Tensor images = rand(5, 3, 4, 4);
            string path = Path.Combine(folder, "grid.png");

            ImageGrid.Save(path, images, columns: 3, padding: 2);

            using Tensor decoded = ImageDecoder.DecodeFile(path);
            decoded.shape.Should().Equal(3, 2 * 6 + 2, 3 * 6 + 2);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void Bad_arguments_are_refused()
    {
        using Tensor empty = zeros(0, 3, 2, 2);
        using Tensor single = zeros(3, 2, 2);
        using Tensor batch = zeros(1, 3, 2, 2);
        ((Action)(() => ImageGrid.Make(empty))).Should().Throw<ArgumentException>();
        ((Action)(() => ImageGrid.Make(single))).Should().Throw<ArgumentException>().WithMessage("*[N, C, H, W]*");
        ((Action)(() => ImageGrid.Make(batch, columns: 0))).Should().Throw<ArgumentOutOfRangeException>();
        ((Action)(() => ImageGrid.Make(batch, padding: -1))).Should().Throw<ArgumentOutOfRangeException>();
        ((Action)(() => ImageGrid.Make(batch, padValue: 2f))).Should().Throw<ArgumentOutOfRangeException>();
    }
}
