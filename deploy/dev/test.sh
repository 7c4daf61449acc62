#!/usr/bin/env bash
# Runs every test of Pipeliner, after making sure everything the tests need is installed and running.
# On a new machine (as root) it installs and starts a private Docker engine and builds the test images;
# it stops the engine again if it started it. Under CI=true a missing prerequisite fails the run.
set -euo pipefail
cd "$(dirname "$0")/../.."

engine=deploy/dev/docker-engine.sh
DOCKER_HOST_LINE=$(bash "$engine" start)
eval "$DOCKER_HOST_LINE"
export DOCKER_HOST
trap 'bash "$engine" stop || true' EXIT
bash "$engine" images
# Node.js, the dashboard's npm packages and Chromium for the web tests.
bash deploy/dev/web-prerequisites.sh

# The webhook fixtures live beside the checkout, in ../shared.
if [[ -d ../shared/fixtures ]]; then
    export PIPELINER_SHARED_DIR
    PIPELINER_SHARED_DIR=$(cd ../shared && pwd)
fi

dotnet test Pipeliner.sln --configuration Release --logger "console;verbosity=normal" "$@"
