using System.Text;
using EdSam.Build;

namespace EdSam.Tests.Build;

public class ElfVersionNeedPatcherTests
{
    [Fact]
    public void Marks_only_the_named_version_weak_and_is_idempotent()
    {
        byte[] image = TinyElf.WithNeeds(("libstdc++.so.6", new[] { "GLIBCXX_3.4.30", "GLIBCXX_3.4.32" }), ("libc.so.6", new[] { "GLIBC_2.34" }));

        ElfVersionNeedPatcher.MarkWeak(image, "GLIBCXX_3.4.32").Should().Be(ElfPatchOutcome.Patched);

        var needs = ElfVersionNeedPatcher.ReadVersionNeeds(image);
        needs.Select(n => (n.File, n.Version, n.IsWeak)).Should().Equal(
            ("libstdc++.so.6", "GLIBCXX_3.4.30", false),
            ("libstdc++.so.6", "GLIBCXX_3.4.32", true),
            ("libc.so.6", "GLIBC_2.34", false));
        byte[] once = (byte[])image.Clone();
        ElfVersionNeedPatcher.MarkWeak(image, "GLIBCXX_3.4.32").Should().Be(ElfPatchOutcome.AlreadyWeak);
        image.Should().Equal(once, "a second run must change nothing");
    }

    [Fact]
    public void Reports_a_version_the_library_does_not_need_and_leaves_the_bytes_alone()
    {
        byte[] image = TinyElf.WithNeeds(("libstdc++.so.6", new[] { "GLIBCXX_3.4.30" }));
        byte[] before = (byte[])image.Clone();

        ElfVersionNeedPatcher.MarkWeak(image, "GLIBCXX_3.4.32").Should().Be(ElfPatchOutcome.NotNeeded);
        image.Should().Equal(before);
    }

    [Theory]
    [InlineData(0, "bad magic")]
    [InlineData(4, "64-bit little-endian")]
    public void Rejects_files_that_are_not_64_bit_little_endian_elf(int corruptAt, string expected)
    {
        byte[] image = TinyElf.WithNeeds(("libstdc++.so.6", new[] { "GLIBCXX_3.4.32" }));
        image[corruptAt] ^= 0x7f;

        var act = () => ElfVersionNeedPatcher.MarkWeak(image, "GLIBCXX_3.4.32");
        act.Should().Throw<InvalidDataException>().WithMessage($"*{expected}*");
    }

    [Fact]
    public void Rejects_a_version_need_chain_that_runs_outside_its_section()
    {
        byte[] image = TinyElf.WithNeeds(("libstdc++.so.6", new[] { "GLIBCXX_3.4.32" }));
        int verneed = TinyElf.VerneedOffset(image);
        BitConverter.GetBytes(0x10000u).CopyTo(image, verneed + 8); // vn_aux far past the section

        var act = () => ElfVersionNeedPatcher.ReadVersionNeeds(image);
        act.Should().Throw<InvalidDataException>().WithMessage("*outside its section*");
    }

