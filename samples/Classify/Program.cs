using System.Diagnostics;
using System.Numerics.Tensors;
using System.Reflection;
using Classify;
using RepVgg;
using RepVgg.Checkpoints;
using RepVgg.Compiler.Architecture;
using RepVgg.Compiler.Reference;

// The network class was generated at build time from the checkpoint in Classify.csproj.
Console.WriteLine($"RepVggA0: {RepVggA0.InputChannels} x {RepVggA0.InputHeight} x {RepVggA0.InputWidth} -> {RepVggA0.ClassCount} classes");
Console.WriteLine("Its weights are synthetic (deterministic random values, which the build wrote because Classify.csproj says Synthesize=\"A0\"),");
Console.WriteLine("so the classes below mean nothing: the fusion error at the end is the number to look at. samples/FashionMnist runs a trained network.");
float[] image = TestImage.Create(RepVggA0.InputHeight, RepVggA0.InputWidth);

// 1. Classify, with the shared default instance.
float[] logits = RepVggA0.Infer(image);
// Softmax of (logits - max): the same probabilities, without overflow for large logits.
float[] probabilities = new float[logits.Length];
TensorPrimitives.Subtract(logits, TensorPrimitives.Max(logits), probabilities);
TensorPrimitives.SoftMax(probabilities, probabilities);
Console.WriteLine("Top-5 classes:");
foreach (int k in Enumerable.Range(0, logits.Length).OrderByDescending(k => logits[k]).Take(5))
    Console.WriteLine($"  class {k,4}  p = {probabilities[k]:F4}  logit = {logits[k]:F4}");

// 2. CPU latency, batch 1: median of 30 runs, after a second of warm-up so the JIT has
//    finished optimising the kernels (tiered compilation). tests/RepVgg.Runtime.Benchmarks
//    measures the same with BenchmarkDotNet.
using (var net = RepVggA0.Create(Backend.Cpu))
{
    var output = new float[RepVggA0.ClassCount];
    for (long start = Stopwatch.GetTimestamp(); Stopwatch.GetElapsedTime(start).TotalSeconds < 1;)
        net.Infer(image, output);
    var times = new List<double>();
    for (int run = 0; run < 30; run++)
    {
        long start = Stopwatch.GetTimestamp();
        net.Infer(image, output);
        times.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
    }
    times.Sort();
    Console.WriteLine($"CPU latency, batch 1, {Environment.ProcessorCount} threads: median {times[times.Count / 2]:F1} ms (min {times[0]:F1} ms)");
}

// 3. Fusion error: the compiled float32 network against the checkpoint's unfused three-branch network in float64.
string checkpoint = typeof(RepVggA0).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
    .Single(a => a.Key == "RepVggCheckpoint").Value!;
TrainedNetwork unfused = NetworkReader.Read(CheckpointReader.Read(checkpoint), warnings: []);
double[] reference = UnfusedReference.Forward(unfused,
    Activation.FromFloats(image, 1, RepVggA0.InputChannels, RepVggA0.InputHeight, RepVggA0.InputWidth));
double errorSquares = 0, referenceSquares = 0, maxError = 0;
for (int k = 0; k < logits.Length; k++)
{
    double error = logits[k] - reference[k];
    errorSquares += error * error;
    referenceSquares += reference[k] * reference[k];
    maxError = Math.Max(maxError, Math.Abs(error));
}
Console.WriteLine($"Fusion error against the unfused float64 reference: relative L2 {Math.Sqrt(errorSquares / referenceSquares):E2}, max |error| {maxError:E2}");
