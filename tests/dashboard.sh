#!/usr/bin/env bash
# ninesctl dashboard in a real headless Chromium: the page loads, shows
# the tree (a row per node, with its state), and after a crash shows the
# restart, the last exit and the events, then a live upgrade under way (the
# row and a banner) and over; /events streams the crash live
# as a server-sent event; /metrics and /api/status answer; anything but
# GET is refused. A screenshot is kept in the logs folder.
#   tests/dashboard.sh BUILD
set -uo pipefail
build=$(cd "${1:-build}" && pwd)
fail() { echo "FAIL: $*"; exit 1; }
browser=$(command -v chromium || true)
[ -n "$browser" ] || fail "chromium is not installed (scripts/setup installs it)"
d=$(mktemp -d /tmp/nines-dashboard-XXXXXX)
cleanup() {
    for p in ${chrome:-} ${dash:-} ${ninesd:-} ${stream:-}; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
    rm -rf "$d"
}
trap cleanup EXIT
cat >"$d/tree.yaml" <<YAML
supervisor:
  intensity: 5
  period: 60s
  children:
    - {id: counter, module: $build/examples/counter.so}
    - {id: web, supervisor: {children: [{id: relay, module: $build/examples/relay.so}]}}
YAML
# In a sanitizer build, a SIGSEGV kills the worker as it would anyway
# (ASan's handler would turn it into exit status 1), as the itests' harness.
export ASAN_OPTIONS="handle_segv=0:handle_abort=0:detect_leaks=0"
"$build/ninesd" --socket "$d/control.sock" "$d/tree.yaml" 2>"$d/ninesd.log" &
ninesd=$!
for _ in $(seq 50); do [ -S "$d/control.sock" ] && break; sleep 0.1; done
# Port 0: the kernel picks a free one (a port of our own choosing could be
# another run's or another program's); the dashboard says which it bound.
"$build/ninesctl" --socket "$d/control.sock" dashboard --listen 127.0.0.1:0 2>"$d/dash.log" &
dash=$!
port=""
for _ in $(seq 50); do
    port=$(sed -n 's|^ninesctl: dashboard on http://127\.0\.0\.1:\([0-9]*\)/ .*|\1|p' "$d/dash.log")
    [ -n "$port" ] && break
    sleep 0.1
done
[ -n "$port" ] && [ "$port" != 0 ] || fail "the dashboard did not say the port it bound: $(cat "$d/dash.log")"
url="http://127.0.0.1:$port"
for _ in $(seq 50); do curl -sf "$url/api/status" >/dev/null && break; sleep 0.1; done
curl -sf "$url/api/status" | grep -q '"path":"web/relay"' || fail "/api/status: $(curl -s "$url/api/status")"
# The socket answers before the tree is up: wait for counter to be. Into
# a file first: `curl | grep -q` fails under pipefail when grep stops
# reading before curl has written it all (curl dies of SIGPIPE, exit 23).
for _ in $(seq 100); do
    curl -sf "$url/metrics" >"$d/metrics.prom" && grep -q '^nines_node_up{path="counter"} 1' "$d/metrics.prom" && break
    sleep 0.1
done
grep -q '^nines_node_up{path="counter"} 1' "$d/metrics.prom" || fail "/metrics: $(head -c 2000 "$d/metrics.prom")"
[ "$(curl -s -o /dev/null -w '%{http_code}' -X POST "$url/")" = 405 ] || fail "a POST was not refused"
[ "$(curl -s -o /dev/null -w '%{http_code}' "$url/nowhere")" = 404 ] || fail "an unknown path was not 404"

# The page in a real headless Chromium, driven over the DevTools protocol:
# the tree shown, then a crash shown live (no reload), then a screenshot.
logs=${NINES_TEST_LOGS:-$build/test-logs}
mkdir -p "$logs"
# Its DevTools port picked by the kernel too: Chromium writes the one it
# bound as the first line of DevToolsActivePort in its profile.
"$browser" --headless --no-sandbox --disable-gpu --hide-scrollbars --window-size=1100,520 \
    --remote-debugging-port=0 --user-data-dir="$d/profile" about:blank >"$d/chromium.log" 2>&1 &
chrome=$!
devtools=""
for _ in $(seq 300); do
    # Both lines there (the port, then the browser's path): written whole.
    sed -n 2p "$d/profile/DevToolsActivePort" 2>/dev/null | grep -q '^/devtools/' &&
        devtools=$(head -1 "$d/profile/DevToolsActivePort") && break
    sleep 0.1
done
[ -n "$devtools" ] || fail "Chromium did not say its DevTools port: $(tail -5 "$d/chromium.log")"
pid=$(curl -s "$url/api/status" | /usr/bin/python3 -c 'import json,sys; print([n["pid"] for n in json.load(sys.stdin)["nodes"] if n["path"]=="counter"][0])')
curl -sN "$url/events" >"$d/stream.txt" &
stream=$!
live=$(timeout 90 /usr/bin/python3 "$(dirname "$0")/dashboard_cdp.py" "$devtools" "$url/" "$pid" "$logs/dashboard.png" \
    "$build/ninesctl" "$d/control.sock" "$build/tests/apps/counter_slow_cc.so") ||
    fail "in Chromium: $live"
kill "$chrome" 2>/dev/null; wait "$chrome" 2>/dev/null
grep -q 'data: .*event=child_terminated.*child=counter' "$d/stream.txt" || fail "/events did not stream the crash: $(cat "$d/stream.txt")"
[ -s "$logs/dashboard.png" ] || fail "no screenshot"
# Stopping the dashboard ends its open streams (it does not hang on them).
kill "$dash"
for _ in $(seq 30); do kill -0 "$dash" 2>/dev/null || break; sleep 0.1; done
kill -0 "$dash" 2>/dev/null && fail "SIGTERM did not stop the dashboard with a stream open"
echo "ok: dashboard in headless Chromium: tree shown, a crash and an upgrade under way shown live without a reload ($live), streamed on /events, POST refused, stops with streams open; screenshot $logs/dashboard.png"
