#!/usr/bin/env bash
# `ninesctl metrics` scraped by real Prometheus clients: the text parses
# with Debian's prometheus_client parser (and passes `promtool check
# metrics` where promtool is installed), and its counters move after a
# crash: restarts, abnormal exits, degraded, the supervisor's window;
# after a call, a cast and three upgrades: calls by outcome, casts, the
# call latency histogram, upgrades by outcome.
#   tests/metrics.sh BUILD
set -uo pipefail
build=$(cd "${1:-build}" && pwd)
fail() { echo "FAIL: $*"; exit 1; }
py=/usr/bin/python3 # Debian's, where python3-prometheus-client is installed
"$py" -c 'import prometheus_client.parser' 2>/dev/null || fail "python3-prometheus-client missing (scripts/setup installs it)"
d=$(mktemp -d /tmp/nines-metrics-XXXXXX)
cleanup() { [ -n "${ninesd:-}" ] && kill "$ninesd" 2>/dev/null && wait "$ninesd" 2>/dev/null; rm -rf "$d"; }
trap cleanup EXIT
cat >"$d/tree.yaml" <<YAML
supervisor:
  intensity: 5
  period: 30s
  children:
    - {id: counter, module: $build/examples/counter.so}
    - id: sleeper
      exec: [/bin/sleep, '1000']
YAML
"$build/ninesd" --socket "$d/control.sock" "$d/tree.yaml" 2>"$d/ninesd.log" &
ninesd=$!
for _ in $(seq 50); do [ -S "$d/control.sock" ] && break; sleep 0.1; done
ctl() { "$build/ninesctl" --socket "$d/control.sock" "$@"; }

# VALUE of METRIC{LABELS} (labels as k=v,k=v) in FILE, via the client parser.
value() {
    "$py" - "$1" "$2" "$3" <<'PY'
import sys
from prometheus_client.parser import text_string_to_metric_families
text = open(sys.argv[1]).read()
want = dict(kv.split("=", 1) for kv in sys.argv[3].split(",") if kv)
for fam in text_string_to_metric_families(text):
    for s in fam.samples:
        if s.name == sys.argv[2] and s.labels == want:
            print(s.value); sys.exit(0)
sys.exit(1)
PY
}
ctl metrics >"$d/before.prom" || fail "ninesctl metrics failed: $(cat "$d/before.prom")"
value "$d/before.prom" nines_up "" >/dev/null || fail "the client parser rejects the text or finds no nines_up"
if command -v promtool >/dev/null; then
    promtool check metrics <"$d/before.prom" >"$d/promtool.out" 2>&1 || fail "promtool check metrics: $(cat "$d/promtool.out")"
    checked="promtool check metrics passes"
else
    checked="promtool not installed"
fi
[ "$(value "$d/before.prom" nines_node_restarts_total path=counter)" = 0.0 ] || fail "restarts before a crash"
rss=$(value "$d/before.prom" nines_process_resident_memory_bytes path=counter) || fail "no RSS for counter"
awk -v r="$rss" 'BEGIN { exit !(r > 100000) }' || fail "counter's RSS is $rss bytes"

pid=$(ctl status --json | "$py" -c 'import json,sys; print([n["pid"] for n in json.load(sys.stdin)["nodes"] if n["path"]=="counter"][0])')
kill -SEGV "$pid"
for _ in $(seq 50); do
    ctl metrics >"$d/after.prom"
    [ "$(value "$d/after.prom" nines_node_up path=counter)" = 1.0 ] &&
        [ "$(value "$d/after.prom" nines_node_restarts_total path=counter)" = 1.0 ] && break
    sleep 0.1
done
[ "$(value "$d/after.prom" nines_node_restarts_total path=counter)" = 1.0 ] || fail "restarts did not move"
[ "$(value "$d/after.prom" nines_node_exits_total path=counter,kind=abnormal)" = 1.0 ] || fail "abnormal exits did not move"
[ "$(value "$d/after.prom" nines_node_degraded path=counter)" = 1.0 ] || fail "counter not degraded after a crash"
[ "$(value "$d/after.prom" nines_supervisor_window_restarts path=/)" = 1.0 ] || fail "the window did not count it"
[ "$(value "$d/after.prom" nines_node_degraded path=/)" = 1.0 ] || fail "the root is not degraded as status says"
[ "$(value "$d/after.prom" nines_node_exits_total path=sleeper,kind=abnormal)" = 0.0 ] || fail "sleeper counted a crash"

# A call, a cast and three live upgrades — one that swaps, one that the
# new code_change refuses, one whose code_change crashes (rolled back) —
# move the call and cast counters, the latency histogram and the upgrade
# outcomes; an exec child has none of these series.
[ "$(value "$d/before.prom" nines_call_duration_seconds_count "")" = 0.0 ] || fail "calls counted before any"
[ "$(value "$d/before.prom" nines_node_upgrades_total path=counter,outcome=ok)" = 0.0 ] || fail "upgrades before any"
ctl call counter incr >"$d/call.out" || fail "call: $(cat "$d/call.out")"
ctl cast counter incr >/dev/null || fail "cast"
ctl upgrade counter --module "$build/examples/counter-2.so" >"$d/up.out" 2>&1 || fail "upgrade: $(cat "$d/up.out")"
ctl upgrade counter --module "$build/tests/apps/counter_cc_error.so" >"$d/up.out" 2>&1 && fail "a refused upgrade succeeded"
ctl upgrade counter --module "$build/tests/apps/counter_cc_crash.so" >"$d/up.out" 2>&1 && fail "a crashing upgrade succeeded"
grep -q "rolled back" "$d/up.out" || fail "the crashing upgrade was not rolled back: $(cat "$d/up.out")"
ctl metrics >"$d/calls.prom" || fail "metrics after calls"
if command -v promtool >/dev/null; then
    promtool check metrics <"$d/calls.prom" >"$d/promtool.out" 2>&1 || fail "promtool check metrics: $(cat "$d/promtool.out")"
fi
want() { # METRIC LABELS VALUE
    got=$(value "$d/calls.prom" "$1" "$2") || fail "no $1{$2}"
    [ "$got" = "$3" ] || fail "$1{$2} is $got, not $3"
}
want nines_node_calls_total path=counter,outcome=replied 1.0
want nines_node_calls_total path=counter,outcome=failed 0.0
want nines_node_casts_total path=counter 1.0
want nines_call_duration_seconds_count "" 1.0
want nines_call_duration_seconds_bucket le=+Inf 1.0
want nines_call_duration_seconds_bucket le=10 1.0
sum=$(value "$d/calls.prom" nines_call_duration_seconds_sum "")
awk -v s="$sum" 'BEGIN { exit !(s > 0 && s < 5) }' || fail "the call took $sum s by the histogram"
want nines_node_upgrades_total path=counter,outcome=ok 1.0
want nines_node_upgrades_total path=counter,outcome=refused 1.0
want nines_node_upgrades_total path=counter,outcome=rolled_back 1.0
want nines_node_upgrades_total path=counter,outcome=failed 0.0
value "$d/calls.prom" nines_node_calls_total path=sleeper,outcome=replied >/dev/null && fail "an exec child has call counters"
echo "ok: metrics parse with prometheus_client ($checked); after a SIGSEGV restarts 0 -> 1, abnormal exits 1, degraded 1, window 1; a call, a cast, upgrades ok/refused/rolled_back counted, call latency histogram $sum s"
