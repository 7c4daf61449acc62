using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace Pipeliner.Server.Http;

/// <summary>Tells OpenAPI readers that the API takes <c>Authorization: Bearer TOKEN</c> (webhooks and health excepted).</summary>
public sealed class BearerSecurityDocument : IOpenApiDocumentTransformer
{
    public const string SchemeName = "Bearer";

    public Task TransformAsync(OpenApiDocument document, OpenApiDocumentTransformerContext context, CancellationToken cancellationToken)
    {
        document.Components ??= new OpenApiComponents();
        document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
        document.Components.SecuritySchemes[SchemeName] = new OpenApiSecurityScheme
        {
            Type = SecuritySchemeType.Http,
            Scheme = "bearer",
            Description = "An API token; reads need one too unless Pipeliner:Auth:AnonymousRead is true.",
        };
        var requirement = new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(SchemeName, document)] = [] };
        foreach (var (path, item) in document.Paths)
        {
            if (!path.StartsWith("/api/", StringComparison.Ordinal) || item.Operations is null) continue;
            foreach (var operation in item.Operations.Values) operation.Security = [requirement];
        }

        return Task.CompletedTask;
    }
}
