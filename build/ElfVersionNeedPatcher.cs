// Marks one GLIBCXX version need of an ELF shared library as weak, so the dynamic loader accepts an older
// libstdc++ that lacks it. TorchSharp 0.107.0's libLibTorchSharp.so needs GLIBCXX_3.4.32 (GCC 13) only for
// std::ios_base_library_init(), a link-time marker no code calls; with the need marked weak
// (vna_flags |= VER_FLG_WEAK) glibc loads the library on Debian 12 / Ubuntu 22.04 (libstdc++ 3.4.30).
//
// This one file serves two callers: MSBuild compiles it as an inline task (RoslynCodeTaskFactory, see
// EdSam.targets), and the test project compiles the static patcher alone (EDSAM_ELF_PATCHER_NO_TASK).
using System;
using System.Collections.Generic;
using System.IO;
using System.Text;

namespace EdSam.Build
{
    /// <summary>What <see cref="ElfVersionNeedPatcher.MarkWeak"/> found and did.</summary>
    public enum ElfPatchOutcome
    {
        /// <summary>The version need was found and its weak flag set now.</summary>
        Patched,
        /// <summary>The version need was already weak: nothing was written.</summary>
        AlreadyWeak,
        /// <summary>The library does not ask for that version: nothing was written.</summary>
        NotNeeded,
    }

    /// <summary>Reads and edits the <c>.gnu.version_r</c> (SHT_GNU_verneed) section of a 64-bit little-endian ELF file.</summary>
    public static class ElfVersionNeedPatcher
    {
        private const uint ShtGnuVerneed = 0x6ffffffe;
        private const ushort VerFlagWeak = 0x2;

        /// <summary>One entry of the version-need table: the library asked for, the version name, and its flags.</summary>
        public readonly struct VersionNeed
        {
            internal VersionNeed(string file, string version, ushort flags, int flagsOffset)
            {
                File = file;
                Version = version;
                Flags = flags;
                FlagsOffset = flagsOffset;
            }

            /// <summary>The shared library the version is needed from, e.g. libstdc++.so.6.</summary>
            public string File { get; }

            /// <summary>The version name, e.g. GLIBCXX_3.4.32.</summary>
            public string Version { get; }

            /// <summary>vna_flags; bit 2 is VER_FLG_WEAK.</summary>
            public ushort Flags { get; }

            /// <summary>True when the loader treats a missing version as a warning, not an error.</summary>
            public bool IsWeak => (Flags & VerFlagWeak) != 0;

            internal int FlagsOffset { get; }
        }

        /// <summary>Lists every version need of the ELF image.</summary>
        /// <exception cref="InvalidDataException">The bytes are not a well-formed 64-bit little-endian ELF image.</exception>
        public static List<VersionNeed> ReadVersionNeeds(byte[] image)
        {
            if (image.Length < 64 || image[0] != 0x7f || image[1] != (byte)'E' || image[2] != (byte)'L' || image[3] != (byte)'F')
                throw new InvalidDataException("not an ELF file (bad magic)");
            if (image[4] != 2 || image[5] != 1)
                throw new InvalidDataException("only 64-bit little-endian ELF files are supported");

            ulong sectionTable = U64(image, 0x28);
            int sectionSize = U16(image, 0x3a);
            int sectionCount = U16(image, 0x3c);
            if (sectionSize < 64 || sectionTable + (ulong)sectionSize * (ulong)sectionCount > (ulong)image.Length)
                throw new InvalidDataException("section header table lies outside the file");

            var needs = new List<VersionNeed>();
            for (int s = 0; s < sectionCount; s++)
            {
                int header = checked((int)sectionTable + s * sectionSize);
                if (U32(image, header + 4) != ShtGnuVerneed) continue;

                int offset = checked((int)U64(image, header + 0x18));
                int size = checked((int)U64(image, header + 0x20));
                int link = (int)U32(image, header + 0x28);
                if (link >= sectionCount) throw new InvalidDataException("version-need section links to a missing string table");
                int strings = checked((int)U64(image, checked((int)sectionTable + link * sectionSize) + 0x18));

                // Verneed entries (16 bytes: version, aux count, file, aux offset, next) each head a chain of
                // Vernaux entries (16 bytes: hash, flags, other, name, next); offsets are relative.
                int need = offset;
                for (int guard = 0; guard < 4096; guard++)
                {
                    Require(image, need, 16, offset, size);
                    int auxCount = U16(image, need + 2);
                    string file = CString(image, strings + (int)U32(image, need + 4));
                    int aux = need + (int)U32(image, need + 8);
                    for (int a = 0; a < auxCount; a++)
                    {
                        Require(image, aux, 16, offset, size);
                        string name = CString(image, strings + (int)U32(image, aux + 8));
                        needs.Add(new VersionNeed(file, name, U16(image, aux + 4), aux + 4));
                        uint nextAux = U32(image, aux + 12);
                        if (nextAux == 0) break;
                        aux += (int)nextAux;
                    }
                    uint next = U32(image, need + 12);
                    if (next == 0) break;
                    need += (int)next;
                }
            }
            return needs;
        }

