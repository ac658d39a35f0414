#!/usr/bin/env bash
# The example release series, myapp 1.0.0 -> 1.1.0 -> 2.0.0 and back to
# 1.1.0 and up again, live, under load: the README's walkthrough as one
# script. Four clients keep lines going through echo (one TCP connection
# each, never reopened) and calls going to the counter all along; at the
# end the script says how many requests were made and how many failed,
# and exits 1 if any failed or any connection was closed.
#   examples/releases/walkthrough.sh [BUILD]        (default: build)
# It runs copies of the three releases whose echo listens on a port the
# kernel picks (`port: 0` where the examples say 7007), built here as the
# Makefile builds the examples, so that runs side by side never collide;
# the clients ask echo for its port (`ninesctl call echo port`).
set -euo pipefail
build=$(cd "${1:-build}" && pwd)
examples=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d /tmp/nines-walkthrough-XXXXXX)
releases="$work/releases"
built="$work/built"
sock="$work/control.sock"
ninesd_pid=
cleanup() {
    touch "$work/stop"
    [ -n "$ninesd_pid" ] && kill "$ninesd_pid" 2>/dev/null && wait "$ninesd_pid" 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT
say() { printf '\n\033[1m$ %s\033[0m\n' "$*"; }
ctl() { say "ninesctl $*"; "$build/ninesctl" --socket "$sock" "$@"; }

# 0. The releases, as examples/releases/myapp-VERSION/ but for echo's port:
# each spec staged with apps/ linked to the build's examples (see the
# Makefile), each checked against the one before it.
release() { # VERSION [PREVIOUS]
    local spec="$work/specs/myapp-$1"
    mkdir -p "$spec"
    cp -R "$examples/myapp-$1/." "$spec/"
    sed -i 's/port: 7007}/port: 0}/' "$spec/tree.yaml"
    grep -q 'port: 0}' "$spec/tree.yaml"
    ln -s "$build/examples" "$spec/apps"
    "$build/nines-release" build ${2:+--previous "$built/myapp-$2"} "$spec/release.yaml" "$built" >/dev/null
}
release 1.0.0 && release 1.1.0 1.0.0 && release 2.0.0 1.1.0

# 1. A releases folder with 1.0.0 in it: the first boot makes it permanent.
mkdir -p "$releases"
cp "$built/myapp-1.0.0.tar.gz" "$releases/"
say "ninesd --releases $releases"
"$build/ninesd" --socket "$sock" --releases "$releases" 2>"$work/ninesd.log" &
ninesd_pid=$!
port=
for _ in $(seq 100); do
    port=$("$build/ninesctl" --socket "$sock" call echo port 2>/dev/null) && break
    sleep 0.1
done
[ -n "$port" ] || { echo "echo never answered; ninesd's log:"; tail -20 "$work/ninesd.log"; exit 1; }
echo "echo listens on 127.0.0.1:$port"
ctl release list

# 2. The load: echo lines over kept connections, counter calls.
echo_client() {
    local n=0 failed=0 closed=0 reply
    exec 3<>"/dev/tcp/127.0.0.1/$port"
    while [ ! -e "$work/stop" ]; do
        echo "client $1 line $n" >&3
        if ! IFS= read -r -t 5 reply <&3; then closed=1; break; fi
        case "$reply" in *"client $1 line $n") ;; *) failed=$((failed + 1)) ;; esac
        n=$((n + 1))
    done
    echo "$n $failed $closed" >"$work/echo.$1"
}
counter_client() {
    local n=0 failed=0
    while [ ! -e "$work/stop" ]; do
        "$build/ninesctl" --socket "$sock" call counter incr >/dev/null 2>&1 || failed=$((failed + 1))
        n=$((n + 1))
    done
    echo "$n $failed 0" >"$work/counter.$1"
}
for i in 1 2 3; do echo_client "$i" & done
counter_client 1 &
sleep 1

# 3. 1.1.0 arrives in the folder (copied beside it, then moved in: a
# partial copy is never picked up); ninesd verifies and unpacks it.
say "cp myapp-1.1.0.tar.gz $releases/.myapp-1.1.0.part && mv … $releases/myapp-1.1.0.tar.gz"
cp "$built/myapp-1.1.0.tar.gz" "$releases/.myapp-1.1.0.part"
mv "$releases/.myapp-1.1.0.part" "$releases/myapp-1.1.0.tar.gz"
for _ in $(seq 100); do
    "$build/ninesctl" --socket "$sock" release list 2>/dev/null | grep -q '1\.1\.0' && break
    sleep 0.1
done
ctl release list
ctl upgrade 1.1.0 --dry-run
ctl upgrade 1.1.0
ctl call counter history
ctl release make-permanent 1.1.0

# 4. 2.0.0, unpacked by hand: a child added, one removed, a strategy changed.
ctl release unpack "$built/myapp-2.0.0.tar.gz"
ctl upgrade 2.0.0 --dry-run
ctl upgrade 2.0.0
ctl status
ctl call store/relay 'ask store/kv count'

# 5. Down to 1.1.0 and up again, then 2.0.0 for good.
ctl downgrade 1.1.0
ctl upgrade 2.0.0
ctl release make-permanent 2.0.0
ctl release list
sleep 1

# 6. What the clients saw.
touch "$work/stop"
wait $(jobs -p | grep -v "^$ninesd_pid\$") 2>/dev/null || true
requests=0 failed=0 closed=0
for f in "$work"/echo.* "$work"/counter.*; do
    read -r n fl cl <"$f"
    requests=$((requests + n)) failed=$((failed + fl)) closed=$((closed + cl))
done
say "under load: $requests requests, $failed failed, $closed connections closed"
ctl stop >/dev/null
wait "$ninesd_pid" || true
ninesd_pid=
[ "$failed" -eq 0 ] && [ "$closed" -eq 0 ] && [ "$requests" -gt 0 ]
