#!/usr/bin/env bash
# ninesd under valgrind: a tree with every kind of child, crashes and a
# restart through the spare host, then SIGTERM. Fails on any memory error
# or leak in the daemon's own process (workers are not traced).
#   tests/valgrind_ninesd.sh BUILD
set -eu
build=$(cd "${1:-build}" && pwd)
command -v valgrind >/dev/null || { echo "valgrind not installed (scripts/setup installs it)"; exit 1; }
dir=$(mktemp -d /tmp/nines-vg-XXXXXX)
trap 'rm -rf "$dir"' EXIT
cat >"$dir/tree.yaml" <<YAML
supervisor:
  intensity: 50
  period: 10s
  children:
    - id: counter
      module: $build/examples/counter.so
      args: {start: 5}
    - id: jobs
      supervisor:
        strategy: rest_for_one
        intensity: 50
        period: 10s
        children:
          - id: flaky
            module: $build/examples/flaky.so
            args: {crash_after_ms: 150, how: abort}
          - id: after
            module: $build/examples/counter.so
    - id: talker
      exec: [/bin/sh, -c, 'echo hello; sleep 100']
    - id: relay
      module: $build/examples/relay.so
    - id: pool
      supervisor:
        strategy: dynamic
        child: {id: s, module: $build/examples/counter.so, restart: temporary}
YAML
valgrind --quiet --leak-check=full --show-leak-kinds=all --errors-for-leak-kinds=all \
    --error-exitcode=99 --log-file="$dir/vg.log" \
    "$build/ninesd" --log-target stderr --socket "$dir/control.sock" "$dir/tree.yaml" 2>"$dir/ninesd.log" &
pid=$!
# Under valgrind on a loaded machine the start can take seconds: wait for it.
for _ in $(seq 600); do grep -q 'event=tree_started' "$dir/ninesd.log" 2>/dev/null && break; sleep 0.1; done
# The control socket's paths too: requests, refusals, calls, a follower
# left open.
ctl() { "$build/ninesctl" --socket "$dir/control.sock" "$@" >/dev/null 2>&1 || true; }
ctl status
ctl --json status
ctl call counter incr
ctl call relay "ask counter get"
ctl call relay "ask nobody get"
ctl cast counter "add 2"
ctl restart counter
ctl terminate counter
ctl restart counter
ctl start-child pool
ctl start-child pool start=4
ctl terminate pool/s-1
ctl start / "{id: extra, module: $build/examples/counter.so}"
ctl call jobs/flaky hang --timeout 100
ctl events
ctl upgrade counter --module "$build/examples/counter-2.so"
ctl upgrade counter --module "$build/tests/apps/counter_cc_error.so"
ctl upgrade counter --module "$build/tests/apps/counter_cc_crash.so"
sleep 0.5
ctl upgrade counter --module "$build/examples/counter.so"
"$build/ninesctl" --socket "$dir/control.sock" events --follow >/dev/null 2>&1 &
follower=$!
sleep 1
kill -TERM "$pid"
rc=0
wait "$pid" || rc=$?
wait "$follower" 2>/dev/null || true
restarts=$(grep -c 'event=child_started.*child=jobs/flaky .*restarts=[1-9]' "$dir/ninesd.log" || true)
# Valgrind 3.19 does not know pidfd_open (sd-event then falls back to
# SIGCHLD); its warnings about that are not findings.
grep -v -e 'unhandled amd64-linux syscall: 434' -e 'write your own handler' \
    -e 'README_MISSING_SYSCALL' -e 'Nevertheless we consider' -e 'valgrind.org/support' \
    "$dir/vg.log" >"$dir/findings" || true
# The control requests really ran (a failing ninesctl is not a test).
controlled=$(grep -c -e 'event=child_started.*child=extra ' -e 'event=child_started.*child=pool/s-2 ' \
    -e 'event=child_stopped.*child=counter ' -e 'event=upgrade_rolled_back.*msg=.restored' \
    -e 'event=upgrade_done.*to=1.0.0' "$dir/ninesd.log" || true)
if [ "$controlled" -lt 5 ]; then
    echo "FAIL: the control requests did not all take effect"
    grep -v 'event=output' "$dir/ninesd.log" | tail -20
    exit 1
fi
if [ "$rc" -ne 0 ] || [ -s "$dir/findings" ] || [ "$restarts" -lt 2 ]; then
    echo "FAIL: ninesd exit $rc, $restarts restarts seen; valgrind said:"
    head -100 "$dir/findings"
    exit 1
fi
echo "ok: ninesd valgrind-clean over $restarts restarts and a shutdown"
