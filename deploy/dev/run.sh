#!/usr/bin/env bash
# Starts Pipeliner on this machine with a Docker engine for its jobs, as `bash deploy/dev/test.sh` does for the tests:
# the engine at DOCKER_HOST (or the default socket) when one answers, else the private engine of
# deploy/dev/docker-engine.sh (installed and started as root, with its offline test images: alpine:3, busybox:latest).
# Then `dotnet run` starts the server in the current directory, so its data is in ./data. Arguments go to the server
# (default: --urls http://127.0.0.1:8080). An engine this script started is stopped again when the server stops.
#
#   bash deploy/dev/run.sh
#   bash deploy/dev/run.sh --urls http://127.0.0.1:9090 --Pipeliner:Agent:Capacity=4
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
engine="$repo/deploy/dev/docker-engine.sh"

log() { printf 'run: %s\n' "$*" >&2; }

engine_answers() { DOCKER_HOST="$1" docker info >/dev/null 2>&1; }

started_engine=false
if [[ -n ${DOCKER_HOST:-} ]] && engine_answers "$DOCKER_HOST"; then
    log "using the Docker engine at DOCKER_HOST=$DOCKER_HOST"
elif [[ -z ${DOCKER_HOST:-} ]] && engine_answers unix:///var/run/docker.sock; then
    log "using the Docker engine at /var/run/docker.sock"
else
    private=$(bash "$engine" env | sed 's/^export DOCKER_HOST=//')
    if ! engine_answers "$private"; then
        if [[ $EUID -ne 0 ]]; then
            log "no Docker engine answers${DOCKER_HOST:+ at DOCKER_HOST=$DOCKER_HOST}, and starting the private one needs root."
            log "Start Docker (e.g. 'sudo systemctl start docker'), run this script with sudo, or run jobs unisolated without containers:"
            log "  dotnet run --project src/Pipeliner.Server -- --urls http://127.0.0.1:8080 --Pipeliner:Agent:Backend=shell"
            exit 2
        fi
        started_engine=true
    fi
    eval "$(DOCKER_HOST='' bash "$engine" start)"
    export DOCKER_HOST
    if $started_engine; then trap 'bash "$engine" stop || true' EXIT; fi
    bash "$engine" images
    log "using the private Docker engine at DOCKER_HOST=$DOCKER_HOST"
fi

(( $# > 0 )) || set -- --urls http://127.0.0.1:8080
# Not exec: the trap above stops the engine after the server.
dotnet run --project "$repo/src/Pipeliner.Server" -- "$@"
