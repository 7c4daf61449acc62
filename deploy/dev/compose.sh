#!/usr/bin/env bash
# What the compose-file test needs: docker-compose (Debian's, 1.29), whose `config` command parses a compose file,
# validates it against the Compose schema and resolves it (services, networks, volumes, variables). Installs it with
# apt-get when missing (as root); quick when it is there; fails when it cannot be provided, so the test never skips.
set -euo pipefail

log() { printf 'compose: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

if ! command -v docker-compose >/dev/null 2>&1; then
    [[ $EUID -eq 0 ]] || die "docker-compose is missing and installing it needs root: sudo apt-get install -y docker-compose"
    export DEBIAN_FRONTEND=noninteractive
    log "apt-get install docker-compose"
    if ! apt-get install -y -q --no-install-recommends -o DPkg::Lock::Timeout=300 docker-compose >&2; then
        apt-get update -q -o DPkg::Lock::Timeout=300 >&2
        apt-get install -y -q --no-install-recommends -o DPkg::Lock::Timeout=300 docker-compose >&2
    fi
    command -v docker-compose >/dev/null 2>&1 || die "apt-get installed docker-compose but it is not on PATH"
fi
log "$(docker-compose version --short 2>/dev/null || docker-compose --version)"
