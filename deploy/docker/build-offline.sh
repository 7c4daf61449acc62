#!/usr/bin/env bash
# Builds the server and agent images on this machine, without a registry: the same images as server.Dockerfile and
# agent.Dockerfile, which need the official .NET images from mcr.microsoft.com.
#
# Usage: build-offline.sh [--tag TAG] [--force]
#
#   Publishes src/Pipeliner.Server and src/Pipeliner.Cli self-contained for linux-x64, puts each into a root file
#   system made of this machine's busybox (as deploy/dev/docker-engine.sh builds the test images) and the shared
#   libraries the published files need, copied from this machine (glibc, libstdc++, OpenSSL; git and ssh for the
#   server), and `docker import`s them as pipeliner/server:TAG and pipeliner/agent:TAG (default TAG: dev, or
#   $PIPELINER_IMAGE_TAG). User, environment, working directory, ports, volumes, entrypoint and command are read from
#   the final stage of the Dockerfile, so both builds start the same way.
#
#   An image whose label pipeliner.content matches its inputs (the sources, the Dockerfile, this script, busybox, the
#   host's libraries and SDK) is kept: a run with nothing changed takes a second or two. --force rebuilds anyway.
#   Engine: DOCKER_HOST when it answers, else the private engine of deploy/dev/docker-engine.sh. Progress goes to
#   stderr. Build output is kept under artifacts/offline-images/ (git-ignored), so rebuilds are incremental.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
# make_busybox_rootfs, docker_cli, engine_answers and the private engine's address.
# shellcheck source=../dev/docker-engine.sh
source "$repo/deploy/dev/docker-engine.sh"

RID=linux-x64
# Bump when the root file systems built below change.
LAYOUT_VERSION=1
# The account the images run as (as in the Dockerfiles and deploy/kubernetes/).
APP_UID=10001
ARTIFACTS="$repo/artifacts/offline-images"
BASE_PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
# Loaded with dlopen by the .NET runtime (crypto, TLS), so ldd cannot see them.
DLOPENED_LIBS=(libssl.so.3 libcrypto.so.3)

log() { printf 'build-offline: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

tag=${PIPELINER_IMAGE_TAG:-dev}
force=false
while (($# > 0)); do
    case "$1" in
        --tag) tag=${2:?--tag needs a value}; shift 2 ;;
        --force) force=true; shift ;;
        -h | --help) sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$0" >&2; exit 0 ;;
        *) die "unknown argument $1 (see --help)" ;;
    esac
done

IMAGES_HOST=$DOCKER_HOST_VALUE
if [[ -n "${DOCKER_HOST:-}" ]] && engine_answers "$DOCKER_HOST"; then IMAGES_HOST=$DOCKER_HOST; fi
engine_answers "$IMAGES_HOST" || die "no Docker engine answers at $IMAGES_HOST: run 'bash deploy/dev/docker-engine.sh start' first"
idocker() { DOCKER_HOST="$IMAGES_HOST" docker_cli "$@"; }
[[ -x /bin/busybox ]] || die "/bin/busybox is missing: run 'bash deploy/dev/docker-engine.sh start' (it installs busybox-static)"
command -v dotnet >/dev/null || die "dotnet is missing: install the .NET 10 SDK"

# ----------------------------------------------------------------- inputs --

# Files under the given paths of the repository, without build output, with their SHA-256.
hash_tree() {
    (cd "$repo" && find "$@" \( -name bin -o -name obj -o -name node_modules -o -name dist \) -prune -o -type f -print0 |
        LC_ALL=C sort -z | xargs -0 sha256sum)
}

# $1: image name (server|agent); the rest: source paths it is built from.
content_id() {
    local name=$1; shift
    {
        echo "layout=$LAYOUT_VERSION rid=$RID uid=$APP_UID name=$name"
        dotnet --version
        sha256sum /bin/busybox "$here/build-offline.sh" "$here/$name.Dockerfile" "$repo/deploy/dev/docker-engine.sh"
        hash_tree global.json Directory.Build.props Directory.Packages.props "$@"
        dpkg-query -W libc6 libstdc++6 libgcc-s1 libssl3 git openssh-client ca-certificates 2>/dev/null || true
    } | sha256sum | cut -d' ' -f1
}

