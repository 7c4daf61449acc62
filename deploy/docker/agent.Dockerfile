# syntax=docker/dockerfile:1
# A Pipeliner agent (`pipeliner agent`) on the official runtime-deps image, self-contained. It runs jobs in sibling
# containers on the host's Docker engine, through the engine's socket mounted into the container.
# Build from the repository's root:
#   docker build -f deploy/docker/agent.Dockerfile -t pipeliner/agent:latest .
# Run (an admin made the registration token with POST /api/agents/tokens):
#   docker run -d --name pipeliner-agent-1 \
#     -v /var/run/docker.sock:/var/run/docker.sock --group-add "$(stat -c %g /var/run/docker.sock)" \
#     -v /var/lib/pipeliner-agent:/var/lib/pipeliner-agent \
#     -e PIPELINER_SERVER=https://ci.example.com -e PIPELINER_AGENT_TOKEN=... -e PIPELINER_AGENT_NAME=build-1 \
#     pipeliner/agent:latest
# The work directory must be mounted at the SAME path as on the host: the engine bind-mounts a job's workspace by its
# path on the host. deploy/docker/build-offline.sh builds the same image without a registry. See docs/operations.md.
ARG DOTNET_VERSION=10.0

FROM mcr.microsoft.com/dotnet/sdk:${DOTNET_VERSION} AS build
ARG RUNTIME_ID=linux-x64
WORKDIR /src
# Projects come and go: the whole of src/ is copied; the NuGet cache mount keeps rebuilds from downloading again.
COPY global.json Directory.Build.props Directory.Packages.props ./
COPY src/ src/
RUN --mount=type=cache,target=/root/.nuget/packages \
    dotnet publish src/Pipeliner.Cli/Pipeliner.Cli.csproj -c Release -r ${RUNTIME_ID} --self-contained true -o /app

FROM mcr.microsoft.com/dotnet/runtime-deps:${DOTNET_VERSION} AS final
RUN groupadd --gid 10001 pipeliner \
 && useradd --uid 10001 --gid 10001 --home-dir /var/lib/pipeliner-agent --no-create-home --shell /usr/sbin/nologin pipeliner \
 && mkdir -p /var/lib/pipeliner-agent && chown 10001:10001 /var/lib/pipeliner-agent && chmod 700 /var/lib/pipeliner-agent
COPY --from=build /app /opt/pipeliner
ENV PATH=/opt/pipeliner:$PATH \
    PIPELINER_AGENT_WORK_DIR=/var/lib/pipeliner-agent \
    PIPELINER_AGENT_BACKEND=docker \
    DOCKER_HOST=unix:///var/run/docker.sock \
    HOME=/var/lib/pipeliner-agent
# Not root: the socket's group (--group-add) is what lets the agent start containers.
USER 10001:10001
WORKDIR /var/lib/pipeliner-agent
# SIGTERM (docker stop, the default signal): no new jobs, the running ones finish; give it time: docker stop -t 600.
ENTRYPOINT ["pipeliner"]
CMD ["agent"]
