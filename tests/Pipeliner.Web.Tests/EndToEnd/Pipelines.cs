namespace Pipeliner.Web.Tests.EndToEnd;

/// <summary>The pipelines of the end-to-end repository, one per branch.</summary>
public static class Pipelines
{
    /// <summary>A job printing a coloured line every 200 ms for 8 s, needs across stages, and a manual release.</summary>
    public const string Main = """
        name: shop-api
        stages: [build, test, release]
        jobs:
          stream:
            stage: build
            image: alpine:3
            script:
              - for i in $(seq 1 40); do printf '\033[36mtick\033[0m %s of 40\n' $i; sleep 0.2; done
          lint:
            stage: build
            image: alpine:3
            script:
              - echo "lint clean"
          unit:
            stage: test
            image: alpine:3
            needs: [stream]
            script:
              - echo "all 12 tests passed"
          release:
            stage: release
            image: alpine:3
            needs: [unit, lint]
            when: manual
            script:
              - echo "released to production"
        """;

    public const string Broken = """
        name: shop-api
        stages: [build, test]
        jobs:
          compile:
            stage: build
            image: alpine:3
            script:
              - echo "compiled"
          checkout-test:
            stage: test
            image: alpine:3
            needs: [compile]
            script:
              - |
                echo "assertion failed: expected 2 items in the cart, got 3"
                exit 2
        """;

    /// <summary>Not a valid pipeline: the run is invalid and shows why, with line numbers.</summary>
    public const string Invalid = """
        name: shop-api
        stages: [build]
        jobs:
          compile:
            stage: build
            image: alpine:3
            needs: [missing-job]
            script:
              - echo "never runs"
        """;

    /// <summary>A 100,000-line log, and a job whose log the test replaces with a 1 GB one.</summary>
    public const string Perf = """
        name: shop-api
        stages: [logs]
        jobs:
          big:
            stage: logs
            image: alpine:3
            script:
              - |
                awk 'BEGIN { for (i = 1; i <= 100000; i++) print "line " i " of a long build log: compiling module " i % 97 }'
          huge:
            stage: logs
            image: alpine:3
            script:
              - echo "this log is replaced by a 1 GB one"
        """;

    /// <summary>A build deployed to DIT at once and promoted to QA by hand, with the same artifact.</summary>
    public const string Release = """
        name: shop-api
        stages: [package, deploy]
        jobs:
          package:
            stage: package
            image: alpine:3
            script:
              - mkdir -p dist && echo "shop-api build $(date +%s%N)" > dist/app.txt
            artifacts: { paths: [dist/] }
          deploy-dit:
            stage: deploy
            image: alpine:3
            environment: dit
            needs: [package]
            script:
              - cat dist/app.txt
          deploy-qa:
            stage: deploy
            image: alpine:3
            environment: qa
            when: manual
            needs: [package]
            script:
              - cat dist/app.txt
          deploy-prod:
            stage: deploy
            image: alpine:3
            environment: prod
            when: manual
            needs: [deploy-qa]
            script:
              - cat dist/app.txt
        """;
}