image_is_current() { # image content
    [[ "$(idocker image inspect -f '{{index .Config.Labels "pipeliner.content"}}' "$1" 2>/dev/null || true)" == "$2" ]]
}

# ---------------------------------------------------------------- publish --

publish() { # project output
    log "dotnet publish $1 ($RID, self-contained)"
    rm -rf "$2"
    # Its own artifacts path: the checkout's bin/ and obj/ (and a test run using them) are left alone.
    dotnet publish "$repo/$1" -c Release -r "$RID" --self-contained true --nologo -v quiet \
        --artifacts-path "$ARTIFACTS/build" -o "$2" -p:DebugType=none -p:GenerateDocumentationFile=false >&2 ||
        die "dotnet publish $1 failed"
}

# -------------------------------------------------------------- root fs --

# Copies a file of this machine to the same path in the root file system (symbolic links resolved).
copy_host_file() { # rootfs path
    local target="$1$2"
    [[ -e "$target" ]] && return 0
    mkdir -p "$(dirname "$target")"
    cp -L "$2" "$target"
}

# The shared libraries an ELF file needs, as ldd resolves them here; nothing for files that are not ELF.
needed_libs() {
    [[ "$(head -c 4 "$1" 2>/dev/null | od -An -c | tr -d ' ')" == '177ELF' ]] || return 0
    local out
    out=$(ldd "$1" 2>/dev/null) || return 0
    # The runtime's LTTng trace provider is only loaded when tracing is asked for; the official images lack LTTng too.
    if grep -q 'not found' <<<"$out" && [[ "$(basename "$1")" != libcoreclrtraceptprovider.so ]]; then
        log "warning: $1 needs libraries this machine lacks: $(grep 'not found' <<<"$out" | awk '{print $1}' | paste -sd' ')"
    fi
    awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }' <<<"$out"
}

# Copies each ELF file's libraries (and theirs: ldd lists the whole closure) into the root file system.
copy_libs_for() { # rootfs files...
    local rootfs=$1 file lib; shift
    for file in "$@"; do
        while read -r lib; do
            [[ -n "$lib" ]] && copy_host_file "$rootfs" "$lib"
        done < <(needed_libs "$file")
    done
}

# Path of a library by its soname, from the host's loader cache.
host_lib() {
    ldconfig -p | awk -v n="$1" '$1 == n && /x86-64/ && !found { print $NF; found = 1 }'  # no early exit: SIGPIPE under pipefail
}

# $1 rootfs, $2 where the app goes, $3 published files, $4 the account's home, then host programs to include.
make_rootfs() {
    local rootfs=$1 app_dir=$2 published=$3 home=$4; shift 4
    make_busybox_rootfs "$rootfs"
    mkdir -p "$rootfs$app_dir"
    cp -a "$published/." "$rootfs$app_dir/"

    local -a elf_files
    mapfile -t elf_files < <(find "$rootfs$app_dir" -type f \( -name '*.so' -o -perm -u+x \))
    copy_libs_for "$rootfs" "${elf_files[@]}"
    local lib path
    for lib in "${DLOPENED_LIBS[@]}"; do
        path=$(host_lib "$lib")
        [[ -n "$path" ]] || die "$lib is not installed here (Debian: libssl3)"
        copy_host_file "$rootfs" "$path"
        copy_libs_for "$rootfs" "$path"
    done

    local program
    for program in "$@"; do
        path=$(command -v "$program" || true)
        if [[ -z "$path" ]]; then
            log "warning: $program is not installed here; the image will lack it"
            continue
        fi
        copy_host_file "$rootfs" "$path"
        copy_libs_for "$rootfs" "$path"
    done
    # git runs some of its commands as git itself, from its exec path.
    if [[ -e "$rootfs/usr/bin/git" ]]; then
        mkdir -p "$rootfs/usr/lib/git-core"
        ln -sf /usr/bin/git "$rootfs/usr/lib/git-core/git"
    fi

    # TLS to forges and OIDC providers: the host's certificate authorities.
    [[ -f /etc/ssl/certs/ca-certificates.crt ]] && copy_host_file "$rootfs" /etc/ssl/certs/ca-certificates.crt
    # Library directories for the loader (libraries opened by name, e.g. libssl.so.3).
    printf '%s\n' /lib/x86_64-linux-gnu /usr/lib/x86_64-linux-gnu /lib64 /usr/lib >"$rootfs/etc/ld.so.conf"
    ldconfig -r "$rootfs"
    printf 'hosts: files dns\n' >"$rootfs/etc/nsswitch.conf"

    printf 'pipeliner:x:%d:%d:pipeliner:%s:/bin/false\n' "$APP_UID" "$APP_UID" "$home" >>"$rootfs/etc/passwd"
    printf 'pipeliner:x:%d:\n' "$APP_UID" >>"$rootfs/etc/group"
    mkdir -p "$rootfs$home"
    chown -R 0:0 "$rootfs"
    chown "$APP_UID:$APP_UID" "$rootfs$home"
    chmod 700 "$rootfs$home"
}

