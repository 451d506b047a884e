using RepVgg.Compiler;
using RepVgg.Compiler.Diagnostics;

namespace RepVgg.GpuCheck;

/// <summary>The command line: the full check, or one checkpoint (<c>--checkpoint</c>); every failure an exit code and a message.</summary>
internal static class GpuCheckCommand
{
    public static int Run(string[] args, TextWriter log)
    {
        try
        {
            var options = new CommandLine(args);
            return options.Has("--checkpoint") ? RunCheckpoint(options, log) : RunFullCheck(options, log);
        }
        catch (UsageException e)
        {
            log.WriteLine($"repvgg-gpu-check : error : {e.Message}");
            log.WriteLine(Usage);
            return ExitCodes.Usage;
        }
        catch (GpuUnavailableException e)
        {
            log.WriteLine($"repvgg-gpu-check : error : no GPU engine: {e.Message}");
            return ExitCodes.NoGpu;
        }
        catch (CompilationException e)
        {
            log.WriteLine(e.Diagnostic.ToMSBuildLine());
            return ExitCodes.BadInput;
        }
        catch (BadInputException e)
        {
            log.WriteLine($"repvgg-gpu-check : error : {e.Message}");
            return ExitCodes.BadInput;
        }
        catch (Exception e)
        {
            // A bug, or the device failing mid-run: still a message and a distinct code, with the stack for a report.
            log.WriteLine($"repvgg-gpu-check : error : {e.GetType().Name}: {e.Message}");
            Console.Error.WriteLine(e);
            return ExitCodes.Failed;
        }
    }

    private static int RunFullCheck(CommandLine options, TextWriter log)
    {
        CheckPlan plan = CheckPlan.For(options.Accelerator());
        if (options.Precisions() is { } precisions)
            plan = plan with { Precisions = precisions };
        string? report = options.Optional("--report");
        string? work = options.Optional("--work");
        options.RejectUnread("the full check");
        // The synthetic checkpoints (B1's is about 230 MB) go to a folder of this run's own, removed afterwards.
        string folder = work ?? Path.Combine(Path.GetTempPath(), $"repvgg-gpu-check-{Environment.ProcessId}");
        Directory.CreateDirectory(folder);
        try
        {
            return FullCheck.Run(plan, folder, report, log);
        }
        finally
        {
            if (work is null) Directory.Delete(folder, recursive: true);
        }
    }

    private static int RunCheckpoint(CommandLine options, TextWriter log)
    {
        string checkpoint = options.Required("--checkpoint");
        var job = new CheckpointJob(checkpoint, options.Required("--input"), options.PositiveInt("--height"), options.PositiveInt("--width"),
            new CompileOptions
            {
                Strides = options.Optional("--strides") is { } strides ? CompileOptions.ParseStrides(strides, checkpoint) : null,
                StateDictKey = options.Optional("--state-dict-key"),
            },
            options.Optional("--out-gpu"), options.Optional("--out-cpu"), options.Accelerator(), options.Precision());
        options.RejectUnread("--checkpoint");
        if (job.OutGpu is null && job.OutCpu is null)
            throw new UsageException("Give --out-gpu <file.f32>, --out-cpu <file.f32> or both: where the logits go.");
        return CheckpointComparison.Run(job, log);
    }

    private const string Usage = """
        usage:
          repvgg-gpu-check [--accelerator cuda|cpu] [--precisions fp32,tf32,fp16] [--report <file.md>] [--work <folder>]
          repvgg-gpu-check --checkpoint <file> --input <file.f32> --height <pixels> --width <pixels> [--strides <s,s,...>]
                           [--state-dict-key <entry>] [--out-gpu <file.f32>] [--out-cpu <file.f32>] [--accelerator cuda|cpu]
                           [--precision fp32|tf32|fp16]
        exit codes: 0 passed, 1 a GPU result outside the bound, 2 usage, 3 no GPU engine, 4 unusable checkpoint or input file, 5 other failure
        """;
}
