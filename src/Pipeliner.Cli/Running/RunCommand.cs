using System.CommandLine;
using System.Runtime.InteropServices;
using Pipeliner.Core.Model;

namespace Pipeliner.Cli.Running;

/// <summary>
/// <c>pipeliner run [--repo DIR] [--file F] [--commit REF] [--event E] [--branch B] [--tag T] [--job ID]...
/// [--approve ID]... [--secret N=V]... [--secrets-file F] [--backend docker|shell] [--parallel N] [--data DIR]</c>.
/// </summary>
internal static class RunCommand
{
    public static Command Create(CliConsole console)
    {
        var repo = new Option<string?>("--repo") { Description = "The repository: a directory (default: the current one) or a URL" };
        var file = new Option<string?>("--file") { Description = "Use this pipeline file instead of .pipeliner.yml at the commit" };
        var commit = new Option<string>("--commit") { Description = "The commit, branch or tag to run", DefaultValueFactory = _ => "HEAD" };
        var eventOption = new Option<string>("--event") { Description = "The event to run for", DefaultValueFactory = _ => "push" };
        eventOption.AcceptOnlyFromAmong([.. EventKindNames.Names]);
        var branch = new Option<string?>("--branch") { Description = "The branch (default: the checked-out branch)" };
        var tag = new Option<string?>("--tag") { Description = "The tag, with --event tag" };
        var jobs = new Option<string[]>("--job") { Description = "Run only this job and what it needs; repeat for several" };
        var approve = new Option<string[]>("--approve") { Description = "Let this manual job run; repeat for several" };
        var secret = new Option<string[]>("--secret") { Description = "A secret as NAME=VALUE; repeat for several" };
        var secretsFile = new Option<string?>("--secrets-file") { Description = "Secrets from a dotenv file" };
        var backend = new Option<string>("--backend") { Description = "docker (default) or shell (unisolated)", DefaultValueFactory = _ => "docker" };
        backend.AcceptOnlyFromAmong("docker", "shell");
        var parallel = new Option<int>("--parallel") { Description = "Jobs running at once (default: number of cores)", DefaultValueFactory = _ => Environment.ProcessorCount };
        parallel.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<int>() < 1) r.AddError("--parallel must be at least 1");
        });
        var data = new Option<string?>("--data") { Description = "Where run records, logs and artifacts go (default: .pipeliner/ in the repository)" };

        var command = new Command("run", "Run a pipeline on this machine, each job in its own container")
        {
            repo, file, commit, eventOption, branch, tag, jobs, approve, secret, secretsFile, backend, parallel, data,
        };
        command.SetAction(async (result, _) =>
        {
            EventKindNames.TryParse(result.GetValue(eventOption)!, out var kind);
            var request = new RunRequest
            {
                Repository = result.GetValue(repo),
                File = result.GetValue(file),
                Commit = result.GetValue(commit)!,
                Event = kind,
                Branch = result.GetValue(branch),
                Tag = result.GetValue(tag),
                Jobs = result.GetValue(jobs) ?? [],
                Approve = result.GetValue(approve) ?? [],
                Secrets = result.GetValue(secret) ?? [],
                SecretsFile = result.GetValue(secretsFile),
                Backend = result.GetValue(backend)!,
                Parallel = result.GetValue(parallel),
                DataDirectory = result.GetValue(data),
            };
            if (request.Event == EventKind.Tag && request.Tag is null)
            {
                console.Error.WriteLine("pipeliner: --event tag needs --tag");
                return ExitCodes.Error;
            }

            using var interrupt = new InterruptSignal(console);
            return await new LocalRun(console, TimeProvider.System).ExecuteAsync(request, interrupt.Token);
        });
        return command;
    }

    /// <summary>Ctrl-C or SIGTERM cancels the run, which then cleans up before exiting; a second Ctrl-C is not special.</summary>
    private sealed class InterruptSignal : IDisposable
    {
        private readonly CancellationTokenSource _source = new();
        private readonly PosixSignalRegistration[] _registrations;

        public InterruptSignal(CliConsole console)
        {
            _registrations =
            [
                PosixSignalRegistration.Create(PosixSignal.SIGINT, Handle),
                PosixSignalRegistration.Create(PosixSignal.SIGTERM, Handle),
            ];

            void Handle(PosixSignalContext context)
            {
                context.Cancel = true;
                if (_source.IsCancellationRequested) return;
                console.Error.WriteLine("pipeliner: interrupted: stopping jobs and cleaning up");
                _source.Cancel();
            }
        }

        public CancellationToken Token => _source.Token;

        public void Dispose()
        {
            foreach (var registration in _registrations) registration.Dispose();
            _source.Dispose();
        }
    }
}
