#!/usr/bin/env bash
# A private PostgreSQL server for Pipeliner's tests and development, never the system's cluster.
#
# Usage: postgres.sh start | stop | status | url
#
#   start   install Debian's PostgreSQL (as root, if missing), create a cluster under $PIPELINER_POSTGRES_DIR
#           (default /tmp/pipeliner-postgres) and start it on 127.0.0.1 at a free port, as the unprivileged `postgres`
#           user when run as root (initdb refuses root), else as the current user. Idempotent: a cluster that is
#           already running is left as it is. Prints the connection string on stdout (progress goes to stderr), so
#           `export PIPELINER_TEST_POSTGRES="$(deploy/dev/postgres.sh start)"` works.
#   stop    stop the cluster (its data directory stays); a later start uses the same port again when it is free.
#   status  exit 0 when the cluster answers.
#   url     print the connection string of the running cluster.
#
# The connection string names the maintenance database `postgres` of a trust-authenticated superuser `postgres`, on
# loopback only: tests create (and drop) a database of their own per fixture.
set -euo pipefail

BASE_DIR=${PIPELINER_POSTGRES_DIR:-/tmp/pipeliner-postgres}
DATA_DIR="$BASE_DIR/data"
PORT_FILE="$BASE_DIR/port"
LOG_FILE="$BASE_DIR/postgres.log"

log() { printf 'postgres: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

bin_dir() {
    local dir
    dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
    [[ -n $dir && -x $dir/initdb ]] && printf '%s' "$dir"
}

install_if_missing() {
    [[ -n $(bin_dir) ]] && return
    [[ $EUID -eq 0 ]] || die "PostgreSQL is not installed and installing needs root: sudo apt-get install -y postgresql"
    export DEBIAN_FRONTEND=noninteractive
    # The package's maintainer script would create and start the system's cluster where an init system runs: forbid it.
    local policy=/usr/sbin/policy-rc.d added_policy=false
    if [[ ! -e $policy ]]; then
        printf '#!/bin/sh\nexit 101\n' >"$policy"
        chmod 755 "$policy"
        added_policy=true
    fi
    local opts=(-y -q --no-install-recommends -o DPkg::Lock::Timeout=300 -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold)
    log "apt-get install postgresql"
    if ! apt-get install "${opts[@]}" postgresql >&2; then
        apt-get update -q -o DPkg::Lock::Timeout=300 >&2
        apt-get install "${opts[@]}" postgresql >&2
    fi
    if $added_policy; then rm -f "$policy"; fi
    [[ -n $(bin_dir) ]] || die "initdb still missing after installing postgresql"
}

# Runs a command as the cluster's owner: `postgres` when we are root, else ourselves.
as_owner() {
    if [[ $EUID -eq 0 ]]; then
        id postgres >/dev/null 2>&1 || useradd --system --home-dir "$BASE_DIR" --shell /bin/bash postgres
        su postgres -s /bin/bash -c "$(printf '%q ' "$@")"
    else
        "$@"
    fi
}

free_port() {
    python3 - <<'EOF' 2>/dev/null || shuf -i 20000-45000 -n 1
import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()
EOF
}

# Exit 0 when 127.0.0.1:$1 can be listened on (as PostgreSQL does, with SO_REUSEADDR).
port_free() {
    python3 - "$1" <<'EOF' 2>/dev/null
import socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1])))
s.close()
EOF
}

connection_string() { printf 'Host=127.0.0.1;Port=%s;Username=postgres;Database=postgres\n' "$(cat "$PORT_FILE")"; }

answers() {
    [[ -f $PORT_FILE ]] || return 1
    "$(bin_dir)/pg_isready" -q -h 127.0.0.1 -p "$(cat "$PORT_FILE")" -U postgres 2>/dev/null
}

start() {
    install_if_missing
    local bin
    bin=$(bin_dir)
    if answers; then
        log "already running on 127.0.0.1:$(cat "$PORT_FILE") ($DATA_DIR)"
        connection_string
        return
    fi
    mkdir -p "$BASE_DIR"
    [[ $EUID -eq 0 ]] && { id postgres >/dev/null 2>&1 || useradd --system --home-dir "$BASE_DIR" --shell /bin/bash postgres; }
    [[ $EUID -eq 0 ]] && chown postgres: "$BASE_DIR"
    as_owner test -w "$BASE_DIR" || die "$BASE_DIR is not reachable by the cluster's owner (postgres): make its parent directories traversable (chmod o+x)"
    if [[ ! -f $DATA_DIR/PG_VERSION ]]; then
        log "initdb $DATA_DIR"
        rm -rf "$DATA_DIR"
        as_owner "$bin/initdb" -D "$DATA_DIR" -A trust -U postgres -E UTF8 --locale=C.UTF-8 >&2
    fi
    # A cluster killed without stopping leaves its pid file behind; pg_ctl copes with a stale one. A restart keeps its
    # port when it is still free, so that clients (servers under test) reconnect to the same address.
    local port
    if [[ -f $PORT_FILE ]] && port_free "$(cat "$PORT_FILE")"; then
        port=$(cat "$PORT_FILE")
    else
        port=$(free_port)
    fi
    printf '%s\n' "$port" >"$PORT_FILE"
    log "starting on 127.0.0.1:$port"
    as_owner "$bin/pg_ctl" -D "$DATA_DIR" -l "$LOG_FILE" -w -t 60 \
        -o "-p $port -k $BASE_DIR -c listen_addresses=127.0.0.1 -c max_connections=300 -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
        start >&2 || { tail -n 20 "$LOG_FILE" >&2 || true; die "PostgreSQL did not start (log: $LOG_FILE)"; }
    answers || die "PostgreSQL started but does not answer on 127.0.0.1:$port"
    connection_string
}

stop() {
    local bin
    bin=$(bin_dir)
    [[ -n $bin && -f $DATA_DIR/PG_VERSION ]] || return 0
    as_owner "$bin/pg_ctl" -D "$DATA_DIR" -m fast -w stop >&2 || true
}

case "${1:-}" in
    start) start ;;
    stop) stop ;;
    status) answers ;;
    url) answers || die "not running"; connection_string ;;
    *) die "usage: $0 start | stop | status | url" ;;
esac
