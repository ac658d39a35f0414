#!/usr/bin/env bash
# nines-modtest, tested as a user runs it: every script of the examples
# (examples/*/*.modtest) and of tests/modtest/ passes, and every script of
# tests/modtest/fail/ fails at the line and with the reason its first line
# names ("# expect: FILE:LINE: REASON..."), so a harness that accepted a
# wrong reply, a missing log line or a differing snapshot would fail here.
set -u
build=${1:-build}
root=$(cd "$(dirname "$0")/.." && pwd)
mt="$build/nines-modtest -L $build/examples -L $build/tests/apps"
fail() { echo "FAIL: $*"; exit 1; }
n=0
for f in "$root"/examples/*/*.modtest "$root"/tests/modtest/*.modtest; do
    # The template is built and tested by its own Makefile (tests/packaging.sh).
    [[ $f == */examples/template/* ]] && continue
    out=$($mt "$f" 2>&1) || fail "$f: $out"
    n=$((n + 1))
done
for f in "$root"/tests/modtest/fail/*.modtest; do
    want=$(sed -n '1s/^# expect: //p' "$f")
    [ -n "$want" ] || fail "$f has no '# expect:' line"
    out=$($mt "$f" 2>&1) && fail "$f passed, it must fail with: $want"
    case "$out" in
    "$(dirname "$f")/$want"*) ;;
    *) fail "$f: expected '$want', got: $out" ;;
    esac
    n=$((n + 1))
done
# Bad usage is 2, with the usage line.
out=$($build/nines-modtest 2>&1); [ $? -eq 2 ] && [[ $out == usage:* ]] || fail "no usage without a script"
echo "ok: $n scripts (the examples', the harness's own, and $(ls "$root"/tests/modtest/fail/*.modtest | wc -l) that must fail)"
