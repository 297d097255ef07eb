using Reconciler.Controller.Cli;

return CliApp.Run(args, Console.Out, Console.Error);
