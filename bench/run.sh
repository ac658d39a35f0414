#!/usr/bin/env bash
# Run every benchmark of a build, each printing its figures beside the
# floor or target it is compared with, measured in the same run.
set -eu
build=${1:-build}
"$build/bench/bench_restart" "${NINES_BENCH_N:-1000}"
echo
"$build/bench/bench_death" "${NINES_BENCH_DEATHS:-300}"
echo
"$build/bench/bench_spawn" "${NINES_BENCH_SPAWN_MAX:-10000}" "${NINES_BENCH_SPAWN_RESTARTS:-200}"
echo
"$build/bench/bench_calls" "${NINES_BENCH_CALLS:-20000}"
echo
"$build/bench/bench_flow" "${NINES_BENCH_FLOW_CALLS:-20000}" "${NINES_BENCH_FLOW_CASTS:-50000}"
echo
"$build/bench/bench_status" "${NINES_BENCH_STATUS_RUNS:-50}"
echo
"$build/bench/bench_notify" "${NINES_BENCH_NOTIFY_ROUNDS:-6}" "${NINES_BENCH_NOTIFY_N:-20000}"
echo
"$build/bench/bench_lookup" "${NINES_BENCH_LOOKUP_CALLS:-40000}"
echo
# 1,000,000 by default, as issue 11 asks: about 40 minutes on the 2-CPU VM.
"$build/bench/bench_reclaim" "${NINES_BENCH_RECLAIM:-1000000}"
echo
"$build/bench/bench_upgrade" "${NINES_BENCH_SWAPS:-50}" "${NINES_BENCH_CHANGES:-100}" "${NINES_BENCH_CONNS:-100}" \
    "${NINES_BENCH_CRASHES:-10}"
echo
"$build/bench/bench_rollback" "${NINES_BENCH_ROLLBACK_ROUNDS:-5}"
echo
"$build/bench/bench_release" "${NINES_BENCH_RELEASE_ROUNDS:-20}" "${NINES_BENCH_RELEASE_LOADERS:-4}"
