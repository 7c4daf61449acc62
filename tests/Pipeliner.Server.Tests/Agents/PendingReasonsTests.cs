using Pipeliner.Server.Agents;

namespace Pipeliner.Server.Tests.Agents;

/// <summary>The words a pending job uses for why it waits for an agent, as the issue gives them.</summary>
public class PendingReasonsTests
{
    [Fact]
    public void For_SaysNoAgentOnline_WhenNoAgentIsOnline() =>
        Assert.Equal("no agent online", PendingReasons.For("linux,perf", []));

    [Fact]
    public void For_NamesTheNearestAgentAndWhatItLacks_WhenNoAgentHasTheLabels()
    {
        AgentSlots[] online = [new("build-1", ["linux"], 2, 0), new("build-2", ["linux", "docker"], 2, 0)];

        Assert.Equal("no agent has the labels gpu (nearest: build-1 lacks gpu)", PendingReasons.For("gpu", online));
        Assert.Equal("no agent has the labels linux,docker,gpu (nearest: build-2 lacks gpu)", PendingReasons.For("linux,docker,gpu", online));
    }

    [Fact]
    public void For_CountsTheBusySlots_WhenEveryAgentWithTheLabelsIsBusy()
    {
        AgentSlots[] online = [new("a", ["linux", "docker"], 2, 2), new("b", ["linux", "docker"], 3, 3), new("c", ["linux", "docker", "gpu"], 1, 1), new("d", ["linux"], 4, 0)];

        Assert.Equal("all 3 agents with labels linux,docker are busy (6/6 slots)", PendingReasons.For("linux,docker", online));
        Assert.Equal("the 1 agent with labels gpu is busy (1/1 slots)", PendingReasons.For("gpu", online));
    }

    [Fact]
    public void For_WaitsForTheAgentToClaim_WhenAnAgentWithTheLabelsHasAFreeSlot()
    {
        AgentSlots[] online = [new("a", ["linux", "docker"], 2, 1)];

        Assert.Equal("waiting for an agent with labels linux, docker", PendingReasons.For("linux,docker", online));
        Assert.Equal("waiting for an agent", PendingReasons.For("", online));
    }
}
