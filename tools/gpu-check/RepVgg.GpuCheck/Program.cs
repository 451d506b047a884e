using RepVgg.GpuCheck;

// repvgg-gpu-check: the compiled network on the GPU engine, checked against the float64 reference and timed.
//
//   repvgg-gpu-check [--accelerator cuda|cpu] [--precisions fp32,tf32,fp16] [--report <file.md>] [--work <folder>]
//       The full check: synthesizes RepVGG-A0 and RepVGG-B1, compiles them with the weights step in process,
//       checks the GPU logits against the float64 unfused reference and the CPU engine, and prints the timing
//       table (cuda: 224 x 224, batch 1, 8, 64 and 256, median of 30; cpu: ILGPU's CPU accelerator, A0 at 16 x 16,
//       batch 1, which validates a bundle on any machine), in each precision or those --precisions names.
//   repvgg-gpu-check --checkpoint <file> --input <file.f32> --height <pixels> --width <pixels> [--strides <s,s,...>]
//                    [--state-dict-key <entry>] [--out-gpu <file.f32>] [--out-cpu <file.f32>] [--accelerator cuda|cpu]
//       Any checkpoint: compiles it for height x width, runs the raw float32 NCHW input through the GPU engine
//       (--out-gpu) and the CPU engine (--out-cpu), and writes their logits as raw float32 (N x Classes).
//
// Exit codes: see ExitCodes.

return GpuCheckCommand.Run(args, Console.Out);
