# syntax=docker/dockerfile:1
# The Pipeliner server (API, dashboard, webhooks, scheduler) on the official ASP.NET Core image.
# Build from the repository's root:
#   docker build -f deploy/docker/server.Dockerfile -t pipeliner/server:latest .
# Run (state in the volume /data, port 8080, user 10001):
#   docker run -d --name pipeliner -p 8080:8080 -v pipeliner-data:/data pipeliner/server:latest
# The image has no container engine: jobs run on agents (agent.Dockerfile) or, with the host's socket mounted, on the
# embedded agent. deploy/docker/build-offline.sh builds the same image without a registry. See docs/operations.md.
ARG DOTNET_VERSION=10.0

FROM mcr.microsoft.com/dotnet/sdk:${DOTNET_VERSION} AS build
# Building the server builds the dashboard (web/) with npm: Node.js 20.19 or later (Debian 13's nodejs is 20.19).
RUN apt-get update \
 && apt-get install -y --no-install-recommends nodejs npm \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
# Projects come and go: the whole of src/ is copied; the NuGet cache mount keeps rebuilds from downloading again.
COPY global.json Directory.Build.props Directory.Packages.props ./
COPY src/ src/
COPY web/ web/
RUN --mount=type=cache,target=/root/.nuget/packages \
    --mount=type=cache,target=/root/.npm \
    dotnet publish src/Pipeliner.Server/Pipeliner.Server.csproj -c Release -o /app

FROM mcr.microsoft.com/dotnet/aspnet:${DOTNET_VERSION} AS final
# git and ssh: repositories reached over SSH are fetched with the git command (HTTP ones in process).
RUN apt-get update \
 && apt-get install -y --no-install-recommends git openssh-client ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --gid 10001 pipeliner \
 && useradd --uid 10001 --gid 10001 --home-dir /data --no-create-home --shell /usr/sbin/nologin pipeliner \
 && mkdir -p /data && chown 10001:10001 /data && chmod 700 /data
COPY --from=build /app /app
# The 4 MiB young generation is in Pipeliner.Server.runtimeconfig.json (System.GC.Gen0MaxBudget; docs/operations.md,
# "Runtime settings"), as for every other way of starting the server: no DOTNET_ variable is needed here.
ENV Pipeliner__DataDir=/data \
    ASPNETCORE_HTTP_PORTS=8080 \
    HOME=/data
USER 10001:10001
WORKDIR /data
VOLUME ["/data"]
EXPOSE 8080
# Health: GET /healthz answers 200 {"status":"ok"} (the image has no HTTP client for a HEALTHCHECK; probe it from outside).
ENTRYPOINT ["/app/Pipeliner.Server"]
