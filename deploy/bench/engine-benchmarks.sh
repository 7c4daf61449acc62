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

dotnet build src/Pipeliner.Cli -c Release -nologo -v q >/dev/null
pipeliner() { dotnet "$root/src/Pipeliner.Cli/bin/Release/net10.0/pipeliner.dll" "$@"; }
now() { date +%s.%N; }
elapsed() { echo "$2 - $1" | bc; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
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
make_repo "$work/log" <<'YAML'
stages: [log]
jobs:
  big:
    stage: log
    image: alpine:3
    secrets: [TOKEN]
    # 200 MB: 2,000,000 lines of 100 bytes, with the secret in every 1,000th line.
    script:
      - yes 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx' | head -n 2000000 | awk -v s="$TOKEN" 'NR % 1000 == 0 { print "token " s; next } { print }'
YAML
t0=$(now)
pipeliner run --repo "$work/log" --data "$work/log-data" --secret TOKEN=hunter2-bench-secret >/dev/null
t1=$(now)
log=$(find "$work/log-data/runs" -name '1.log' | head -1)
bytes=$(stat -c %s "$log"); lines=$(wc -l < "$log")
leaks=$(grep -c 'hunter2-bench-secret' "$log" || true); masked=$(grep -c 'token \*\*\*' "$log" || true)
t=$(elapsed "$t0" "$t1")
printf '2. log throughput: 200 MB of output in %.2f s = %.0f MB/s (whole run); log file %d MB, %d lines, %d masked, %d leaks\n' \
    "$t" "$(echo "200 / $t" | bc -l)" "$((bytes / 1000000))" "$lines" "$masked" "$leaks"

# 3. Parallelism --------------------------------------------------------------
{
    echo "stages: [p]"
    echo "defaults: { image: alpine:3 }"
    echo "jobs:"
    for i in $(seq 1 8); do printf '  s%d: { stage: p, script: ["sleep 2"] }\n' "$i"; done
} | make_repo "$work/par"
pipeliner run --repo "$work/par" --data "$work/par-data" --parallel 8 >/dev/null
t0=$(now); pipeliner run --repo "$work/par" --data "$work/par-data" --parallel 8 >/dev/null; t1=$(now)
printf '3. parallelism: 8 x sleep 2 with --parallel 8 in %.2f s (whole pipeliner run, incl. process start)\n' "$(elapsed "$t0" "$t1")"
