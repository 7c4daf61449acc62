#!/usr/bin/env bash
# What the dashboard's tests need besides the Docker engine: Node.js with npm (to build and test web/), the
# dashboard's npm packages and those of the tests' OpenID Connect provider (npm ci), and Debian's Chromium (the browser the end-to-end tests drive with Playwright;
# no browser is ever downloaded). Installs Chromium with apt-get when missing (as root); fails when something
# cannot be provided, so the tests never silently skip.
set -euo pipefail
cd "$(dirname "$0")/../.."

log() { printf 'web-prerequisites: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

# Node.js 20.19 or later (vite 8's floor), with npm.
command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 ||
    die "Node.js with npm is not installed: install Node.js 20.19 or later (https://nodejs.org)"
node -e 'const [a, b] = process.versions.node.split(".").map(Number); process.exit(a > 20 || (a === 20 && b >= 19) ? 0 : 1)' ||
    die "Node.js $(node --version) is too old: the dashboard needs 20.19 or later"

# npm ci in a folder when its lock or package file changed since the last time (a stamp in node_modules).
npm_ci() {
    local dir=$1 stamp=$1/node_modules/.pipeliner-npm-ci.stamp
    if [[ ! -f $stamp || $dir/package-lock.json -nt $stamp || $dir/package.json -nt $stamp ]]; then
        log "npm ci in $dir/"
        (cd "$dir" && npm ci --no-audit --no-fund >&2)
        touch "$stamp"
    fi
}
# The dashboard (the same stamp as the MSBuild target in src/Pipeliner.Server: the build will not run npm ci again),
# and the OpenID Connect provider the sign-in tests start on 127.0.0.1.
npm_ci web
npm_ci tests/oidc-provider

chromium=${PIPELINER_CHROMIUM:-/usr/bin/chromium}
if [[ ! -x $chromium ]]; then
    [[ -z ${PIPELINER_CHROMIUM:-} ]] || die "PIPELINER_CHROMIUM=$chromium is not an executable"
    [[ $EUID -eq 0 ]] || die "Chromium is missing and installing it needs root: sudo apt-get install -y chromium"
    export DEBIAN_FRONTEND=noninteractive
    log "apt-get install chromium"
    if ! apt-get install -y -q --no-install-recommends -o DPkg::Lock::Timeout=300 chromium >&2; then
        apt-get update -q -o DPkg::Lock::Timeout=300 >&2
        apt-get install -y -q --no-install-recommends -o DPkg::Lock::Timeout=300 chromium >&2
    fi
    [[ -x $chromium ]] || die "apt-get installed chromium but $chromium is not there"
fi
log "node $(node --version), npm $(npm --version), $("$chromium" --version 2>/dev/null | head -n 1)"
