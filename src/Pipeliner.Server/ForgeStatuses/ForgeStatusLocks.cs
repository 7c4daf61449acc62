using Pipeliner.Server.Scheduling;

namespace Pipeliner.Server.ForgeStatuses;

/// <summary>
/// One async lock per status context: its updates reach the forge one at a time, so a delivery that checked it is the
/// newest cannot be overtaken on the wire by an older one.
/// </summary>
public sealed class ForgeStatusLocks : KeyedLocks;