# The final stage's ENV, USER, WORKDIR, EXPOSE, VOLUME, ENTRYPOINT and CMD of a Dockerfile, one instruction a line.
final_stage_config() {
    awk '/^[[:space:]]*#/ { next }
         { buf = buf $0 }
         /\\[[:space:]]*$/ { sub(/\\[[:space:]]*$/, " ", buf); next }
         { print buf; buf = "" }' "$1" |
        awk 'toupper($1) == "FROM" { n = 0; next }
             toupper($1) ~ /^(ENV|USER|WORKDIR|EXPOSE|VOLUME|ENTRYPOINT|CMD)$/ { lines[n++] = $0 }
             END { for (i = 0; i < n; i++) print lines[i] }'
}

import_image() { # rootfs dockerfile image content
    local -a changes=(-c "ENV PATH=$BASE_PATH")
    local line
    while read -r line; do
        changes+=(-c "$line")
    done < <(final_stage_config "$2")
    changes+=(-c "LABEL pipeliner.content=$4" -c "LABEL org.opencontainers.image.title=$3")
    tar -C "$1" --numeric-owner -c . |
        idocker import "${changes[@]}" -m "pipeliner offline build ($(basename "$2"))" - "$3" >/dev/null
}

# ------------------------------------------------------------------ build --

build_image() { # name project app_dir home content programs...
    local name=$1 project=$2 app_dir=$3 home=$4 content=$5; shift 5
    local image="pipeliner/$name:$tag"
    if ! $force && image_is_current "$image" "$content"; then
        log "$image is up to date"
        return 0
    fi
    local published="$ARTIFACTS/publish/$name" rootfs previous
    previous=$(idocker image inspect -f '{{.Id}}' "$image" 2>/dev/null || true)
    publish "$project" "$published"
    rootfs=$(mktemp -d "${TMPDIR:-/tmp}/pipeliner-rootfs-$name.XXXXXX")
    # shellcheck disable=SC2064  # expand $rootfs now
    trap "rm -rf '$rootfs'" EXIT
    log "root file system for $image"
    make_rootfs "$rootfs" "$app_dir" "$published" "$home" "$@"
    import_image "$rootfs" "$here/$name.Dockerfile" "$image" "$content"
    rm -rf "$rootfs"
    trap - EXIT
    # The image this one replaces, unless a container or another tag still uses it.
    if [[ -n "$previous" && "$previous" != "$(idocker image inspect -f '{{.Id}}' "$image")" ]]; then
        idocker image rm "$previous" >/dev/null 2>&1 || true
    fi
    log "$image built ($(idocker image inspect -f '{{.Size}}' "$image" | awk '{ printf "%d MB", $1 / 1000000 }'))"
}

[[ $EUID -eq 0 ]] || die "must run as root (the root file systems hold files of another owner)"
mkdir -p "$ARTIFACTS"

build_image server src/Pipeliner.Server/Pipeliner.Server.csproj /app /data \
    "$(content_id server src web/src web/public web/scripts web/index.html web/package.json web/package-lock.json web/tsconfig.json web/vite.config.ts)" \
    git ssh ssh-keygen
build_image agent src/Pipeliner.Cli/Pipeliner.Cli.csproj /opt/pipeliner /var/lib/pipeliner-agent \
    "$(content_id agent src)"
log "images ready: pipeliner/server:$tag pipeliner/agent:$tag"
