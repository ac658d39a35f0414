#!/usr/bin/env bash
# The example release series, myapp 1.0.0 -> 1.1.0 -> 2.0.0 and back to
# 1.1.0 and up again, live, under load: the README's walkthrough as one
# script. Four clients keep lines going through echo (one TCP connection
# each, never reopened) and calls going to the counter all along; at the
# end the script says how many requests were made and how many failed,
# and exits 1 if any failed or any connection was closed.
#   examples/releases/walkthrough.sh [BUILD]        (default: build)
# It uses TCP port 7007 (the example tree's echo) on 127.0.0.1.
set -euo pipefail
build=$(cd "${1:-build}" && pwd)
work=$(mktemp -d /tmp/nines-walkthrough-XXXXXX)
releases="$work/releases"
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

# 1. A releases folder with 1.0.0 in it: the first boot makes it permanent.
mkdir -p "$releases"
cp "$build/examples/releases/myapp-1.0.0.tar.gz" "$releases/"
say "ninesd --releases $releases"
"$build/ninesd" --socket "$sock" --releases "$releases" 2>"$work/ninesd.log" &
ninesd_pid=$!
for _ in $(seq 100); do
    "$build/ninesctl" --socket "$sock" call echo port >/dev/null 2>&1 && break
    sleep 0.1
done
ctl release list

# 2. The load: echo lines over kept connections, counter calls.
echo_client() {
    local n=0 failed=0 closed=0 reply
    exec 3<>/dev/tcp/127.0.0.1/7007
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
cp "$build/examples/releases/myapp-1.1.0.tar.gz" "$releases/.myapp-1.1.0.part"
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
ctl release unpack "$build/examples/releases/myapp-2.0.0.tar.gz"
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
