namespace Pipeliner.Forges;

/// <summary>A git hosting service that sends webhooks. Gitea also stands for Forgejo and Gogs, which share its format.</summary>
public enum Forge
{
    GitHub,
    GitLab,
    Gitea,
    Bitbucket,
}
