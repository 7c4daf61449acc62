using Pipeliner.Engine.Storage;

namespace Pipeliner.Engine.Tests.Storage;

public sealed class PathSlugTests
{
    [Theory]
    [InlineData("build")]
    [InlineData("unit-tests_2.1")]
    public void For_KeepsText_WhenItIsAlreadySafe(string text)
    {
        Assert.Equal(text, PathSlug.For(text));
    }

    [Theory]
    [InlineData("test (alpine, 3.11)", "test__alpine__3.11_-")]
    [InlineData("../../etc/passwd", "_.._etc_passwd-")]
    [InlineData("..", "-")]
    [InlineData("", "-")]
    [InlineData("café", "caf_-")]
    public void For_ReplacesUnsafeCharactersAndAddsHash_WhenTextIsNotSafe(string text, string prefix)
    {
        var slug = PathSlug.For(text);

        Assert.StartsWith(prefix, slug);
        Assert.Matches("-[0-9a-f]{8}$", slug);
        Assert.DoesNotContain('/', slug);
        Assert.False(slug.StartsWith('.'), slug);
    }

    [Fact]
    public void For_KeepsDistinctIdsDistinct_WhenTheyDifferOnlyInUnsafeCharacters()
    {
        Assert.NotEqual(PathSlug.For("test (a, 1)"), PathSlug.For("test (a; 1)"));
        Assert.NotEqual(PathSlug.For("a_b"), PathSlug.For("a b"));
    }

    [Fact]
    public void For_ShortensLongText_WhenLongerThan80Characters()
    {
        var slug = PathSlug.For(new string('a', 200));

        Assert.Equal(80 + 9, slug.Length);
        Assert.NotEqual(slug, PathSlug.For(new string('a', 201)));
    }

    [Fact]
    public void For_IsStable_WhenCalledTwice()
    {
        Assert.Equal(PathSlug.For("deploy (eu)"), PathSlug.For("deploy (eu)"));
    }
}
