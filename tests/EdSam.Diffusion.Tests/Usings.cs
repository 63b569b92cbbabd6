namespace EdSam.Diffusion.Tests;