        /// <summary>Sets VER_FLG_WEAK on every need for <paramref name="versionName"/> in the ELF image.</summary>
        /// <returns>What was found; the image is changed in place only for <see cref="ElfPatchOutcome.Patched"/>.</returns>
        /// <exception cref="InvalidDataException">The bytes are not a well-formed 64-bit little-endian ELF image.</exception>
        public static ElfPatchOutcome MarkWeak(byte[] image, string versionName)
        {
            bool found = false, changed = false;
            foreach (VersionNeed need in ReadVersionNeeds(image))
            {
                if (need.Version != versionName) continue;
                found = true;
                if (need.IsWeak) continue;
                ushort flags = (ushort)(need.Flags | VerFlagWeak);
                image[need.FlagsOffset] = (byte)flags;
                image[need.FlagsOffset + 1] = (byte)(flags >> 8);
                changed = true;
            }
            return changed ? ElfPatchOutcome.Patched : found ? ElfPatchOutcome.AlreadyWeak : ElfPatchOutcome.NotNeeded;
        }

        /// <summary>Patches the file at <paramref name="path"/> atomically (temporary file, then rename).</summary>
        public static ElfPatchOutcome MarkWeak(string path, string versionName)
        {
            byte[] image = File.ReadAllBytes(path);
            ElfPatchOutcome outcome = MarkWeak(image, versionName);
            if (outcome != ElfPatchOutcome.Patched) return outcome;
            string temporary = path + ".edsam-tmp";
            File.WriteAllBytes(temporary, image);
            // Rename over the target: a copy hard-linked elsewhere (e.g. the NuGet cache) keeps its bytes.
            File.Replace(temporary, path, destinationBackupFileName: null);
            return outcome;
        }

        /// <summary>True when any libstdc++ the loader would find on this system defines <paramref name="versionName"/>.</summary>
        public static bool SystemLibStdCxxHas(string versionName)
        {
            string[] folders =
            {
                "/usr/lib/x86_64-linux-gnu", "/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu", "/lib/aarch64-linux-gnu",
                "/usr/lib64", "/lib64", "/usr/lib", "/lib", "/usr/local/lib", "/usr/local/lib64",
            };
            byte[] needle = Encoding.ASCII.GetBytes(versionName + "\0");
            foreach (string folder in folders)
            {
                string candidate = Path.Combine(folder, "libstdc++.so.6");
                if (!File.Exists(candidate)) continue;
                byte[] bytes = File.ReadAllBytes(candidate);
                if (IndexOf(bytes, needle) >= 0) return true;
            }
            return false;
        }

        private static void Require(byte[] image, int at, int length, int sectionStart, int sectionSize)
        {
            if (at < sectionStart || at + length > sectionStart + sectionSize || at + length > image.Length)
                throw new InvalidDataException("version-need entry lies outside its section");
        }

        private static string CString(byte[] image, int at)
        {
            if (at < 0 || at >= image.Length) throw new InvalidDataException("string offset outside the file");
            int end = Array.IndexOf(image, (byte)0, at);
            if (end < 0) throw new InvalidDataException("unterminated string");
            return Encoding.ASCII.GetString(image, at, end - at);
        }

        private static int IndexOf(byte[] haystack, byte[] needle)
        {
            for (int i = 0; i <= haystack.Length - needle.Length; i++)
            {
                int j = 0;
                while (j < needle.Length && haystack[i + j] == needle[j]) j++;
                if (j == needle.Length) return i;
            }
            return -1;
        }

        private static ushort U16(byte[] b, int at) => (ushort)(b[at] | b[at + 1] << 8);
        private static uint U32(byte[] b, int at) => (uint)(b[at] | b[at + 1] << 8 | b[at + 2] << 16 | b[at + 3] << 24);
        private static ulong U64(byte[] b, int at) => U32(b, at) | (ulong)U32(b, at + 4) << 32;
    }

#if !EDSAM_ELF_PATCHER_NO_TASK
    /// <summary>MSBuild task: patch each given library unless the system libstdc++ already has the version.</summary>
    public sealed class MarkElfVersionNeedWeak : Microsoft.Build.Utilities.Task
    {
        /// <summary>The libraries to patch (copies in an output folder, never the package cache).</summary>
        [Microsoft.Build.Framework.Required]
        public Microsoft.Build.Framework.ITaskItem[] Files { get; set; } = Array.Empty<Microsoft.Build.Framework.ITaskItem>();

        /// <summary>The version need to mark weak, e.g. GLIBCXX_3.4.32.</summary>
        [Microsoft.Build.Framework.Required]
        public string VersionName { get; set; } = "";

        /// <inheritdoc />
        public override bool Execute()
        {
            if (Files.Length == 0) return true;
            if (ElfVersionNeedPatcher.SystemLibStdCxxHas(VersionName))
            {
                Log.LogMessage(Microsoft.Build.Framework.MessageImportance.Low, "EdSam: system libstdc++ provides {0}; TorchSharp native library left as shipped.", VersionName);
                return true;
            }
            foreach (var item in Files)
            {
                string path = item.GetMetadata("FullPath");
                try
                {
                    ElfPatchOutcome outcome = ElfVersionNeedPatcher.MarkWeak(path, VersionName);
                    if (outcome == ElfPatchOutcome.Patched)
                        Log.LogMessage(Microsoft.Build.Framework.MessageImportance.High, "EdSam: marked {0} weak in {1} so TorchSharp loads with this system's older libstdc++.", VersionName, path);
                }
                catch (Exception e) when (e is IOException || e is InvalidDataException || e is UnauthorizedAccessException)
                {
                    Log.LogWarning("EdSam: could not patch {0} ({1}); torch may fail to load on this system.", path, e.Message);
                }
            }
            return !Log.HasLoggedErrors;
        }
    }
#endif
}
