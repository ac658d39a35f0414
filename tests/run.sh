#!/usr/bin/env bash
# Run every test program of a build and print one closing line:
# "tests: N passed, N failed". Unit tests (test_*) run first, then the
# integration tests (itest_*), which start the real ninesd.
set -u
build=${1:-build}
passed=0 failed=0 broken=()
logdir="$build/test-logs"
mkdir -p "$logdir"
for t in "$build"/tests/test_* "$build"/tests/itest_*; do
    [ -x "$t" ] || continue
    name=$(basename "$t")
    log="$logdir/$name.log"
    timeout 600 "$t" >"$log" 2>&1
    rc=$?
    p=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test(s)\./\1/p' "$log" | awk '{s+=$1} END {print s+0}')
    f=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test(s).*/\1/p' "$log" | awk '{s+=$1} END {print s+0}')
    passed=$((passed + p)) failed=$((failed + f))
    if [ "$rc" -ne 0 ]; then
        # A crash or timeout that cmocka could not count is still a failure.
        [ "$f" -eq 0 ] && failed=$((failed + 1))
        broken+=("$name")
        echo "FAIL $name (exit $rc, $p passed, $f failed) — log: $log"
        grep -E '^\[  (FAILED|  ERROR) \]|error:|Assertion|Sanitizer' "$log" | head -20 | sed 's/^/    /'
    else
        echo "ok   $name ($p passed)"
    fi
done
# The README's release walkthrough, under load, as a user runs it.
if examples/releases/walkthrough.sh "$build" >"$logdir/walkthrough.log" 2>&1; then
    passed=$((passed + 1))
    echo "ok   walkthrough ($(tail -1 "$logdir/walkthrough.log" | sed 's/\x1b\[[0-9;]*m//g; s/^\$ //'))"
else
    failed=$((failed + 1))
    broken+=(walkthrough)
    echo "FAIL walkthrough — log: $logdir/walkthrough.log"
    tail -20 "$logdir/walkthrough.log" | sed 's/^/    /'
fi
# Modules tested without ninesd: the examples' scripts and the harness's
# own (tests/modtest.sh), sanitizer build included.
if tests/modtest.sh "$build" >"$logdir/modtest.log" 2>&1; then
    passed=$((passed + 1))
    echo "ok   modtest ($(tail -1 "$logdir/modtest.log"))"
else
    failed=$((failed + 1))
    broken+=(modtest)
    echo "FAIL modtest — log: $logdir/modtest.log"
    tail -20 "$logdir/modtest.log" | sed 's/^/    /'
fi
# The daemon under valgrind (not in a sanitizer build: the two do not mix),
# what `make install` lays (tests/packaging.sh) and ninesd under a real
# systemd booted in namespaces (tests/systemd_boot.sh), and the deployment
# examples (tests/deploy_examples.sh).
if [ -z "${NINES_SANITIZED:-}" ]; then
    for script in tests/valgrind_ninesd.sh tests/valgrind_releases.sh tests/packaging.sh tests/systemd_boot.sh \
                  tests/deploy_examples.sh tests/pid1.sh tests/journal.sh tests/top.sh \
                  tests/metrics.sh tests/dashboard.sh; do
        name=$(basename "$script" .sh)
        if "$script" "$build" >"$logdir/$name.log" 2>&1; then
            passed=$((passed + 1))
            echo "ok   $name ($(tail -1 "$logdir/$name.log"))"
        else
            failed=$((failed + 1))
            broken+=("$name")
            echo "FAIL $name — log: $logdir/$name.log"
            head -20 "$logdir/$name.log" | sed 's/^/    /'
        fi
    done
fi
# Each fuzz target for a bounded time (NINES_FUZZ_SECONDS, 10 by default),
# counted as one test. It runs on a copy of its seed corpus in the build
# folder, since libFuzzer writes what it finds into the corpus it is given;
# a crash leaves its input in the test logs. Not in a sanitizer build: the
# targets carry their own sanitizers (and the Makefile does not build them).
if [ -z "${NINES_SANITIZED:-}" ]; then
    for fz in "$build"/fuzz/fuzz_*; do
        [ -x "$fz" ] || continue
        name=$(basename "$fz")
        log="$logdir/$name.log"
        corpus="$build/fuzz-corpus/${name#fuzz_}"
        rm -rf "$corpus" "$logdir/$name"-crash-* "$logdir/$name"-leak-* "$logdir/$name"-oom-* \
               "$logdir/$name"-timeout-*
        mkdir -p "$corpus"
        cp "$(dirname "$0")/fuzz/corpus/${name#fuzz_}"/* "$corpus"/ 2>/dev/null
        timeout 300 "$fz" -max_total_time="${NINES_FUZZ_SECONDS:-10}" -rss_limit_mb=1024 -timeout=10 \
            -print_final_stats=1 -artifact_prefix="$logdir/$name-" "$corpus" >"$log" 2>&1
        rc=$?
        runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
        rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
        if [ "$rc" -eq 0 ]; then
            passed=$((passed + 1))
            echo "ok   $name (${runs:-?} runs, ${rate:-?}/s)"
        else
            failed=$((failed + 1))
            broken+=("$name")
            echo "FAIL $name (exit $rc) — log: $log"
            grep -E 'ERROR:|invariant broken|SUMMARY|deadly signal' "$log" | head -10 | sed 's/^/    /'
            for a in "$logdir/$name"-*; do
                [ -f "$a" ] && echo "    input that failed: $a (replay: $fz $a)"
            done
        fi
    done
fi
echo "tests: $passed passed, $failed failed"
[ ${#broken[@]} -eq 0 ] && [ "$failed" -eq 0 ]
