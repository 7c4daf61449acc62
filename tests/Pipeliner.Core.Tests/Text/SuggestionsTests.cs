using Pipeliner.Core.Text;

namespace Pipeliner.Core.Tests.Text;

public class SuggestionsTests
{
    private static readonly string[] JobKeys = ["stage", "image", "script", "needs", "timeout", "retry", "variables"];

    [Theory]
    [InlineData("imag", "image")]
    [InlineData("scirpt", "script")]
    [InlineData("Stage", "stage")]
    [InlineData("need", "needs")]
    [InlineData("timout", "timeout")]
    [InlineData("varaibles", "variables")]
    [InlineData("retyr", "retry")]
    public void Closest_ReturnsTheKnownName_WhenNameIsATypo(string name, string expected)
    {
        Assert.Equal(expected, Suggestions.Closest(name, JobKeys));
    }

    [Theory]
    [InlineData("environment_name")]
    [InlineData("x")]
    [InlineData("deploy")]
    public void Closest_ReturnsNull_WhenNoNameIsClose(string name)
    {
        Assert.Null(Suggestions.Closest(name, JobKeys));
    }

    [Fact]
    public void Closest_ReturnsNull_WhenThereAreNoCandidates()
    {
        Assert.Null(Suggestions.Closest("stage", []));
    }

    [Fact]
    public void Closest_DoesNotSuggestAnotherOneLetterName_WhenEveryLetterDiffers()
    {
        Assert.Null(Suggestions.Closest("e", ["a", "b"]));
        Assert.Equal("a", Suggestions.Closest("aa", ["a", "b"]));
    }

    [Fact]
    public void Hint_FormatsTheSuggestion_WhenOneIsClose()
    {
        Assert.Equal(" (did you mean 'image'?)", Suggestions.Hint("imgae", JobKeys));
        Assert.Equal("", Suggestions.Hint("completely-different", JobKeys));
    }

    [Theory]
    [InlineData("", "", 0)]
    [InlineData("abc", "", 3)]
    [InlineData("", "abc", 3)]
    [InlineData("kitten", "sitting", 3)]
    [InlineData("stage", "stage", 0)]
    [InlineData("stgae", "stage", 1)]
    [InlineData("ab", "ba", 1)]
    [InlineData("ca", "abc", 3)]
    public void EditDistance_CountsEditsAndNeighbourSwaps_WhenComparingTwoNames(string a, string b, int expected)
    {
        Assert.Equal(expected, Suggestions.EditDistance(a, b));
        Assert.Equal(expected, Suggestions.EditDistance(b, a));
    }
}
