using System.CommandLine;
using Pipeliner.Core;
using Pipeliner.Core.Model;
using Pipeliner.Core.Planning;
using Pipeliner.Core.Reporting;

namespace Pipeliner.Cli.Commands;

/// <summary>
/// <c>pipeliner plan [FILE] --event E [--branch B] [--tag T] [--changed PATH]... [--json]</c>:
/// what a run for that event would do, without running anything.
/// </summary>
internal static class PlanCommand
{
    public static Command Create(CliConsole console)
    {
        var file = new Argument<string>("FILE")
        {
            Description = "The pipeline file",
            DefaultValueFactory = _ => PipelineFile.DefaultName,
        };
        var eventOption = new Option<string>("--event")
        {
            Description = "The event: push, pull_request, tag, schedule or manual",
            Required = true,
        };
        eventOption.AcceptOnlyFromAmong([.. EventKindNames.Names]);
        var branch = new Option<string?>("--branch") { Description = "The pushed branch (the target branch for a pull request)" };
        var tag = new Option<string?>("--tag") { Description = "The pushed tag (with --event tag)" };
        var changed = new Option<string[]>("--changed")
        {
            Description = "A changed file path, for path filters; repeat for several (none given: every path filter matches)",
        };
        var json = new Option<bool>("--json") { Description = "Print {\"triggered\", \"jobs\": [{\"id\", \"stage\", \"decision\", \"reason\", \"needs\"}]}" };

        var command = new Command("plan", "Show what a run for an event would do: which jobs run, are skipped (and why) or wait for a person")
        {
            file, eventOption, branch, tag, changed, json,
        };
        command.SetAction(result =>
        {
            EventKindNames.TryParse(result.GetValue(eventOption)!, out var kind);
            var changedPaths = result.GetValue(changed);
            var context = new TriggerContext
            {
                Event = kind,
                Branch = result.GetValue(branch),
                Tag = result.GetValue(tag),
                ChangedPaths = changedPaths is { Length: > 0 } ? changedPaths : null,
            };
            return Run(console, result.GetValue(file)!, context, result.GetValue(json));
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

    private static string? MissingArgument(TriggerContext context) => context.Event switch
    {
        EventKind.Push when context.Branch is null => "--event push needs --branch",
        EventKind.PullRequest when context.Branch is null => "--event pull_request needs --branch (the target branch)",
        // A pushed tag is the event 'tag'; a tag on a push would satisfy 'if: { tags }' for a branch.
        EventKind.Push or EventKind.PullRequest when context.Tag is not null => $"--event {context.Event.ToName()} takes --branch, not --tag",
        EventKind.Tag when context.Tag is null => "--event tag needs --tag",
        EventKind.Tag when context.Branch is not null => "--event tag takes --tag, not --branch",
        _ => null,
    };
}
