#!/usr/bin/env bash
# ninesd as PID 1 of a PID namespace (`unshare --pid --fork --mount-proc`,
# as in a container): every orphan is reaped — those of the tree's own
# programs, in their group or out of it (setsid), and those of a process
# entered from outside (nsenter, as `docker exec` does) — so no <defunct>
# is left; SIGTERM sent from inside the namespace (kill 1) and SIGINT stop
# the tree in order, last started first, exit 0; a root that gives up
# exits 1, passed on by unshare as a container runtime would. Two of them
# in one network namespace (a pod's containers) run side by side.
#   tests/pid1.sh BUILD
set -uo pipefail
build=$(cd "${1:-build}" && pwd)
skip() { echo "ok: skipped: $*"; exit 0; }
fail() { echo "FAIL: $*"; [ -n "${log:-}" ] && tail -5 "$log"; exit 1; }
[ "$(id -u)" -eq 0 ] || skip "not root (unshare --pid needs it)"
command -v unshare >/dev/null && command -v nsenter >/dev/null || skip "no unshare/nsenter"
d=$(mktemp -d /tmp/nines-pid1-XXXXXX)
pids=()
cleanup() { for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null; done; wait 2>/dev/null; rm -rf "$d"; }
trap cleanup EXIT
wait_for() { # FILE PATTERN
    for _ in $(seq 200); do grep -q "$2" "$1" 2>/dev/null && return 0; sleep 0.05; done
    fail "no '$2' in $1"
}
# Start ninesd as PID 1 on tree $1, log to $2, control socket $3 (by
# default $d/sock); sets unshare_pid and pid1. unshare's end kills it.
start() {
    log=$2
    unshare --pid --fork --mount-proc --kill-child "$build/ninesd" --worker "$build/nines-worker" \
        --log-target stderr --socket "${3:-$d/sock}" "$1" 2>"$log" &
    unshare_pid=$!
    pids+=("$unshare_pid")
    pid1=""
    for _ in $(seq 100); do
        pid1=$(pgrep -P "$unshare_pid" -x ninesd) && break
        sleep 0.05
    done
    [ -n "$pid1" ] || fail "no ninesd under unshare"
    grep -q '^NSpid:.*[[:space:]]1$' "/proc/$pid1/status" || fail "ninesd is not PID 1 of its namespace"
}
# PID 1's children that are zombies, and processes named `sleep 1.01`.
zombies() {
    local n=0 c
    for c in $(cat /proc/"$pid1"/task/*/children 2>/dev/null); do
        [ "$(awk '{print $3}' "/proc/$c/stat" 2>/dev/null)" = Z ] && n=$((n + 1))
    done
    echo "$n"
}
short_sleeps() { pgrep -f -x 'sleep 1.01' | wc -l; }

# --- orphans of every kind, reaped
cat >"$d/tree.yaml" <<'YAML'
supervisor:
  children:
    - id: first
      exec: [/bin/sleep, '1000']
    - id: orphans
      exec: [/bin/sh, -c, 'for i in 1 2 3 4 5 6 7 8 9 10; do (sleep 1.01 &); (setsid sleep 1.01 &); done; exec sleep 1000']
    - id: last
      exec: [/bin/sleep, '1000']
YAML
start "$d/tree.yaml" "$d/orphans.log"
wait_for "$log" event=tree_started
# From outside, as docker exec: a shell that leaves orphans behind.
nsenter -t "$pid1" -p -m sh -c 'for i in 1 2 3 4 5; do (sleep 1.01 &); done' || fail "nsenter into the namespace"
# tree_started comes when the shell is running, not when it has forked
# its orphans: wait for them (they live 1.01 s).
for _ in $(seq 100); do
    seen=$(short_sleeps)
    [ "$seen" -ge 10 ] && break
    sleep 0.01
done
[ "$seen" -ge 10 ] || fail "only $seen orphans running (expected 25)"
for _ in $(seq 120); do
    [ "$(short_sleeps)" = 0 ] && [ "$(zombies)" = 0 ] && break
    sleep 0.05
done
[ "$(short_sleeps)" = 0 ] || fail "$(short_sleeps) orphans still running after 6 s"
[ "$(zombies)" = 0 ] || fail "$(zombies) zombies left under PID 1: $(ps -o pid,stat,comm --ppid "$pid1")"
# A second ninesd as PID 1 of another PID namespace in the same network
# namespace (two containers of a pod): nothing of theirs collides.
first_unshare=$unshare_pid first_pid1=$pid1 first_log=$log
start "$d/tree.yaml" "$d/second.log" "$d/sock2"
wait_for "$log" event=tree_started
kill -TERM "$pid1"
wait "$unshare_pid" || fail "the second PID 1 exited $? on SIGTERM"
unshare_pid=$first_unshare pid1=$first_pid1 log=$first_log
# SIGTERM from inside the namespace: kill 1, as a container's own process would.
nsenter -t "$pid1" -p -m sh -c 'kill -TERM 1' || fail "kill 1 from inside"
wait "$unshare_pid"
rc=$?
[ "$rc" = 0 ] || fail "ninesd as PID 1 exited $rc on SIGTERM"
order=$(grep -o 'event=child_stopped supervisor=/ child=[a-z]*' "$log" | sed 's/.*child=//' | tr '\n' ' ')
[ "$order" = "last orphans first " ] || fail "stopped in the order '$order', not last orphans first"
grep -q 'event=tree_stopped' "$log" || fail "no tree_stopped"

# --- SIGINT: the same orderly stop
start "$d/tree.yaml" "$d/int.log"
wait_for "$log" event=tree_started
kill -INT "$pid1"
wait "$unshare_pid"
rc=$?
[ "$rc" = 0 ] || fail "ninesd as PID 1 exited $rc on SIGINT"
order=$(grep -o 'event=child_stopped supervisor=/ child=[a-z]*' "$log" | sed 's/.*child=//' | tr '\n' ' ')
[ "$order" = "last orphans first " ] || fail "SIGINT stopped in the order '$order'"

# --- the root gives up: exit 1, passed on
cat >"$d/gives-up.yaml" <<'YAML'
supervisor:
  intensity: 0
  children:
    - id: fails
      exec: [/bin/sh, -c, 'sleep 1; exit 1']
YAML
start "$d/gives-up.yaml" "$d/gives-up.log"
wait "$unshare_pid"
rc=$?
[ "$rc" = 1 ] || fail "a root that gave up: ninesd as PID 1 exited $rc, not 1"
grep -q 'event=shutdown' "$log" || fail "no shutdown report"
echo "ok: ninesd as PID 1 reaped $seen orphans (in the group, setsid'd, and entered with nsenter) leaving 0 zombies; a second PID 1 in the same network namespace runs beside it; kill -TERM 1 from inside and SIGINT stop last-first with exit 0; a root that gives up exits 1"
