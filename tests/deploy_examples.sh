#!/usr/bin/env bash
# The deployment examples (examples/deploy/), run as far as they run here:
# the container's entrypoint as PID 1 of a PID namespace with the
# container's tree (status healthy, SIGTERM -> exit 0); the Kubernetes
# manifest parsed and its probes' and preStop's commands run against a
# live ninesd (ready when healthy, not ready but alive when a permanent
# child is down, not alive when ninesd is gone, preStop stops it); the
# fleet rollout over four live ninesd hosts, the third lacking the
# release: two upgraded, the rollout stops at the third, the fourth is
# untouched.
#   tests/deploy_examples.sh BUILD
set -uo pipefail
build=$(cd "${1:-build}" && pwd)
root=$(cd "$(dirname "$0")/.." && pwd)
ex=$root/examples/deploy
d=$(mktemp -d /tmp/nines-deploy-XXXXXX)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done; wait 2>/dev/null; rm -rf "$d"; }
trap cleanup EXIT
fail() { echo "FAIL: $*"; exit 1; }
wait_for() { # FILE PATTERN
    for _ in $(seq 200); do grep -q "$2" "$1" 2>/dev/null && return 0; sleep 0.05; done
    fail "no '$2' in $1: $(tail -3 "$1")"
}

# --- the container image installs what the programs link: each library a
# program names (NEEDED) comes from a package the runtime stage installs,
# and its -dev package (the owner of the libNAME.so link) the build stage
containerfile=$ex/container/Containerfile
build_stage=$(sed -n '1,/^FROM debian:12$/p' "$containerfile" | sed '$d')
runtime_stage=$(sed -n '/^FROM debian:12$/,$p' "$containerfile")
owner() { dpkg -S "$1" 2>/dev/null | head -1 | cut -d: -f1; }
for prog in ninesd ninesctl nines-worker nines-release nines-appup nines-modtest; do
    for need in $(readelf -d "$build/$prog" | sed -n 's/.*Shared library: \[\(.*\)\]/\1/p'); do
        path=$(ldd "$build/$prog" | awk -v n="$need" '$1 == n {print $3}')
        pkg=$(owner "$path")
        [ -n "$pkg" ] || pkg=$(owner "/usr$path")
        case "$pkg" in ''|libc6) continue ;; esac # libc6 is in every Debian image
        grep -qw -- "$pkg" <<<"$runtime_stage" ||
            fail "the Containerfile's image lacks $pkg ($need, linked by $prog)"
        dev=$(owner "$(dirname "$path")/${need%%.so*}.so")
        [ -n "$dev" ] || dev=$(owner "/usr$(dirname "$path")/${need%%.so*}.so")
        [ -z "$dev" ] || grep -qw -- "$dev" <<<"$build_stage" ||
            fail "the Containerfile's build stage lacks $dev (for $need, linked by $prog)"
    done
done

# --- the container: its entrypoint as PID 1, its tree with this build's modules
grep -q '^COPY examples/deploy/container/tree.yaml /etc/nines/tree.yaml$' "$ex/container/Containerfile" ||
    fail "the Containerfile does not install its tree"
for m in $(grep -o '/usr/lib/nines/examples/[a-z0-9-]*\.so' "$ex/container/tree.yaml"); do
    [ -e "$build/examples/$(basename "$m")" ] || fail "the container tree names $m, not an installed example"
done
sed -e "s|/usr/lib/nines/examples|$build/examples|" -e 's|port: 7007|port: 0|' "$ex/container/tree.yaml" >"$d/c.yaml"
unshare --pid --fork --mount-proc "$build/ninesd" --worker "$build/nines-worker" --log-target stderr \
    --socket "$d/c.sock" "$d/c.yaml" 2>"$d/c.log" &
unshare_pid=$!
pids+=("$unshare_pid")
wait_for "$d/c.log" event=tree_started
NINES_SOCKET=$d/c.sock "$build/ninesctl" status >/dev/null || fail "the container's HEALTHCHECK (ninesctl status) fails"
pid1=$(pgrep -P "$unshare_pid" -x ninesd)
[ -n "$pid1" ] || fail "no ninesd under unshare"
grep -q '^NSpid:.*[[:space:]]1$' "/proc/$pid1/status" || fail "ninesd is not PID 1 of its namespace"
kill -TERM "$pid1"
wait "$unshare_pid"
rc=$?
[ "$rc" = 0 ] || fail "ninesd as PID 1 exited $rc on SIGTERM"
grep -q event=tree_stopped "$d/c.log" || fail "no orderly stop: $(tail -3 "$d/c.log")"

