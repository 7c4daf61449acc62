#!/usr/bin/env bash
# Private Docker engine for Pipeliner development and CI.
#
# Usage: docker-engine.sh start | images | stop [--purge] | env
#
#   start   install (if needed) and start a private dockerd on a socket under
#           /tmp/pipeliner-docker; prints the DOCKER_HOST export line on stdout,
#           so `eval "$(deploy/dev/docker-engine.sh start)"` works.
#   images  build the offline test images (busybox rootfs via `docker import`).
#   stop    stop the engine, but only if this script started it; --purge also
#           deletes its data root.
#   env     print the DOCKER_HOST export line.
#
# The daemon runs without a bridge and without touching iptables, so containers
# only ever get loopback. Progress goes to stderr, the export line to stdout.
set -euo pipefail

# dockerd lives in /usr/sbin, which a non-login root shell may not have.
export PATH="$PATH:/usr/local/sbin:/usr/sbin:/sbin"

BASE_DIR=/tmp/pipeliner-docker
SOCKET="$BASE_DIR/docker.sock"
DOCKER_HOST_VALUE="unix://$SOCKET"
DATA_ROOT="$BASE_DIR/data"
EXEC_ROOT="$BASE_DIR/exec"
PID_FILE="$BASE_DIR/dockerd.pid"
LOG_FILE="$BASE_DIR/dockerd.log"
# Present while an engine started by this script is running; holds its pid.
STARTED_MARKER="$BASE_DIR/started-by-script"

START_TIMEOUT=60
STOP_TIMEOUT=20

TEST_IMAGE=pipeliner-test/busybox:latest
# Common names used by pipelines; all point at the busybox image since no
# registry is reachable.
IMAGE_ALIASES=(alpine:3 busybox:latest)
# Bump when the rootfs built by make_busybox_rootfs changes.
IMAGE_LAYOUT_VERSION=1

