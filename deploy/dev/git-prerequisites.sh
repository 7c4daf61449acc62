#!/usr/bin/env bash
# What the private-repository tests need: git (its http-backend serves repositories over HTTP with basic auth) and
# Debian's OpenSSH server and client (each test starts its own unprivileged sshd on a free loopback port). Installs
# what is missing with apt-get (as root) without starting the system's sshd; fails when something cannot be provided,
# so the tests never silently skip. Quick when everything is there.
set -euo pipefail

log() { printf 'git-prerequisites: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

# sshd lives in /usr/sbin, which a non-login root shell may not have.
export PATH="$PATH:/usr/local/sbin:/usr/sbin:/sbin"

missing=()
command -v git >/dev/null 2>&1 && [[ -x "$(git --exec-path)/git-http-backend" ]] || missing+=(git)
command -v sshd >/dev/null 2>&1 || missing+=(openssh-server)
command -v ssh >/dev/null 2>&1 && command -v ssh-keygen >/dev/null 2>&1 || missing+=(openssh-client)

if ((${#missing[@]} > 0)); then
    [[ $EUID -eq 0 ]] || die "${missing[*]} missing and installing needs root: sudo apt-get install -y ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    # The package's maintainer script would start the system's sshd where an init system runs: policy-rc.d forbids it.
    policy=/usr/sbin/policy-rc.d
    added_policy=false
    if [[ ! -e $policy ]]; then
        printf '#!/bin/sh\nexit 101\n' >"$policy"
        chmod 755 "$policy"
        added_policy=true
        trap 'rm -f "$policy"' EXIT
    fi
    opts=(-y -q --no-install-recommends -o DPkg::Lock::Timeout=300 -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold)
    log "apt-get install ${missing[*]}"
    if ! apt-get install "${opts[@]}" "${missing[@]}" >&2; then
        apt-get update -q -o DPkg::Lock::Timeout=300 >&2
        apt-get install "${opts[@]}" "${missing[@]}" >&2
    fi
    if $added_policy; then rm -f "$policy"; trap - EXIT; fi
fi

command -v sshd >/dev/null 2>&1 || die "sshd still missing after install"
[[ -x "$(git --exec-path)/git-http-backend" ]] || die "git http-backend still missing after install"
log "$(git --version), $(sshd -V 2>&1 | head -n 1 || true)"
