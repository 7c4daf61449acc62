namespace Pipeliner.Server.Http;

/// <summary>
/// The health probe's answer, <c>{"status":"ok"}</c>. A named type rather than an anonymous one: the Request Delegate
/// Generator writes an endpoint's return type into its generated code, and an anonymous type has no name to write.
/// </summary>
public sealed record HealthStatus(string Status)
{
    public static readonly HealthStatus Ok = new("ok");
}
