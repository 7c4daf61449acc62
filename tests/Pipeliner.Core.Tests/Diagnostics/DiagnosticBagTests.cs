using Pipeliner.Core.Diagnostics;

namespace Pipeliner.Core.Tests.Diagnostics;

public class DiagnosticBagTests
{
    [Fact]
    public void ToSortedList_OrdersByLineThenColumn_WhenAddedOutOfOrder()
    {
        var bag = new DiagnosticBag();
        bag.Add(new SourceLocation(3, 1), "c");
        bag.Add(new SourceLocation(1, 9), "b");
        bag.Add(new SourceLocation(1, 2), "a");

        Assert.Equal(["a", "b", "c"], bag.ToSortedList().Select(d => d.Message));
        Assert.True(bag.HasErrors);
    }

    [Fact]
    public void ToSortedList_KeepsOneCopy_WhenTheSameProblemIsReportedTwiceAtOnePlace()
    {
        var bag = new DiagnosticBag();
        bag.Add(new SourceLocation(2, 3), "same");
        bag.Add(new SourceLocation(2, 3), "same");
        bag.Add(new SourceLocation(2, 3), "other");

        Assert.Equal(2, bag.ToSortedList().Count);
    }

    [Fact]
    public void HasErrors_IsFalse_WhenNothingWasAdded()
    {
        var bag = new DiagnosticBag();

        Assert.False(bag.HasErrors);
        Assert.Empty(bag.ToSortedList());
    }

    [Fact]
    public void ToString_PrintsLineColumnAndMessage_AsInCompilerOutput()
    {
        Assert.Equal("4:12: error: jobs.a.stage: x", new Diagnostic(new SourceLocation(4, 12), "jobs.a.stage: x").ToString());
    }
}
