#!/usr/bin/env bash
# Run every benchmark of a build, each printing its figures beside the
# floor or peer it is compared with, measured in the same run.
set -eu
build=${1:-build}
"$build/bench/bench_restart" "${NINES_BENCH_N:-1000}"
