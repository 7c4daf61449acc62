namespace Pipeliner.Server.Tests.Support;

/// <summary>Pipeline files the tests commit; images are the engine's local busybox (alpine:3).</summary>
internal static class Pipelines
{
    public const string OneJob = """
        stages: [build]
        defaults: { image: alpine:3 }
        jobs:
          build:
            stage: build
            script: ["echo building"]

        """;

    /// <summary>build, and a manual deploy that needs nothing: it waits for approval from the start.</summary>
    public const string ManualDeploy = """
        stages: [build, deploy]
        defaults: { image: alpine:3 }
        jobs:
          build:
            stage: build
            script: ["echo build"]
          deploy:
            stage: deploy
            when: manual
            needs: []
            script: ["echo deploy"]

        """;

    /// <summary>build → test, build saves an artifact.</summary>
    public const string BuildAndTest = """
        stages: [build, test]
        defaults: { image: alpine:3 }
        jobs:
          build:
            stage: build
            script: ["echo compiling", "mkdir -p out", "echo binary-content > out/app.bin"]
            artifacts: { paths: [out] }
          test:
            stage: test
            needs: [build]
            script: ["cat out/app.bin"]

        """;

    /// <summary>Only pushes to main and release/*; no manual runs.</summary>
    public const string MainOnly = """
        on:
          push: { branches: [main, "release/*"] }
          manual: false
        stages: [build]
        defaults: { image: alpine:3 }
        jobs:
          build:
            stage: build
            script: ["echo main"]

        """;

    /// <summary>Two problems: an unknown key on line 5 and an undeclared stage on line 6.</summary>
    public const string Invalid = """
        stages: [build]
        jobs:
          build:
            image: alpine:3
            scirpt: [make]
            stage: tset
            script: [make]

        """;
}
