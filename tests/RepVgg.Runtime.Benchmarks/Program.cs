using BenchmarkDotNet.Running;

BenchmarkSwitcher.FromAssembly(typeof(RepVgg.Runtime.Benchmarks.RepVggA0Inference).Assembly).Run(args);
