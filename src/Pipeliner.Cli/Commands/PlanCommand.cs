using System.CommandLine;
using Pipeliner.Core;
using Pipeliner.Core.Model;
using Pipeliner.Core.Planning;
using Pipeliner.Core.Reporting;
using Pipeliner.Engine.Workspaces;

namespace Pipeliner.Cli.Commands;

/// <summary>
/// <c>pipeliner plan [FILE] [--event E] [--branch B] [--tag T] [--changed PATH]... [--json]</c>:
/// what a run for that event would do, without running anything. As with <c>run</c>, the event is a push by default,
/// of the branch checked out in the repository holding the file unless <c>--branch</c> names one.
/// </summary>
internal static class PlanCommand
{
    public static Command Create(CliConsole console)
    {
        var fileArgument = new Argument<string>("FILE")
        {
            Description = "The pipeline file",
            DefaultValueFactory = _ => PipelineFile.DefaultName,
        };
        var eventOption = new Option<string>("--event")
        {
            Description = "The event: push (default), pull_request, tag, schedule or manual",
            DefaultValueFactory = _ => "push",
        };
        eventOption.AcceptOnlyFromAmong([.. EventKindNames.Names]);
        var branch = new Option<string?>("--branch")
        {
            Description = "The pushed branch (the target branch for a pull request); default: the checked-out branch",
        };
        var tag = new Option<string?>("--tag") { Description = "The pushed tag (with --event tag)" };
        var changed = new Option<string[]>("--changed")
        {
            Description = "A changed file path, for path filters; repeat for several (none given: every path filter matches)",
        };
        var json = new Option<bool>("--json") { Description = "Print {\"triggered\", \"jobs\": [{\"id\", \"stage\", \"decision\", \"reason\", \"needs\"}]}" };

        var command = new Command("plan", "Show what a run for an event would do: which jobs run, are skipped (and why) or wait for a person")
        {
            fileArgument, eventOption, branch, tag, changed, json,
        };
        command.SetAction(result =>
        {
            EventKindNames.TryParse(result.GetValue(eventOption)!, out var kind);
            var changedPaths = result.GetValue(changed);
            var file = result.GetValue(fileArgument)!;
            var context = new TriggerContext
            {
                Event = kind,
                Branch = result.GetValue(branch) ?? (kind == EventKind.Push && result.GetValue(tag) is null ? CheckedOutBranch(file) : null),
                Tag = result.GetValue(tag),
                ChangedPaths = changedPaths is { Length: > 0 } ? changedPaths : null,
            };
            return Run(console, file, context, result.GetValue(json));
        });
        return command;
    }

    private static int Run(CliConsole console, string path, TriggerContext context, bool json)
    {
        if (MissingArgument(context) is { } usage)
        {
            console.Error.WriteLine(usage);
            return ExitCodes.Error;
        }

        var text = PipelineFile.TryRead(path, out var readError);
        if (text is null)
        {
            console.Error.WriteLine(readError);
            return ExitCodes.Error;
        }

        var loaded = PipelineLoader.Load(text);
        if (loaded.Pipeline is null)
        {
            DiagnosticPrinter.Print(json ? console.Error : console.Out, path, loaded.Diagnostics);
            return ExitCodes.Failure;
        }

        var report = PlanReport.From(PipelinePlanner.Plan(loaded.Pipeline, context));
        if (json) console.Out.WriteLine(ReportJson.Serialize(report));
        else PlanTable.Write(console.Out, context, report);
        return ExitCodes.Success;
    }

    /// <summary>The branch checked out in the repository holding <paramref name="file"/>; null outside one, or on a detached HEAD.</summary>
    private static string? CheckedOutBranch(string file)
    {
        var directory = Path.GetDirectoryName(Path.GetFullPath(file));
        if (directory is null || !Directory.Exists(directory) || LocalRepository.FindRoot(directory) is not { } root) return null;
        try
        {
            return LocalRepository.Head(root).Branch;
        }
        catch (WorkspaceException)
        {
            return null; // No commit yet.
        }
    }

    private static string? MissingArgument(TriggerContext context) => context.Event switch
    {
        EventKind.Push when context.Branch is null => "--event push needs --branch (no branch is checked out here)",
        EventKind.PullRequest when context.Branch is null => "--event pull_request needs --branch (the target branch)",
        // A pushed tag is the event 'tag'; a tag on a push would satisfy 'if: { tags }' for a branch.
        EventKind.Push or EventKind.PullRequest when context.Tag is not null => $"--event {context.Event.ToName()} takes --branch, not --tag",
        EventKind.Tag when context.Tag is null => "--event tag needs --tag",
        EventKind.Tag when context.Branch is not null => "--event tag takes --tag, not --branch",
        _ => null,
    };
}
