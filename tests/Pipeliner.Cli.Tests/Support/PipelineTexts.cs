namespace Pipeliner.Cli.Tests.Support;

internal static class PipelineTexts
{
    public const string Valid = """
        name: shop-api
        on:
          push: { branches: [develop, "release/*"], tags: ["v*"] }
          pull_request: { branches: [develop] }
          schedule: ["0 3 * * *"]
        stages: [build, test, deploy]
        defaults: { image: alpine:3 }
        jobs:
          build:
            stage: build
            script: [make]
          unit:
            stage: test
            script: [make test]
            matrix: { OS: [alpine, debian] }
          deploy-dit:
            stage: deploy
            script: [./deploy.sh dit]
            needs: [unit]
            if: { branches: [develop, "release/*"] }
          deploy-prod:
            stage: deploy
            script: [./deploy.sh prod]
            when: manual
            if: { tags: ["v*"] }

        """;

    /// <summary>Three problems: an unknown key (line 5), an undeclared stage (line 6) and a negative retry (line 8).</summary>
    public const string Invalid = """
        stages: [build, test]
        jobs:
          build:
            image: alpine:3
            scirpt: [make]
            stage: tset
            script: [make]
            retry: -1

        """;
}
