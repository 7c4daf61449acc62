using Pipeliner.Benchmarks;
using Pipeliner.Core.Syntax.Yaml;
using static Pipeliner.Core.Tests.Syntax.Yaml.YamlTreeDifference;

namespace Pipeliner.Core.Tests.Syntax.Yaml;

/// <summary>
/// Differential tests: whatever the fast reader builds must be exactly YamlDotNet's tree (values, positions, shared
/// alias nodes); otherwise it must decline. The pipelines people write must not be declined.
/// </summary>
public class FastYamlReaderTests
{
    public static TheoryData<string> Samples() => Names(YamlTexts.SamplePaths());

    public static TheoryData<string> Scenarios() => Names(YamlTexts.ScenarioPaths());

    [Theory]
    [MemberData(nameof(Samples))]
    public void TryRead_BuildsYamlDotNetsTree_WhenTextIsASamplePipeline(string path) => AssertHandled(File.ReadAllText(path));

    [Theory]
    [MemberData(nameof(Scenarios))]
    public void TryRead_BuildsYamlDotNetsTree_WhenTextIsAScenarioPipeline(string path) => AssertHandled(File.ReadAllText(path));

    [Fact]
    public void TryRead_BuildsYamlDotNetsTree_WhenTextIsTheGeneratedThousandJobPipeline() => AssertHandled(PipelineGenerator.Generate());

    public static TheoryData<string> HandledSnippets() => new(HandledSnippetTexts);

    private static readonly string[] HandledSnippetTexts =
    [
        "name: shop\nstages:\n  - build\n  - test\njobs: { a: [x, y] }\n",
        "a: 'it''s'\nb: \"x\\ty\\n\\u00e9\\\\ \\\" \\/ \\0\"\nc: ''\nd: \"\"\ne: '#'\n",
        "a: \"\\x41\\u263A\\U0001F600\\e\\N\\_\\L\\P\\ \\\t.\"\n",
        "a: |\n  x\n  y\n\nb: |-\n  x\n\n\nc: |+\n  x\n\n\nd: >\n  folded\n  text\n\n  para\ne: >-\n  x\n    more\n  y\nf: 1\n",
        "a: >\n  one\n   indented\n  two\n\n\n  three\n",
        "a: |2\n    indented\n  x\nb: |1-\n  y\nc: >+2\n   z\n",
        "- |1\n  x\n- >\n a\n b\n",
        "a: |+\n  x",
        "a: |\n  x\n    \n  y\n  \nb: 2\n",
        "a: [x, 'y', \"z\", [1, 2], {k: v}, [], {}]\nb: {k: [1], 'q': \"w\", r: x}\n",
        "needs: [\n  a,\n  b\n  ]\nc: {\n  k: v, # comment\n  l: w }\n",
        "a: 1 # one\nb: [x] # two\nc: 'q' # three\nd: | # four\n  x\n# five\ne: # six\n  f: 1\n",
        "common: &common\n  image: alpine\n  retry: 1\njob:\n  <<: *common\n  script: [x]\nlist: &l [a, b]\ncopy: *l\nitem: &i one\nagain: *i\n",
        "a: &a {x: 1}\nb: &b {y: 2}\nc:\n  <<: *a\n  <<: *b\n  <<: [*a, *b]\n",
        "a: &x 1\nb: &x 2\nc: *x\nd: [&y q, *y]\n",
        "a: 1\r\nb:\r\n  - x\r\n  - 'y'\r\nc: |\r\n  l1\r\n\r\n  l2\r\nd: >\r\n  f1\r\n  f2\r\ne: one\r\n  two\r\n",
        "name: café ☕\nemoji: \"😀\"\n\"ключ\": значение\nlist: [😀, b, 'é']\nafter: x # ü\n",
        "a:\nb: ~\nc: null\nd:\n  -\n  - x\n  - \n  -\ne: Null\nf: NULL\ng: nil\n",
        "a:\n",
        "- - a\n  - b\n- -\n  - c\n- - - d\n",
        "a:\n- x\n- y\nb: 1\nc:\n  - p\n  -   q\n",
        "a: one\n  two\n\n  three\nb: x\n",
        "- one\n  two\n-  three\n\n\n   four\n",
        "a:\n  value\nb:\n     deep\n   less\n",
        "url: http://example.com/#frag\nq: 'a # not comment'\nr: a#b\ns: \"x#y\" # c\nt: [u#v, 'w # x']\n",
        "a: 'x: y'\nb: \"k: v\"\nc: x:y\nd: http://h:80/p\ne: [k:v, 'a: b']\nf: a :b\n",
        "key with spaces: v\n\"quoted key\": v\n'single': w\nkey : spaced colon\n",
        "---\na: 1\n...\n",
        "--- # c\na: 1\n# end\n",
        "# head\n\n  # indented comment\na: 1\n",
        "- a\n- b: 1\n  c: 2\n- {d: 3}\n-\n  e: 4\n",
        "- &x {a: 1}\n- *x\n- &y\n  b: 2\n- *y\n",
        "a: &b\n  x: 1\nc: *b\nd: &e\n  - 1\nf: &g\n- 2\nh: *g\n",
        "~: 1\nnull: 2\n'': 3\n",
        "a: 1.5\nb: true\nc: -3\nd: -x\ne: --flag\nf: [-1, -y]\ng: a-b\n",
        "s:\n  - |\n    echo 1\n\n    echo 2\n\n  - x\nt: 1\n",
        "jobs:\n  build:\n    script:\n      - echo \"$A\" | tee out\n      - >-\n        long\n        command\n    if: { branches: [main], paths: ['a/**'] }\n",
        "a: x \nb: 'y'  \nc: [z]   \n",
        "  a: 1\n  b:\n    - x\n",
        "a: [[[[x]]]]\nb: {c: {d: {e: f}}}\n",
        "a: |\n  x\n\n\n",
        "a: >\n  x\n\n  \n",
        "a: ls *.yml\nb: echo *x: y\nc: ls *:\n",
        "- a *b: c\n- d: e *f: g\n",
        "a: {b: &x [c], d: *x, e: &y {f: 1}}\ng: *y\n",
    ];

