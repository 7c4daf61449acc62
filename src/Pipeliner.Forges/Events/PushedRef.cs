using Pipeliner.Forges.Refs;

namespace Pipeliner.Forges.Events;

/// <summary>What every forge says about a pushed ref, turned into the common fields of a push or tag event.</summary>
/// <param name="FullRef">refs/heads/… or refs/tags/….</param>
/// <param name="Before">The old head; null or zeros when the ref is new.</param>
/// <param name="After">The new head commit; null or zeros when the ref was deleted.</param>
/// <param name="DeletedFlag">The payload says the ref was deleted (GitHub <c>deleted</c>, Bitbucket <c>new: null</c>).</param>
/// <param name="CreatedFlag">The payload says the ref was created (GitHub <c>created</c>, Bitbucket <c>old: null</c>).</param>
internal readonly record struct PushedRef(string FullRef, string? Before, string? After, bool DeletedFlag, bool CreatedFlag)
{
    /// <returns>The event, or null when the ref is neither a branch nor a tag (refs/notes/…, refs/pull/…).</returns>
    public ForgeEvent? ToEvent(Forge forge, string deliveryId)
    {
        var isTag = FullRef.StartsWith(GitRefs.TagPrefix, StringComparison.Ordinal);
        var isBranch = FullRef.StartsWith(GitRefs.BranchPrefix, StringComparison.Ordinal);
        var name = isTag ? FullRef[GitRefs.TagPrefix.Length..] : isBranch ? FullRef[GitRefs.BranchPrefix.Length..] : "";
        if (name.Length == 0) return null;

        var deleted = DeletedFlag || After is null || GitRefs.IsZeroSha(After);
        return new ForgeEvent
        {
            Forge = forge,
            Kind = isTag ? ForgeEventKind.Tag : ForgeEventKind.Push,
            DeliveryId = deliveryId,
            Ref = FullRef,
            Branch = isBranch ? name : null,
            Tag = isTag ? name : null,
            CommitSha = deleted ? null : After,
            BeforeSha = Before is null || GitRefs.IsZeroSha(Before) ? null : Before,
            Deleted = deleted,
            Created = !deleted && (CreatedFlag || GitRefs.IsZeroSha(Before)),
        };
    }

    public string NeitherBranchNorTag => $"push to '{FullRef}', which is neither a branch nor a tag";
}
