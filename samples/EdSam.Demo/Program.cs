using EdSam.Demo;

// The whole ED-SAM + VL2V-ADiP story on Fashion-MNIST-DG, offline, leave-one-domain-out:
//   dotnet run -c Release --project samples/EdSam.Demo -- [--quick|--full] [--test-domain sketch] [--seed 0] [--out edsam-demo]
//       [--clip weights.safetensors --clip-config ViT-B-32 --vocab bpe_simple_vocab_16e6.txt.gz]
// Re-running with the same --out skips the stages that finished (delete a stage's folder to redo it).
return DemoProgram.RunCommandLine(args, Console.Error);