    [Theory]
    [MemberData(nameof(HandledSnippets))]
    public void TryRead_BuildsYamlDotNetsTree_WhenSnippetIsInTheSubset(string text) => AssertHandled(text);

    public static TheoryData<string> OtherSnippets() => new()
    {
        "\uFEFFa: 1\n", "a:\tb\n", "a: |\n  x\ty\n", "a: 'x\ty'\n", "a:\n\tb: 1\n", "a: b: c\n", "a: 1\na: 2\n",
        "a: *nope\n", "? x\n: y\n", "a: !tag x\n", "%YAML 1.2\n---\na: 1\n", "a: 1\n---\nb: 2\n", "a: 'multi\n  line'\n",
        "a: \"x\\\n  y\"\n", "a: [a, b,]\n", "a: {b}\n", "a: [b: 1]\n", ": x\n", "a: [x,\ny]\n", "a: [\n  x\n]\n",
        "a: |\n\n  x\n", "a: &x\nb: 1\n", "&a a: 1\n", "- &a - x\n", "a: 1\rb: 2\n", "a: \"\\ud800\"\n", "a: \"\\q\"\n",
        "a: [x] y\n", "a: 'x' y\n", "a: \"x\"#c\n", "a: |0\n  x\n", "a: |#c\n  x\n", "a: |\n x\n  y\n z\n",
        "a: *x:\n", "a: &x\n", "- a\nb: 1\n", "a:\n  - x\n  y: z\n", "a: x\n  b: y\n", "a:\n  b: 1\n c: 2\n",
        "a: {b: 1, b: 2}\n", "[a, b]\n", "{a: 1}\n", "plain\n", "'quoted'\n", "a: >\n\n  x\n", "a: |2\n x\n",
        "a: [x\nb: 1\n", "a: {b: [c}\n", "a: -\n", "- - \n", "a: `x`\n", "a: @x\n", "a: %x\n", "a: x\n...\nb: y\n",
        "a: [x, \"y\"z]\n", "a: {\"k\":v}\n", "a: {k:v}\n", "a: [\"a\" , b]\n", "a: &anchor.name x\n", "*a: 1\n",
        new string('k', 1100) + ": v\n", "a: " + new string('[', 101) + new string(']', 101) + "\n",
        "a: 'x'\n\nb: |\n  \u0085\n", "a */0': step\n", "a: {b: &x c, d: e}\n", "a: {b: [&x c]}\n", "a: {b: &x 'c', d: e}\n", "a: [p *q:, r]\n", "a: \"x\u2028y\"\n", "a: x\0y\n",
    };

    [Theory]
    [MemberData(nameof(OtherSnippets))]
    public void TryRead_BuildsYamlDotNetsTreeOrDeclines_WhenSnippetIsUnusualOrWrong(string text) => AssertSameTreeOrDeclined(text);

