namespace EdSam.Distillation.Tests;
