#!/usr/bin/env bash
# Measures the execution engine side by side with plain Docker, in one run, on this machine's engine:
#   1. orchestration overhead: 20 sequential trivial jobs vs 20 sequential `docker run` of the same image/commands
#   2. log throughput: one job printing 200 MB of text, stored and masked
#   3. parallelism: 8 independent `sleep 2` jobs with --parallel 8
# Usage: bash deploy/bench/engine-benchmarks.sh   (needs DOCKER_HOST, e.g. from deploy/dev/docker-engine.sh start)
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$(pwd)
: "${DOCKER_HOST:?start an engine first: eval \"\$(bash deploy/dev/docker-engine.sh start)\"}"
export DOCKER_HOST

now() { date +%s.%N; }
elapsed() { echo "$2 - $1" | bc; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# The CLI as README installs it: published ahead of time (ReadyToRun).
dotnet publish src/Pipeliner.Cli -c Release --use-current-runtime --self-contained false -o "$work/cli" -nologo -v q >/dev/null
pipeliner() { "$work/cli/pipeliner" "$@"; }
make_repo() { # $1 dir, stdin: pipeline
    mkdir -p "$1" && cat > "$1/.pipeliner.yml"
    git -C "$1" init -q -b main && git -C "$1" add -A
    git -C "$1" -c user.name=bench -c user.email=bench@localhost commit -qm bench
}

# 1. Overhead -----------------------------------------------------------------
{
    echo "stages: [$(seq -s, -f 's%g' 1 20)]"
    echo "defaults: { image: alpine:3 }"
    echo "jobs:"
    for i in $(seq 1 20); do printf '  j%d: { stage: s%d, script: ["echo job %d"] }\n' "$i" "$i" "$i"; done
} | make_repo "$work/seq"
pipeliner run --repo "$work/seq" --data "$work/seq-data" --parallel 1 >/dev/null   # warm-up: mirror, JIT caches
docker run --rm alpine:3 sh -c 'echo warm' >/dev/null

runs=3
for r in $(seq 1 $runs); do
    t0=$(now); for i in $(seq 1 20); do docker run --rm alpine:3 sh -c "echo job $i" >/dev/null; done; t1=$(now)
    docker_times+=("$(elapsed "$t0" "$t1")")
    t0=$(now); pipeliner run --repo "$work/seq" --data "$work/seq-data" --parallel 1 >/dev/null; t1=$(now)
    pipeliner_times+=("$(elapsed "$t0" "$t1")")
done
median() { printf '%s\n' "$@" | sort -n | sed -n "$(( ($# + 1) / 2 ))p"; }
d=$(median "${docker_times[@]}"); p=$(median "${pipeliner_times[@]}")
printf '1. overhead, 20 sequential jobs (median of %d): docker run %.2f s, pipeliner run %.2f s, ratio %.2f\n' \
    "$runs" "$d" "$p" "$(echo "$p / $d" | bc -l)"
printf '   all runs: docker [%s] pipeliner [%s]\n' "${docker_times[*]}" "${pipeliner_times[*]}"

# 2. Log throughput -----------------------------------------------------------
# 200 MB: lines of 100 bytes, the secret in every 1,000th one; a 1.6 MB block repeated (cheap for the container, so
# the figure is about moving and storing the output, not about producing it).
producer='b=/tmp/block; { yes xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx | head -n 999; echo "token $TOKEN pad pad pad"; } > $b; for i in 1 2 3 4; do cat $b $b > $b.2; mv $b.2 $b; done; while cat $b; do :; done | head -c 200000000'
make_repo "$work/log" <<YAML
stages: [log]
jobs:
  big:
    stage: log
    image: alpine:3
    secrets: [TOKEN]
    script:
      - '${producer}'
YAML
secret=hunter2-bench-secret
t0=$(now); docker run --rm -e TOKEN=$secret alpine:3 sh -c "$producer" > "$work/docker.log"; t1=$(now)
docker_log=$(elapsed "$t0" "$t1")
t0=$(now)
pipeliner run --repo "$work/log" --data "$work/log-data" --secret TOKEN=$secret >/dev/null
t1=$(now)
log=$(find "$work/log-data/runs" -name '1.log' | head -1)
bytes=$(stat -c %s "$log"); lines=$(wc -l < "$log")
leaks=$(grep -c "$secret" "$log" || true); masked=$(grep -c 'token \*\*\*' "$log" || true)
t=$(elapsed "$t0" "$t1")
printf '2. log throughput, 200 MB of output: docker run > file %.2f s (%.0f MB/s); pipeliner run %.2f s = %.0f MB/s (whole run, stored, timestamped, masked)\n' \
    "$docker_log" "$(echo "200 / $docker_log" | bc -l)" "$t" "$(echo "200 / $t" | bc -l)"
printf '   log file %d MB, %d lines, %d masked, %d leaks\n' "$((bytes / 1000000))" "$lines" "$masked" "$leaks"

# 3. Parallelism --------------------------------------------------------------
{
    echo "stages: [p]"
    echo "defaults: { image: alpine:3 }"
    echo "jobs:"
    for i in $(seq 1 8); do printf '  s%d: { stage: p, script: ["sleep 2"] }\n' "$i"; done
} | make_repo "$work/par"
pipeliner run --repo "$work/par" --data "$work/par-data" --parallel 8 >/dev/null
t0=$(now); for i in $(seq 1 8); do docker run --rm alpine:3 sleep 2 >/dev/null & done; wait; t1=$(now)
docker_par=$(elapsed "$t0" "$t1")
t0=$(now); pipeliner run --repo "$work/par" --data "$work/par-data" --parallel 8 >/dev/null; t1=$(now)
printf '3. parallelism, 8 x sleep 2: 8 concurrent docker run %.2f s; pipeliner run --parallel 8 %.2f s (whole process, incl. start)\n' \
    "$docker_par" "$(elapsed "$t0" "$t1")"