    [Theory]
    [InlineData("a: 1\na: 2\n")]
    [InlineData("a: *nope\n")]
    [InlineData("a: b: c\n")]
    [InlineData("a: \"unterminated\n")]
    [InlineData("a: [x, y\n")]
    [InlineData("a:\n  - x\n  y: z\n")]
    [InlineData("")]
    [InlineData("# only a comment\n")]
    [InlineData("a: 1\n---\nb: 2\n")]
    public void TryRead_Declines_WhenTextIsAnErrorOrEmpty(string text)
    {
        Assert.Null(FastYamlReader.TryRead(text));
    }

    [Theory]
    [InlineData("k3")]
    [InlineData("k39")]
    public void TryRead_Declines_WhenAKeyRepeatsInABlockMappingOfManyKeys(string repeated)
    {
        var text = string.Concat(Enumerable.Range(0, 40).Select(i => $"k{i}: {i}\n")) + repeated + ": again\n";

        Assert.Null(FastYamlReader.TryRead(text));
    }

    [Fact]
    public void TryRead_Declines_WhenAKeyRepeatsInAFlowMappingOfManyKeys()
    {
        var text = "a: {" + string.Join(", ", Enumerable.Range(0, 40).Select(i => $"k{i}: {i}")) + ", k3: again}\n";

        Assert.Null(FastYamlReader.TryRead(text));
    }

    [Fact]
    public void TryRead_KeepsEveryMergeKey_WhenAMappingOfManyKeysMergesSeveralTimes()
    {
        var text = "a: &a {x: 1}\nb:\n" + string.Concat(Enumerable.Range(0, 40).Select(i => $"  k{i}: {i}\n  <<: *a\n"));

        var root = Assert.IsType<YamlMapping>(FastYamlReader.TryRead(text));

        Assert.Equal(80, Assert.IsType<YamlMapping>(root.Entries[1].Value).Entries.Count);
        AssertHandled(text);
    }

    [Fact]
    public void TryRead_BuildsYamlDotNetsTreeOrDeclines_WhenTextIsAnyLiteralOfTheCoreTests()
    {
        var literals = YamlTexts.TestSourceLiterals();

        var handled = literals.Count(text => AssertSameTreeOrDeclined(text) == Outcome.SameTree);

        // Most literals are pipelines; a reader that declined them all would pass the comparison without testing it.
        Assert.True(handled > literals.Count / 3, $"{handled} of {literals.Count} literals read");
    }

    [Fact]
    public void TryRead_BuildsYamlDotNetsTreeOrDeclines_WhenSamplesAreMutatedAtRandom()
    {
        var sources = YamlTexts.SamplePaths().Concat(YamlTexts.ScenarioPaths()).Select(File.ReadAllText)
            .Concat(HandledSnippetTexts).ToList();
        var random = new Random(20261127);
        var handled = 0;
        var total = 0;
        foreach (var source in sources)
        {
            for (var i = 0; i < 150; i++)
            {
                var mutated = YamlMutations.Apply(source, random);
                total++;
                if (AssertSameTreeOrDeclined(mutated) == Outcome.SameTree) handled++;
            }
        }

        Assert.True(handled > total / 10, $"{handled} of {total} mutated texts read");
    }

    [Fact]
    public void TryRead_SharesAliasedNodes_WhenTextIsABillionLaughsBomb()
    {
        var bomb = new System.Text.StringBuilder("l0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
        for (var i = 1; i <= 9; i++) bomb.Append($"l{i}: &l{i} [{string.Join(", ", Enumerable.Repeat($"*l{i - 1}", 9))}]\n");

        var root = Assert.IsType<YamlMapping>(FastYamlReader.TryRead(bomb.ToString()));

        var top = Assert.IsType<YamlSequence>(root.Entries[9].Value);
        Assert.Same(root.Entries[8].Value, top.Items[0]);
        AssertSameTreeOrDeclined(bomb.ToString());
    }

    private static void AssertHandled(string text)
    {
        var fast = FastYamlReader.TryRead(text, out var declined);
        Assert.True(fast is not null, $"declined: {declined}\n--- text ---\n{text}");
        Assert.Equal(Outcome.SameTree, AssertSameTreeOrDeclined(text));
    }

    private static TheoryData<string> Names(IEnumerable<string> paths)
    {
        var data = new TheoryData<string>();
        foreach (var path in paths) data.Add(path);
        return data;
    }
}
