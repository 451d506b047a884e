// repvgg: inspect RepVGG checkpoints and fuse training-time ones into deploy-time ones, with no Python.
// The commands, options and exit codes are in RepVggCommandLine; `repvgg --help` prints them.
return RepVgg.Tool.RepVggCommandLine.Run(args, Console.Out, Console.Error);
