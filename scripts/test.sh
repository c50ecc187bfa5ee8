#!/bin/bash
# What CI runs: installs missing dependencies, configures and builds cove in build/, then runs
# every test (unit and integration) with ctest. The exit status is ctest's, and ctest's summary
# is the last thing printed.
#
# Environment: BUILD_DIR (default build), CMAKE_BUILD_TYPE (default RelWithDebInfo),
# CTEST_ARGS (extra ctest arguments, e.g. "-L unit"), JOBS (build and test parallelism, default
# nproc: the integration suites each use their own registry, store and temp dir).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${BUILD_DIR:-$root/build}
jobs=${JOBS:-$(nproc)}

echo "== installing dependencies"
"$root/scripts/install-deps.sh"  # uses sudo itself when something is missing and we are not root

echo "== configuring $build"
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE="${CMAKE_BUILD_TYPE:-RelWithDebInfo}" \
  -DBUILD_TESTING=ON >/dev/null

echo "== building with $jobs jobs"
cmake --build "$build" -j "$jobs"

echo "== running tests"
cd "$build"
# shellcheck disable=SC2086
exec ctest --output-on-failure -j "$jobs" ${CTEST_ARGS:-}
