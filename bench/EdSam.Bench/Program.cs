using EdSam.Bench;

// Throughput and memory benchmarks. Run on demand (never part of the test command):
//   dotnet run -c Release --project bench/EdSam.Bench -- [matmul|clip|memory|data|transport|students|all] [--threads 2]
string suite = args.FirstOrDefault(a => !a.StartsWith("--")) ?? "clip";
int threads = BenchArgs.Int(args, "--threads", 2);
TorchSharp.torch.set_num_threads(threads);
Console.WriteLine($"EdSam benchmarks — {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, {Environment.ProcessorCount} logical CPUs, torch threads {threads}");
Console.WriteLine($"CPU: {CpuInfo.ModelName()}  ({CpuInfo.VectorExtensions()})");
Console.WriteLine();

switch (suite)
{
    case "matmul":
        MatmulBenchmark.Run();
        break;
    case "clip":
        ClipEncodingBenchmark.Run();
        break;
    case "memory":
        EncodeMemoryBenchmark.Run();
        break;
    case "data":
        DataLoadingBenchmark.Run();
        break;
    case "transport":
        TransportBenchmark.Run();
        break;
    case "students":
        StudentBenchmark.Run();
        break;
    case "all":
        ClipEncodingBenchmark.Run();
        EncodeMemoryBenchmark.Run();
        DataLoadingBenchmark.Run();
        TransportBenchmark.Run();
        StudentBenchmark.Run();
        break;
    default:
        Console.Error.WriteLine($"unknown suite '{suite}'; expected matmul, clip, memory, data, transport, students or all");
        return 2;
}
return 0;