log() { printf 'docker-engine: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

docker_cli() {
    if [[ -x /usr/local/bin/docker ]]; then
        /usr/local/bin/docker "$@"
    else
        command docker "$@"
    fi
}

# Runs the client against our private engine, whatever DOCKER_HOST says.
our_docker() { DOCKER_HOST="$DOCKER_HOST_VALUE" docker_cli "$@"; }

engine_answers() { DOCKER_HOST="$1" docker_cli info >/dev/null 2>&1; }

# True if pid runs and is not a zombie: a killed daemon reparented to an init
# that reaps slowly (as on these VMs) still answers kill -0 for a while.
alive() {
    local stat
    kill -0 "$1" 2>/dev/null || return 1
    stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
    stat=${stat##*) }  # the state letter follows "(comm) "
    [[ -n "$stat" && "${stat:0:1}" != Z ]]
}

# True if pid is alive and is the named program; guards against pid reuse.
alive_as() {
    alive "$1" && [[ "$(cat "/proc/$1/comm" 2>/dev/null)" == "$2" ]]
}

# Prints the pid of our dockerd if the pid file names a live dockerd process.
running_dockerd_pid() {
    local pid
    [[ -r "$PID_FILE" ]] || return 1
    pid=$(<"$PID_FILE")
    [[ "$pid" =~ ^[0-9]+$ ]] || return 1
    alive_as "$pid" dockerd || return 1
    printf '%s\n' "$pid"
}

print_env() { printf 'export DOCKER_HOST=%s\n' "$DOCKER_HOST_VALUE"; }

# ---------------------------------------------------------------- install --

apt_install() {
    local -a packages=("$@")
    export DEBIAN_FRONTEND=noninteractive
    # Lock timeout: other sessions may be running apt at the same time.
    # No recommends: they bring needrestart, criu, apparmor... that dockerd
    # does not need here (needrestart would even try to restart services).
    local -a lock=(-o DPkg::Lock::Timeout=300)
    local -a apt_opts=(-y -q --no-install-recommends "${lock[@]}"
        -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold)

    # Lists are only fetched when apt does not know a package yet (fresh
    # machine), or when the first install attempt fails (stale lists).
    local pkg policy need_update=false
    for pkg in "${packages[@]}"; do
        # Not piped into grep -q: with pipefail, SIGPIPE would read as failure.
        policy=$(apt-cache policy "$pkg" 2>/dev/null || true)
        [[ "$policy" =~ Candidate:\ [^\(] ]] || need_update=true
    done
    if $need_update; then
        log "apt-get update"
        apt-get update -q "${lock[@]}" >&2 || { sleep 5; apt-get update -q "${lock[@]}" >&2; }
    fi

    log "apt-get install ${packages[*]}"
    if ! apt-get install "${apt_opts[@]}" "${packages[@]}" >&2; then
        log "apt-get install failed; updating lists and retrying once"
        sleep 5
        apt-get update -q "${lock[@]}" >&2
        apt-get install "${apt_opts[@]}" "${packages[@]}" >&2
    fi
}

ensure_installed() {
    local -a missing=()
    command -v dockerd >/dev/null 2>&1 || missing+=(docker.io)
    [[ -x /bin/busybox ]] || missing+=(busybox-static)
    ((${#missing[@]} == 0)) && return 0

    [[ $EUID -eq 0 ]] || die "need root to install ${missing[*]}"

    # The docker.io/containerd maintainer scripts would otherwise start the
    # system daemons (docker0 bridge, iptables rules) where an init system
    # exists. policy-rc.d exit 101 forbids that; only add one if none exists.
    local policy=/usr/sbin/policy-rc.d added_policy=false
    if [[ ! -e "$policy" ]]; then
        printf '#!/bin/sh\nexit 101\n' >"$policy"
        chmod 755 "$policy"
        added_policy=true
        # shellcheck disable=SC2064  # expand $policy now
        trap "rm -f '$policy'" EXIT
    fi

    apt_install "${missing[@]}"

    if $added_policy; then
        rm -f "$policy"
        trap - EXIT
    fi
    command -v dockerd >/dev/null 2>&1 || die "dockerd still missing after install"
    [[ -x /bin/busybox ]] || die "/bin/busybox still missing after install"
}

# ------------------------------------------------------------------ start --

dockerd_flags() {
    local -a flags=(
        --host "$DOCKER_HOST_VALUE"
        --data-root "$DATA_ROOT"
        --exec-root "$EXEC_ROOT"
        --pidfile "$PID_FILE"
        --bridge=none
        --iptables=false
        --ip-masq=false
    )
    # 20.10 has --ip6tables (off by default, experimental); pass it explicitly
    # where the daemon knows it so no future default can touch ip6tables.
    if grep -q -- '--ip6tables' <<<"$(dockerd --help 2>&1)"; then
        flags+=(--ip6tables=false)
    fi
    printf '%s\n' "${flags[@]}"
}

wait_for_engine() {
    local pid=$1 deadline=$((SECONDS + START_TIMEOUT))
    until engine_answers "$DOCKER_HOST_VALUE"; do
        if ! alive "$pid"; then
            log "dockerd (pid $pid) exited during startup; last log lines:"
            tail -n 40 "$LOG_FILE" >&2 || true
            return 1
        fi
        if ((SECONDS >= deadline)); then
            log "engine did not answer within ${START_TIMEOUT}s; last log lines:"
            tail -n 40 "$LOG_FILE" >&2 || true
            return 1
        fi
        sleep 0.3
    done
}

cmd_start() {
    if [[ -n "${DOCKER_HOST:-}" ]] && engine_answers "$DOCKER_HOST"; then
        log "DOCKER_HOST=$DOCKER_HOST already answers; nothing to start"
        printf 'export DOCKER_HOST=%s\n' "$DOCKER_HOST"
        return 0
    fi

    local pid
    if pid=$(running_dockerd_pid); then
        log "reusing running dockerd (pid $pid)"
        wait_for_engine "$pid" || die "running dockerd (pid $pid) does not answer"
        print_env
        return 0
    fi

    [[ $EUID -eq 0 ]] || die "must run as root to start dockerd"
    ensure_installed

    mkdir -p "$BASE_DIR" "$DATA_ROOT" "$EXEC_ROOT"
    chmod 700 "$BASE_DIR"
    # Leftovers of an engine that died without cleaning up.
    rm -f "$STARTED_MARKER" "$SOCKET"

    local -a flags
    mapfile -t flags < <(dockerd_flags)
    log "starting dockerd (log: $LOG_FILE)"
    printf '\n==== %s dockerd %s\n' "$(date -Is)" "${flags[*]}" >>"$LOG_FILE"
    # setsid: the daemon must outlive this shell's session and process group.
    setsid dockerd "${flags[@]}" </dev/null >>"$LOG_FILE" 2>&1 &
    pid=$!
    printf '%s\n' "$pid" >"$STARTED_MARKER"

    if ! wait_for_engine "$pid"; then
        stop_pid "$pid" || true
        rm -f "$STARTED_MARKER"
        die "dockerd failed to start"
    fi
    # dockerd's own pid file is authoritative (in case setsid had to fork).
    pid=$(running_dockerd_pid) || die "dockerd answers but its pid file $PID_FILE is not valid"
    printf '%s\n' "$pid" >"$STARTED_MARKER"
    log "engine up (pid $pid, $(our_docker version -f '{{.Server.Version}}' 2>/dev/null || echo '?'))"
    print_env
}

# ------------------------------------------------------------------- stop --

# TERM, wait, then KILL; always by pid.
stop_pid() {
    local pid=$1 deadline=$((SECONDS + STOP_TIMEOUT))
    alive "$pid" || return 0
    kill -TERM "$pid" 2>/dev/null || true
    while alive "$pid"; do
        if ((SECONDS >= deadline)); then
            log "pid $pid still alive after ${STOP_TIMEOUT}s; sending KILL"
            kill -KILL "$pid" 2>/dev/null || true
            local kill_deadline=$((SECONDS + 5))
            while alive "$pid" && ((SECONDS < kill_deadline)); do sleep 0.2; done
            break
        fi
        sleep 0.2
    done
    # Reap it if it is our own child (start failure path).
    wait "$pid" 2>/dev/null || true
}

# dockerd normally takes down the containerd it started; after a KILL that
# containerd can be left behind, so stop it by its own pid file.
stop_managed_containerd() {
    local pidfile="$EXEC_ROOT/containerd/containerd.pid" pid
    [[ -r "$pidfile" ]] || return 0
    pid=$(<"$pidfile")
    [[ "$pid" =~ ^[0-9]+$ ]] || return 0
    if alive_as "$pid" containerd; then
        log "stopping leftover containerd (pid $pid)"
        stop_pid "$pid"
    fi
}

unmount_under() {
    local dir=$1 mnt
    # Deepest mounts first.
    while read -r mnt; do
        umount -l "$mnt" 2>/dev/null || true
    done < <(awk -v d="$dir" '$5 == d || index($5, d "/") == 1 { print $5 }' /proc/self/mountinfo | sort -r)
}

cmd_stop() {
    local purge=false arg
    for arg in "$@"; do
        case "$arg" in
            --purge) purge=true ;;
            *) die "stop: unknown option $arg" ;;
        esac
    done

    local pid=""
    pid=$(running_dockerd_pid) || pid=""

    if [[ ! -e "$STARTED_MARKER" ]]; then
        if [[ -n "$pid" ]]; then
            log "dockerd (pid $pid) was not started by this script; leaving it alone"
            $purge && log "not purging: the engine is in use"
            return 0
        fi
        log "no engine started by this script is running"
    elif [[ -z "$pid" ]]; then
        log "engine started by this script is no longer running"
    else
        log "stopping dockerd (pid $pid)"
        stop_pid "$pid"
        alive "$pid" && die "dockerd (pid $pid) did not stop"
        stop_managed_containerd
        log "stopped"
    fi
    rm -f "$STARTED_MARKER"

    if $purge && [[ -d "$BASE_DIR" ]]; then
        log "purging $BASE_DIR"
        unmount_under "$BASE_DIR"
        rm -rf --one-file-system "$BASE_DIR"
    fi
}

# ----------------------------------------------------------------- images --

image_docker() { DOCKER_HOST="$IMAGES_HOST" docker_cli "$@"; }

# Builds a busybox rootfs; prints nothing, fills directory $1.
make_busybox_rootfs() {
    local root=$1 path dir
    mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,etc,root,home,var/tmp,tmp,proc,sys,dev}
    chmod 1777 "$root/tmp" "$root/var/tmp"
    cp /bin/busybox "$root/bin/busybox"

    # --list-full gives each applet's usual location (bin/ls, usr/bin/awk...),
    # so both `#!/usr/bin/env sh` and `/bin/sh` resolve.
    while read -r path; do
        [[ -n "$path" && "$path" != bin/busybox ]] || continue
        dir=$(dirname "$path")
        mkdir -p "$root/$dir"
        ln -sf /bin/busybox "$root/$path"
    done < <(/bin/busybox --list-full)
    [[ -e "$root/bin/sh" ]] || ln -s /bin/busybox "$root/bin/sh"

    # Users and groups for id/whoami and for `--user` in tests.
    cat >"$root/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
EOF
    cat >"$root/etc/group" <<'EOF'
root:x:0:
nogroup:x:65534:
EOF
}

# Identifies what the image would be built from, so re-runs skip the build.
image_content_id() {
    {
        echo "layout=$IMAGE_LAYOUT_VERSION"
        sha256sum /bin/busybox
        /bin/busybox --list-full | sort
    } | sha256sum | cut -d' ' -f1
}

cmd_images() {
    # Same engine choice as start: a working DOCKER_HOST wins, else ours.
    IMAGES_HOST=$DOCKER_HOST_VALUE
    if [[ -n "${DOCKER_HOST:-}" ]] && engine_answers "$DOCKER_HOST"; then
        IMAGES_HOST=$DOCKER_HOST
    fi
    engine_answers "$IMAGES_HOST" ||
        die "engine at $IMAGES_HOST does not answer; run '$0 start' first"
    [[ -x /bin/busybox ]] || die "/bin/busybox missing; run '$0 start' first"

    local content current
    content=$(image_content_id)
    current=$(image_docker image inspect -f '{{index .Config.Labels "pipeliner.content"}}' "$TEST_IMAGE" 2>/dev/null || true)

    if [[ "$current" == "$content" ]]; then
        log "$TEST_IMAGE is up to date"
    else
        log "building $TEST_IMAGE"
        local root
        root=$(mktemp -d)
        # shellcheck disable=SC2064  # expand $root now
        trap "rm -rf '$root'" EXIT
        make_busybox_rootfs "$root"
        tar -C "$root" --numeric-owner --owner=0 --group=0 -c . |
            image_docker import \
                -c 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
                -c 'CMD ["sh"]' \
                -c "LABEL pipeliner.content=$content" \
                -m "pipeliner busybox test image" \
                - "$TEST_IMAGE" >/dev/null
        rm -rf "$root"
        trap - EXIT
    fi

    local id alias
    id=$(image_docker image inspect -f '{{.Id}}' "$TEST_IMAGE")
    for alias in "${IMAGE_ALIASES[@]}"; do
        if [[ "$(image_docker image inspect -f '{{.Id}}' "$alias" 2>/dev/null || true)" != "$id" ]]; then
            log "tagging $alias"
            image_docker tag "$TEST_IMAGE" "$alias"
        fi
    done
    log "images ready: $TEST_IMAGE ${IMAGE_ALIASES[*]} (${id:7:12})"
}

# ------------------------------------------------------------------- main --

usage() {
    sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$0" >&2
    exit "${1:-2}"
}

main() {
    local cmd=${1:-}
    (($# > 0)) && shift
    case "$cmd" in
        start) cmd_start "$@" ;;
        images) cmd_images "$@" ;;
        stop) cmd_stop "$@" ;;
        env) print_env ;;
        -h | --help | help) usage 0 ;;
        *) usage ;;
    esac
}

# Sourced (deploy/docker/build-offline.sh reuses make_busybox_rootfs): define the functions only.
if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
    main "$@"
fi
