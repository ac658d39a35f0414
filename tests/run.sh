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
# The daemon under valgrind (not in a sanitizer build: the two do not mix).
if [ -z "${NINES_SANITIZED:-}" ]; then
    if tests/valgrind_ninesd.sh "$build" >"$logdir/valgrind.log" 2>&1; then
        passed=$((passed + 1))
        echo "ok   valgrind_ninesd ($(tail -1 "$logdir/valgrind.log"))"
    else
        failed=$((failed + 1))
        broken+=(valgrind_ninesd)
        echo "FAIL valgrind_ninesd — log: $logdir/valgrind.log"
        head -20 "$logdir/valgrind.log" | sed 's/^/    /'
    fi
fi
echo "tests: $passed passed, $failed failed"
[ ${#broken[@]} -eq 0 ] && [ "$failed" -eq 0 ]