    [SkippableFact]
    public void The_build_patched_the_test_hosts_copy_of_the_torchsharp_shim_but_not_the_package_cache()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "the shim is an ELF file only on Linux");
        string shim = Path.Combine(AppContext.BaseDirectory, "runtimes", "linux-x64", "native", "libLibTorchSharp.so");
        Skip.IfNot(File.Exists(shim), "no linux-x64 TorchSharp shim in the test output");
        Skip.If(ElfVersionNeedPatcher.SystemLibStdCxxHas("GLIBCXX_3.4.32"), "this system's libstdc++ has GLIBCXX_3.4.32: nothing to patch");

        ElfVersionNeedPatcher.ReadVersionNeeds(File.ReadAllBytes(shim))
            .Single(n => n.Version == "GLIBCXX_3.4.32").IsWeak.Should().BeTrue();

        string cache = Environment.GetEnvironmentVariable("NUGET_PACKAGES")
            ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        string cached = Path.Combine(cache, "torchsharp", "0.107.0", "runtimes", "linux-x64", "native", "libLibTorchSharp.so");
        if (File.Exists(cached))
            ElfVersionNeedPatcher.ReadVersionNeeds(File.ReadAllBytes(cached))
                .Single(n => n.Version == "GLIBCXX_3.4.32").IsWeak.Should().BeFalse("the NuGet cache must never be modified");
    }

    /// <summary>Builds the smallest ELF64 image the patcher reads: a string table and a .gnu.version_r section.</summary>
    private static class TinyElf
    {
        private const int HeaderSize = 64, SectionHeaderSize = 64;

        public static byte[] WithNeeds(params (string File, string[] Versions)[] needs)
        {
            var strings = new MemoryStream();
            strings.WriteByte(0);
            int AddString(string s)
            {
                int at = (int)strings.Length;
                strings.Write(Encoding.ASCII.GetBytes(s + "\0"));
                return at;
            }

            var verneed = new MemoryStream();
            for (int n = 0; n < needs.Length; n++)
            {
                var (file, versions) = needs[n];
                int entrySize = 16 + 16 * versions.Length;
                Write16(verneed, 1);
                Write16(verneed, (ushort)versions.Length);
                Write32(verneed, (uint)AddString(file));
                Write32(verneed, 16);
                Write32(verneed, n == needs.Length - 1 ? 0u : (uint)entrySize);
                for (int v = 0; v < versions.Length; v++)
                {
                    Write32(verneed, 0x1234);
                    Write16(verneed, 0);
                    Write16(verneed, (ushort)(10 + v));
                    Write32(verneed, (uint)AddString(versions[v]));
                    Write32(verneed, v == versions.Length - 1 ? 0u : 16u);
                }
            }

            int dynstrOffset = HeaderSize;
            int verneedOffset = dynstrOffset + (int)strings.Length;
            int sectionTable = verneedOffset + (int)verneed.Length;
            var image = new byte[sectionTable + 3 * SectionHeaderSize];
            image[0] = 0x7f; image[1] = (byte)'E'; image[2] = (byte)'L'; image[3] = (byte)'F';
            image[4] = 2; image[5] = 1; image[6] = 1;
            BitConverter.GetBytes((ulong)sectionTable).CopyTo(image, 0x28);
            BitConverter.GetBytes((ushort)SectionHeaderSize).CopyTo(image, 0x3a);
            BitConverter.GetBytes((ushort)3).CopyTo(image, 0x3c);
            strings.ToArray().CopyTo(image, dynstrOffset);
            verneed.ToArray().CopyTo(image, verneedOffset);
            SectionHeader(image, sectionTable + SectionHeaderSize, type: 3, dynstrOffset, (int)strings.Length, link: 0);
            SectionHeader(image, sectionTable + 2 * SectionHeaderSize, type: 0x6ffffffe, verneedOffset, (int)verneed.Length, link: 1);
            return image;
        }

        public static int VerneedOffset(byte[] image)
        {
            int table = (int)BitConverter.ToUInt64(image, 0x28);
            return (int)BitConverter.ToUInt64(image, table + 2 * SectionHeaderSize + 0x18);
        }

        private static void SectionHeader(byte[] image, int at, uint type, int offset, int size, int link)
        {
            BitConverter.GetBytes(type).CopyTo(image, at + 4);
            BitConverter.GetBytes((ulong)offset).CopyTo(image, at + 0x18);
            BitConverter.GetBytes((ulong)size).CopyTo(image, at + 0x20);
            BitConverter.GetBytes((uint)link).CopyTo(image, at + 0x28);
        }

        private static void Write16(Stream s, ushort v) => s.Write(BitConverter.GetBytes(v));
        private static void Write32(Stream s, uint v) => s.Write(BitConverter.GetBytes(v));
    }
}