# --- Kubernetes: the probes and preStop, as the kubelet runs them
probes=$(python3 - "$ex/kubernetes/ninesd.yaml" <<'PY'
import sys, yaml, shlex
doc = yaml.safe_load(open(sys.argv[1]))
c = doc["spec"]["template"]["spec"]["containers"][0]
for name, cmd in (("liveness", c["livenessProbe"]["exec"]["command"]),
                  ("readiness", c["readinessProbe"]["exec"]["command"]),
                  ("prestop", c["lifecycle"]["preStop"]["exec"]["command"])):
    print(name, " ".join(shlex.quote(a) for a in cmd))
PY
) || fail "the Kubernetes manifest does not parse"
probe() { # NAME: exit status of that probe's command
    local cmd
    cmd=$(sed -n "s/^$1 //p" <<<"$probes")
    (export PATH=$build:$PATH NINES_SOCKET=$d/k.sock; eval "$cmd" >/dev/null 2>&1)
}
"$build/ninesd" --worker "$build/nines-worker" --socket "$d/k.sock" "$d/c.yaml" 2>"$d/k.log" &
k=$!
pids+=("$k")
wait_for "$d/k.log" event=tree_started
probe liveness || fail "liveness fails on a healthy tree"
probe readiness || fail "readiness fails on a healthy tree"
"$build/ninesctl" --socket "$d/k.sock" terminate counter >/dev/null || fail "terminate counter"
probe readiness && fail "readiness passes with a permanent child down"
probe liveness || fail "liveness fails on a degraded but running ninesd"
probe prestop || fail "preStop fails"
wait "$k"
[ $? = 0 ] || fail "ninesd did not exit 0 after preStop"
probe liveness && fail "liveness passes with ninesd gone"

# --- the fleet rollout: four hosts, the third without the release
release() { # VERSION COUNTER_SO [APPUP]
    local src=$d/src-$1
    mkdir -p "$src/apps" "$src/appups"
    ln -sf "$build/$2" "$src/apps/counter.so"
    printf 'supervisor:\n  children:\n    - {id: counter, module: apps/counter.so}\n' >"$src/tree.yaml"
    local appups="[]" version=${3:-1.0.0}
    if [ -n "${3:-}" ]; then
        printf 'application: counter\nversion: %s\nup: [{from: 1.0.0, steps: [code_change: {}]}]\ndown: [{to: 1.0.0, steps: [code_change: {}]}]\n' \
            "$3" >"$src/appups/counter.appup.yaml"
        appups="[appups/counter.appup.yaml]"
    fi
    printf 'release: fleet\nversion: %s\ntree: tree.yaml\napplications:\n  - {name: counter, version: %s, module: apps/counter.so}\nappups: %s\n' \
        "$1" "$version" "$appups" >"$src/release.yaml"
    "$build/nines-release" build --no-verify "$src/release.yaml" "$d/out" >/dev/null || fail "building release $1"
}
release 1.0.0 examples/counter.so
release 1.1.0 examples/counter-2.so 2.0.0
for h in h1 h2 h3 h4; do
    mkdir -p "$d/$h/releases"
    cp "$d/out/fleet-1.0.0.tar.gz" "$d/$h/releases/"
    "$build/ninesd" --worker "$build/nines-worker" --release-tool "$build/nines-release" --socket "$d/$h/sock" \
        --releases "$d/$h/releases" 2>"$d/$h/log" &
    pids+=($!)
done
for h in h1 h2 h3 h4; do wait_for "$d/$h/log" event=tree_started; done
for h in h1 h2 h4; do
    "$build/ninesctl" --socket "$d/$h/sock" release unpack "$d/out/fleet-1.1.0.tar.gz" >/dev/null || fail "unpack on $h"
done
cat >"$d/remote" <<SH
#!/bin/sh
# HOST ninesctl ARGS...: run ninesctl "on" HOST, here: against its socket
host=\$1; shift; shift
exec "$build/ninesctl" --socket "$d/\$host/sock" "\$@"
SH
chmod +x "$d/remote"
out=$(NINES_REMOTE=$d/remote "$ex/fleet/rollout.sh" --make-permanent 1.1.0 h1 h2 h3 h4)
rc=$?
[ "$rc" = 1 ] || fail "the rollout exited $rc: $out"
grep -q '^h1: upgraded 1.0.0 -> 1.1.0$' <<<"$out" && grep -q '^h2: upgraded 1.0.0 -> 1.1.0$' <<<"$out" ||
    fail "h1 and h2 not upgraded: $out"
grep -q '^h3: upgrade to 1.1.0 failed: no release 1.1.0' <<<"$out" || fail "h3's failure not said: $out"
grep -q '^h4:' <<<"$out" && fail "the rollout went on to h4: $out" # (the temporary folder's name may hold "h4")
version_on() { "$build/ninesctl" --socket "$d/$1/sock" --json release list | grep -o '"version":"[^"]*","status":"[a-z]*"[^}]*"running":true' | grep -o '"version":"[^"]*"'; }
[ "$(version_on h2)" = '"version":"1.1.0"' ] || fail "h2 runs $(version_on h2)"
[ "$(version_on h3)" = '"version":"1.0.0"' ] || fail "h3 runs $(version_on h3)"
[ "$(version_on h4)" = '"version":"1.0.0"' ] || fail "h4 was touched: $(version_on h4)"
"$build/ninesctl" --socket "$d/h1/sock" --json release list | grep -q '"version":"1.1.0","status":"permanent"' ||
    fail "h1's 1.1.0 not made permanent"
echo "ok: container entrypoint as PID 1 (healthy, SIGTERM -> exit 0); Kubernetes probes and preStop; rollout stops at the host that fails, 2 of 4 upgraded"
