#!/usr/bin/env bash
# `ninesctl top` in a real terminal (tmux): the live table appears, CPU is
# measured over the refresh (a busy loop shows a share, an idle worker
# 0.0%), a killed worker's restart and last exit show up in place, a key
# changes the order, q quits and the terminal is given back; not on a
# terminal it prints plain tables without escapes.
#   tests/top.sh BUILD
set -uo pipefail
build=$(cd "${1:-build}" && pwd)
fail() { echo "FAIL: $*"; [ -n "${pane:-}" ] && echo "--- pane:" && echo "$pane"; exit 1; }
command -v tmux >/dev/null || fail "tmux is not installed (scripts/setup installs it)"
d=$(mktemp -d /tmp/nines-top-XXXXXX)
sock="nines-top-$$"
cleanup() {
    tmux -L "$sock" kill-server 2>/dev/null
    [ -n "${ninesd:-}" ] && kill "$ninesd" 2>/dev/null && wait "$ninesd" 2>/dev/null
    rm -rf "$d"
}
trap cleanup EXIT
cat >"$d/tree.yaml" <<YAML
supervisor:
  children:
    - {id: counter, module: $build/examples/counter.so}
    - id: busy
      exec: [/bin/sh, -c, 'while :; do :; done']
YAML
"$build/ninesd" --socket "$d/control.sock" "$d/tree.yaml" 2>"$d/ninesd.log" &
ninesd=$!
for _ in $(seq 50); do [ -S "$d/control.sock" ] && break; sleep 0.1; done
ctl() { "$build/ninesctl" --socket "$d/control.sock" "$@"; }
# The socket is there before the tree is up (status exits 3 until then).
for _ in $(seq 50); do ctl status >/dev/null && break; sleep 0.1; done
ctl status >/dev/null || fail "ninesd did not start: $(cat "$d/ninesd.log")"

tmux -L "$sock" new-session -d -x 150 -y 30 "$build/ninesctl --socket $d/control.sock top" || fail "tmux"
capture() { pane=$(tmux -L "$sock" capture-pane -p); }
wait_for() { # PATTERN: up to 5 s for the pane to show it
    for _ in $(seq 50); do capture; grep -qE "$1" <<<"$pane" && return 0; sleep 0.1; done
    return 1
}
wait_for 'ninesctl top .* 3 nodes +sorted by tree' || fail "no top header"
wait_for '^busy +exec +running +[0-9]+ +[0-9]+\.[0-9]%' || fail "no CPU share for busy after a refresh"
busy_cpu=$(grep -E '^busy ' <<<"$pane" | awk '{print $5}' | tr -d '%')
awk -v c="$busy_cpu" 'BEGIN { exit !(c > 5.0) }' || fail "a busy loop shows $busy_cpu% CPU"
grep -qE '^counter +worker +running +[0-9]+ +0\.0%' <<<"$pane" || fail "an idle worker is not at 0.0%"

pid=$(ctl status --json | python3 -c 'import json,sys; print([n["pid"] for n in json.load(sys.stdin)["nodes"] if n["path"]=="counter"][0])')
kill -KILL "$pid"
wait_for '^counter +worker +(running|degraded) +[0-9]+ .* 1 +0 +killed by SIGKILL' ||
    fail "the restart and last exit of counter did not show in place"

tmux -L "$sock" send-keys m
wait_for 'sorted by mem' || fail "m did not sort by memory"
tmux -L "$sock" send-keys c
wait_for 'sorted by cpu' || fail "c did not sort by CPU"
first=$(grep -A1 '^PATH' <<<"$pane" | tail -1 | awk '{print $1}')
[ "$first" = busy ] || fail "sorted by CPU, the first row is $first, not busy"

tmux -L "$sock" send-keys q
for _ in $(seq 30); do tmux -L "$sock" has-session 2>/dev/null || break; sleep 0.1; done
tmux -L "$sock" has-session 2>/dev/null && fail "q did not quit top"

plain=$(timeout 1.5 "$build/ninesctl" --socket "$d/control.sock" top </dev/null)
grep -q $'\033' <<<"$plain" && fail "escapes in top's output to a pipe"
[ "$(grep -c '^ninesctl top' <<<"$plain")" -ge 2 ] || fail "not one table a second to a pipe: $plain"
echo "ok: top in tmux: busy loop at ${busy_cpu}% CPU, a kill shown in place, sorted by mem and cpu, q quits; plain tables to a pipe"
