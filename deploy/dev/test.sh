#!/usr/bin/env bash
# Runs every test of Pipeliner, after making sure everything the tests need is installed and running.
# On a new machine (as root) it installs and starts a private Docker engine and builds the test images, and a private
# PostgreSQL (deploy/dev/postgres.sh);
# it stops the engine again if it started it. Under CI=true a missing prerequisite fails the run.
set -euo pipefail
cd "$(dirname "$0")/../.."

# Each step's start and the time since the run's, so a slow run shows where its time went.
# They are repeated in the summary at the end: a CI that keeps only the output's tail still shows them.
phases=()
phase() { phases+=("=== $(date -u +%H:%M:%S) (+$SECONDS s) $*"); echo "${phases[-1]}"; }

phase "Docker engine"
engine=deploy/dev/docker-engine.sh
# An engine that already answers (a developer's, or another checkout's) is used and left running.
engine_was_running=false
if DOCKER_HOST="$(bash "$engine" env | sed 's/^export DOCKER_HOST=//')" docker info >/dev/null 2>&1; then
    engine_was_running=true
fi
DOCKER_HOST_LINE=$(bash "$engine" start)
eval "$DOCKER_HOST_LINE"
export DOCKER_HOST
if [[ $engine_was_running == false ]]; then
    trap 'bash "$engine" stop || true' EXIT
fi
bash "$engine" images
phase "prerequisites: Node.js and Chromium, git and sshd, Ansible, docker-compose"
# Node.js, the dashboard's npm packages and Chromium for the web tests.
bash deploy/dev/web-prerequisites.sh
# git and OpenSSH's server for the private-repository tests (git over HTTP and SSH on 127.0.0.1).
bash deploy/dev/git-prerequisites.sh
# ansible-playbook for the Ansible hand-off sample and the agent's role.
bash deploy/dev/ansible.sh
# docker-compose, whose `config` validates deploy/compose/compose.yaml in the deploy tests.
bash deploy/dev/compose.sh
phase "images"
# pipeliner/server:dev and pipeliner/agent:dev, built offline (the image tests and the containerized agent's end to
# end test use them); skipped when their inputs are unchanged. After git-prerequisites: the server image holds git and ssh.
bash deploy/docker/build-offline.sh
phase "PostgreSQL"
# A private PostgreSQL on 127.0.0.1 for the tests that run on both database providers (left running: it is cheap,
# and `deploy/dev/postgres.sh stop` stops it). A PostgreSQL that cannot be installed or started fails the run.
export PIPELINER_TEST_POSTGRES
PIPELINER_TEST_POSTGRES=$(bash deploy/dev/postgres.sh start)

# The webhook fixtures live beside the checkout, in ../shared.
if [[ -d ../shared/fixtures ]]; then
    export PIPELINER_SHARED_DIR
    PIPELINER_SHARED_DIR=$(cd ../shared && pwd)
fi

phase "build"
dotnet build Pipeliner.sln --configuration Release -nologo -clp:ErrorsOnly
phase "tests"
# The suites run in parallel and their output interleaves: the failures are repeated at the end, where they are seen.
# dotnet test starts the test projects in the solution's order, one per core: Pipeliner.sln lists the longest,
# Pipeliner.Server.Tests (the run's critical path), then Pipeliner.Web.Tests first, and the short ones after them.
output=$(mktemp)
set +e
dotnet test Pipeliner.sln --configuration Release --no-build --logger "console;verbosity=normal" "$@" 2>&1 | tee "$output"
status=${PIPESTATUS[0]}
set -e
phase "tests done"
echo "=== summary: exit code $status"
printf '%s\n' "${phases[@]}"
grep -E "^\s*Total time:|^(Passed|Failed)!" "$output" || true
grep -E "^(Total tests|\s+(Passed|Failed|Skipped)):" "$output" | paste -sd' ' | sed 's/Total tests/\nTotal tests/g' || true
grep -E "error [A-Z]+[0-9]+:|Test Run (Failed|Aborted)|test run was aborted" "$output" | sort -u | head -50 || true
# Each failed test with the first lines of its error message and stack trace.
awk '/^[[:space:]]+Failed [A-Za-z_][A-Za-z0-9_]*\./ { shown = 0; printing = 1 }
     /^[[:space:]]+(Passed|Skipped) [A-Za-z_][A-Za-z0-9_]*\./ { printing = 0 }
     printing && shown < 25 { print; shown++ }' "$output" | head -300 || true
rm -f "$output"
# The browser tests' screenshots (desktop and phone widths), kept as the run's test artifacts.
if [[ -d artifacts/screenshots ]]; then
    echo "=== screenshots: $(find artifacts/screenshots -name '*.png' | wc -l) in $(pwd)/artifacts/screenshots/"
fi
exit "$status"
