#!/usr/bin/env bash
# What the Ansible tests need: ansible-playbook (Debian's ansible-core; its modules are all the sample playbook and
# the agent role use). Installs it with apt-get when missing (as root); quick when it is there; fails when it cannot
# be provided, so the tests never silently skip.
set -euo pipefail

log() { printf 'ansible: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

if ! command -v ansible-playbook >/dev/null 2>&1; then
    [[ $EUID -eq 0 ]] || die "ansible-playbook is missing and installing it needs root: sudo apt-get install -y ansible-core"
    export DEBIAN_FRONTEND=noninteractive
    log "apt-get install ansible-core"
    if ! apt-get install -y -q --no-install-recommends -o DPkg::Lock::Timeout=300 ansible-core >&2; then
        apt-get update -q -o DPkg::Lock::Timeout=300 >&2
        apt-get install -y -q --no-install-recommends -o DPkg::Lock::Timeout=300 ansible-core >&2
    fi
    command -v ansible-playbook >/dev/null 2>&1 || die "apt-get installed ansible-core but ansible-playbook is not on PATH"
fi
log "$(ansible-playbook --version | sed -n 1p)"
