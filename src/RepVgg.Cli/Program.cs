// repvgg: inspect, fuse, export, compile and verify RepVGG checkpoints, with no Python.
// The commands, options and exit codes are in RepVggCommandLine; `repvgg --help` prints them.
// Progress goes to standard error, and only when it is a terminal.
return RepVgg.Cli.RepVggCommandLine.Run(args, Console.Out, Console.Error, showProgress: !Console.IsErrorRedirected);
