namespace Pipeliner.Forges.Tests.Support;

/// <summary>Every fixture in shared/fixtures/webhooks with its documented event header and its exact normalized event.</summary>
internal static class FixtureCases
{
    public static IReadOnlyDictionary<string, FixtureCase> ByFile { get; } = new FixtureCase[]
    {
        // GitHub
        new("github/push-branch.json", Forge.GitHub, "push", new ForgeEvent
        {
            Forge = Forge.GitHub, Kind = ForgeEventKind.Push, DeliveryId = "delivery-github-push-branch.json",
            Ref = "refs/heads/master", Branch = "master",
            CommitSha = "6113728f27ae82c7b1a177c8d03f9e96e0adf246", BeforeSha = null, Created = true,
            CommitMessage = "Initial commit", Author = "Codertocat",
            CompareUrl = "https://github.com/Codertocat/Hello-World/commit/6113728f27ae82c7b1a177c8d03f9e96e0adf246",
            HtmlUrl = "https://github.com/Codertocat/Hello-World/commit/6113728f27ae82c7b1a177c8d03f9e96e0adf246",
            RepositoryFullName = "Codertocat/Hello-World", RepositoryCloneUrl = "https://github.com/Codertocat/Hello-World.git",
            ChangedPaths = ["README.md"],
        }),
        new("github/push-branch-update.json", Forge.GitHub, "push", new ForgeEvent
        {
            Forge = Forge.GitHub, Kind = ForgeEventKind.Push, DeliveryId = "delivery-github-push-branch-update.json",
            Ref = "refs/heads/main", Branch = "main",
            CommitSha = "366701fde727cb7a9e7f21eb88264f59f6f9b89c", BeforeSha = "2f780193b136b72bfea4eeb640786a8c4450c7a2",
            CommitMessage = "Fix multiline secrets replacer (#700)\n\n* Fix multiline secrets replacer\r\n\r\n* Add tests",
            Author = "6543",
            CompareUrl = "https://github.com/woodpecker-ci/woodpecker/compare/2f780193b136...366701fde727",
            HtmlUrl = "https://github.com/woodpecker-ci/woodpecker/commit/366701fde727cb7a9e7f21eb88264f59f6f9b89c",
            RepositoryFullName = "woodpecker-ci/woodpecker", RepositoryCloneUrl = "https://github.com/woodpecker-ci/woodpecker.git",
            ChangedPaths = ["pipeline/shared/replace_secrets.go", "pipeline/shared/replace_secrets_test.go"],
        }),
        new("github/push-tag.json", Forge.GitHub, "push", new ForgeEvent
        {
            Forge = Forge.GitHub, Kind = ForgeEventKind.Tag, DeliveryId = "delivery-github-push-tag.json",
            Ref = "refs/tags/the-tag-v1", Tag = "the-tag-v1",
            CommitSha = "67012991d6c69b1c58378346fca366b864d8d1a1", BeforeSha = null, Created = true,
            CommitMessage = "Update .woodpecker.yml", Author = "6543",
            CompareUrl = "https://github.com/6543/test_ci_tmp/compare/the-tag-v1",
            HtmlUrl = "https://github.com/6543/test_ci_tmp/commit/67012991d6c69b1c58378346fca366b864d8d1a1",
            RepositoryFullName = "6543/test_ci_tmp", RepositoryCloneUrl = "https://github.com/6543/test_ci_tmp.git",
            // 'commits' is empty for a new tag: the changed files are unknown.
            ChangedPaths = null,
        }),
        new("github/push-tag-deleted.json", Forge.GitHub, "push", new ForgeEvent
        {
            Forge = Forge.GitHub, Kind = ForgeEventKind.Tag, DeliveryId = "delivery-github-push-tag-deleted.json",
            Ref = "refs/tags/simple-tag", Tag = "simple-tag",
            CommitSha = null, BeforeSha = "6113728f27ae82c7b1a177c8d03f9e96e0adf246", Deleted = true,
            Author = "Codertocat",
            CompareUrl = "https://github.com/Codertocat/Hello-World/compare/6113728f27ae...000000000000",
            RepositoryFullName = "Codertocat/Hello-World", RepositoryCloneUrl = "https://github.com/Codertocat/Hello-World.git",
        }),
        new("github/create-tag.json", Forge.GitHub, "create", null, "GitHub event 'create' is not handled"),
        new("github/pull_request-opened.json", Forge.GitHub, "pull_request", new ForgeEvent
        {
            Forge = Forge.GitHub, Kind = ForgeEventKind.PullRequest, DeliveryId = "delivery-github-pull_request-opened.json",
            Ref = "refs/pull/2/head", Branch = "master",
            CommitSha = "ec26c3e57ca3a959ca5aad62de7213c562f8c821", BeforeSha = null,
            PullRequestNumber = 2, PullRequestAction = "opened", PullRequestTitle = "Update the README with new information.",
            SourceBranch = "changes", TargetBranch = "master", FromFork = false, Author = "Codertocat",
            HtmlUrl = "https://github.com/Codertocat/Hello-World/pull/2",
            RepositoryFullName = "Codertocat/Hello-World", RepositoryCloneUrl = "https://github.com/Codertocat/Hello-World.git",
        }),
        new("github/pull_request-synchronize.json", Forge.GitHub, "pull_request", new ForgeEvent
        {
            Forge = Forge.GitHub, Kind = ForgeEventKind.PullRequest, DeliveryId = "delivery-github-pull_request-synchronize.json",
            Ref = "refs/pull/2/head", Branch = "master",
            CommitSha = "ec26c3e57ca3a959ca5aad62de7213c562f8c821", BeforeSha = "f95f852bd8fca8fcc58a9a2d6c842781e32a215e",
            PullRequestNumber = 2, PullRequestAction = "updated", PullRequestTitle = "Update the README with new information.",
            SourceBranch = "changes", TargetBranch = "master", FromFork = false, Author = "Codertocat",
            HtmlUrl = "https://github.com/Codertocat/Hello-World/pull/2",
            RepositoryFullName = "Codertocat/Hello-World", RepositoryCloneUrl = "https://github.com/Codertocat/Hello-World.git",
        }),
        new("github/ping.json", Forge.GitHub, "ping", new ForgeEvent
        {
            Forge = Forge.GitHub, Kind = ForgeEventKind.Ping, DeliveryId = "delivery-github-ping.json",
            Author = "Codertocat", HtmlUrl = "https://github.com/Octocoders/Hello-World",
            RepositoryFullName = "Octocoders/Hello-World", RepositoryCloneUrl = "https://github.com/Octocoders/Hello-World.git",
        }),

        // GitLab
        new("gitlab/push.json", Forge.GitLab, "Push Hook", new ForgeEvent
        {
            Forge = Forge.GitLab, Kind = ForgeEventKind.Push, DeliveryId = "delivery-gitlab-push.json",
            Ref = "refs/heads/master", Branch = "master",
            CommitSha = "da1560886d4f094c3e6c9ef40349f7d38b5d27d7", BeforeSha = "95790bf891e76fee5e1747ab589903a6a1f80f22",
            CommitMessage = "fixed readme", Author = "jsmith",
            HtmlUrl = "http://example.com/mike/diaspora/commit/da1560886d4f094c3e6c9ef40349f7d38b5d27d7",
            RepositoryFullName = "mike/diaspora", RepositoryCloneUrl = "http://example.com/mike/diaspora.git",
            // total_commits_count is 4 but only 2 commits are listed: the list is partial, so the paths are unknown.
            ChangedPaths = null,
        }),
        new("gitlab/push-captured.json", Forge.GitLab, "Push Hook", new ForgeEvent
        {
            Forge = Forge.GitLab, Kind = ForgeEventKind.Push, DeliveryId = "delivery-gitlab-push-captured.json",
            Ref = "refs/heads/master", Branch = "master",
            CommitSha = "f15b32277d2c55c6c595845a87109b09c913c556", BeforeSha = "468abc807a2b2572f43e72c743b76cee6db24025",
            CommitMessage = "v1.5.2\n", Author = "root",
            HtmlUrl = "https://gitlab.example.com/flightjs/Flight/-/commit/f15b32277d2c55c6c595845a87109b09c913c556",
            RepositoryFullName = "flightjs/Flight", RepositoryCloneUrl = "https://gitlab.example.com/flightjs/Flight.git",
            ChangedPaths = ["package.json"],
        }),
        new("gitlab/tag_push.json", Forge.GitLab, "Tag Push Hook", new ForgeEvent
        {
            Forge = Forge.GitLab, Kind = ForgeEventKind.Tag, DeliveryId = "delivery-gitlab-tag_push.json",
            Ref = "refs/tags/v1.0.0", Tag = "v1.0.0",
            CommitSha = "82b3d5ae55f7080f1e6022629cdb57bfae7cccc7", BeforeSha = null, Created = true,
            Author = "John Smith",
            RepositoryFullName = "jsmith/example", RepositoryCloneUrl = "http://example.com/jsmith/example.git",
        }),
        new("gitlab/merge_request-open.json", Forge.GitLab, "Merge Request Hook", new ForgeEvent
        {
            Forge = Forge.GitLab, Kind = ForgeEventKind.PullRequest, DeliveryId = "delivery-gitlab-merge_request-open.json",
            Ref = "refs/merge-requests/1/head", Branch = "master",
            CommitSha = "da1560886d4f094c3e6c9ef40349f7d38b5d27d7", BeforeSha = null,
            PullRequestNumber = 1, PullRequestAction = "opened", PullRequestTitle = "MS-Viewport",
            SourceBranch = "ms-viewport", TargetBranch = "master", FromFork = false,
            CommitMessage = "fixed readme", Author = "root",
            HtmlUrl = "http://example.com/diaspora/merge_requests/1",
            // The documentation's example names another project in 'project' than in its source and target.
            RepositoryFullName = "gitlabhq/gitlab-test", RepositoryCloneUrl = "http://example.com/gitlabhq/gitlab-test.git",
        }),
        new("gitlab/merge_request-update.json", Forge.GitLab, "Merge Request Hook", new ForgeEvent
        {
            Forge = Forge.GitLab, Kind = ForgeEventKind.PullRequest, DeliveryId = "delivery-gitlab-merge_request-update.json",
            Ref = "refs/merge-requests/3/head", Branch = "main",
            CommitSha = "c136499ec574e1034b24c5d306de9acda3005367", BeforeSha = "8b641937b7340066d882b9d8a8cc5b0573a207de",
            PullRequestNumber = 3, PullRequestAction = "updated", PullRequestTitle = "Update client.go 🎉",
            SourceBranch = "anbraten-main-patch-05373", TargetBranch = "main", FromFork = false,
            CommitMessage = "Update folder/todo.txt", Author = "anbraten",
            HtmlUrl = "https://gitlab.com/anbraten/woodpecker/-/merge_requests/3",
            RepositoryFullName = "anbraten/woodpecker", RepositoryCloneUrl = "https://gitlab.com/anbraten/woodpecker.git",
        }),

        // Gitea and Forgejo
        new("gitea/push.json", Forge.Gitea, "push", new ForgeEvent
        {
            Forge = Forge.Gitea, Kind = ForgeEventKind.Push, DeliveryId = "delivery-gitea-push.json",
            Ref = "refs/heads/develop", Branch = "develop",
            CommitSha = "bffeb74224043ba2feb48d137756c8a9331c449a", BeforeSha = "28e1879d029cb852e4844d9c718537df08844e03",
            CommitMessage = "Webhooks Yay!", Author = "gitea",
            CompareUrl = "http://localhost:3000/gitea/webhooks/compare/28e1879d029cb852e4844d9c718537df08844e03...bffeb74224043ba2feb48d137756c8a9331c449a",
            HtmlUrl = "http://localhost:3000/gitea/webhooks/commit/bffeb74224043ba2feb48d137756c8a9331c449a",
            RepositoryFullName = "gitea/webhooks", RepositoryCloneUrl = "http://localhost:3000/gitea/webhooks.git",
            // The documented commit has no added/modified/removed lists.
            ChangedPaths = null,
        }),
        new("gitea/push-new-branch.json", Forge.Gitea, "push", new ForgeEvent
        {
            Forge = Forge.Gitea, Kind = ForgeEventKind.Push, DeliveryId = "delivery-gitea-push-new-branch.json",
            Ref = "refs/heads/fdsafdsa", Branch = "fdsafdsa",
            CommitSha = "28c3613ae62640216bea5e7dc71aa65356e4298b", BeforeSha = null, Created = true,
            CommitMessage = "Delete '.woodpecker/.check.yml'\n", Author = "6543",
            CompareUrl = "https://codeberg.org/meisam/woodpecktester/compare/main...28c3613ae62640216bea5e7dc71aa65356e4298b",
            HtmlUrl = "https://codeberg.org/meisam/woodpecktester/commit/28c3613ae62640216bea5e7dc71aa65356e4298b",
            RepositoryFullName = "meisam/woodpecktester", RepositoryCloneUrl = "https://codeberg.org/meisam/woodpecktester.git",
            ChangedPaths = null,
        }),
        new("gitea/create-tag.json", Forge.Gitea, "create", null, "Gitea event 'create' is not handled"),
        new("gitea/pull_request-opened.json", Forge.Gitea, "pull_request", new ForgeEvent
        {
            Forge = Forge.Gitea, Kind = ForgeEventKind.PullRequest, DeliveryId = "delivery-gitea-pull_request-opened.json",
            Ref = "refs/pull/1/head", Branch = "main",
            CommitSha = "0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c",
            PullRequestNumber = 1, PullRequestAction = "opened", PullRequestTitle = "Update the README with new information",
            SourceBranch = "feature/changes", TargetBranch = "main",
            // Trimmed: head and base name no repository.
            FromFork = null,
            Author = "gordon", HtmlUrl = "http://gitea.golang.org/gordon/hello-world/pull/1",
            RepositoryFullName = "gordon/hello-world", RepositoryCloneUrl = "https://gitea.golang.org/gordon/hello-world.git",
        }),
        new("gitea/pull_request-synchronized.json", Forge.Gitea, "pull_request", new ForgeEvent
        {
            Forge = Forge.Gitea, Kind = ForgeEventKind.PullRequest, DeliveryId = "delivery-gitea-pull_request-synchronized.json",
            Ref = "refs/pull/2/head", Branch = "main",
            CommitSha = "788ed8d02d3b7fcfcf6386dbcbca696aa1d4dc25",
            PullRequestNumber = 2, PullRequestAction = "updated", PullRequestTitle = "New Pull",
            SourceBranch = "test-patch-1", TargetBranch = "main", FromFork = false,
            Author = "test", HtmlUrl = "http://127.0.0.1:3000/Test-CI/multi-line-secrets/pulls/2",
            RepositoryFullName = "Test-CI/multi-line-secrets", RepositoryCloneUrl = "http://127.0.0.1:3000/Test-CI/multi-line-secrets.git",
        }),

        // Bitbucket Cloud
        new("bitbucket/repo-push.json", Forge.Bitbucket, "repo:push", new ForgeEvent
        {
            Forge = Forge.Bitbucket, Kind = ForgeEventKind.Push, DeliveryId = "delivery-bitbucket-repo-push.json",
            Ref = "refs/heads/main", Branch = "main",
            CommitSha = "c14c1bb05dfb1fdcdf06b31485fff61b0ea44277", BeforeSha = "a51241ae1f00cbe728930db48e890b18fd527f99",
            CommitMessage = "a\n", Author = "Martin Herren",
            CompareUrl = "https://bitbucket.org/martinherren1984/publictestrepo/branches/compare/c14c1bb05dfb1fdcdf06b31485fff61b0ea44277..a51241ae1f00cbe728930db48e890b18fd527f99",
            HtmlUrl = "https://bitbucket.org/martinherren1984/publictestrepo/commits/c14c1bb05dfb1fdcdf06b31485fff61b0ea44277",
            RepositoryFullName = "martinherren1984/publictestrepo",
            RepositoryCloneUrl = "https://bitbucket.org/martinherren1984/publictestrepo.git",
            ChangedPaths = null,
        }),
        new("bitbucket/pullrequest-created.json", Forge.Bitbucket, "pullrequest:created", new ForgeEvent
        {
            Forge = Forge.Bitbucket, Kind = ForgeEventKind.PullRequest, DeliveryId = "delivery-bitbucket-pullrequest-created.json",
            Ref = "refs/heads/branch2", Branch = "main",
            // Bitbucket sends abbreviated hashes in pull request payloads.
            CommitSha = "d3022fc0ca3d",
            PullRequestNumber = 1, PullRequestAction = "opened", PullRequestTitle = "Title of pull request",
            SourceBranch = "branch2", TargetBranch = "main", FromFork = false,
            Author = "emmap1", HtmlUrl = "https://api.bitbucket.org/pullrequest_id",
            RepositoryFullName = "user_name/repo_name", RepositoryCloneUrl = "https://api.bitbucket.org/team_name/repo_name.git",
        }),
        new("bitbucket/pullrequest-fulfilled.json", Forge.Bitbucket, "pullrequest:fulfilled", null,
            "Bitbucket event 'pullrequest:fulfilled' is not handled"),
    }.ToDictionary(c => c.File);

    public static TheoryData<string> Files => new(ByFile.Keys);
}
