using EdSam.Cli;

// Ctrl+C asks the running command to stop after its current step (the token is passed down to every long call);
// a second Ctrl+C ends the process at once.
using var cancellation = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    if (cancellation.IsCancellationRequested) return;
    e.Cancel = true;
    Console.Error.WriteLine("Stopping after the current step (press Ctrl+C again to abort)...");
    cancellation.Cancel();
};
return await EdSamCommandLine.InvokeAsync(args, Console.Out, Console.Error, cancellation.Token);
