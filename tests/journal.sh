#!/usr/bin/env bash
# ninesd and a real systemd-journald, started by this test in a private
# mount namespace (tmpfs on /run/systemd, /run/log and /var/log/journal,
# so the machine's own are untouched): every event is an entry with a
# human MESSAGE=, the event kind's stable MESSAGE_ID= (SHA-256 of
# "nines/EVENT", first 128 bits) and its fields as NINES_*; a child's
# output line is the child's own entry (SYSLOG_IDENTIFIER= its path,
# OBJECT_PID= its pid), so `journalctl -t PATH` shows it alone; and
# --log-target journal without a journal is refused at start, loudly.
#   tests/journal.sh BUILD
set -uo pipefail
build=$(cd "${1:-build}" && pwd)
fail() { echo "FAIL: $*"; exit 1; }
[ "$(id -u)" -eq 0 ] || { echo "ok: skipped: not root"; exit 0; }
[ -x /lib/systemd/systemd-journald ] || { echo "ok: skipped: no systemd-journald"; exit 0; }
d=$(mktemp -d /tmp/nines-journal-XXXXXX)
trap '[ -n "${KEEP:-}" ] || rm -rf "$d"' EXIT

# Without a journal: refused at start with the reason, exit 2.
unshare --mount --propagation private bash -c 'mkdir -p /run/systemd && mount -t tmpfs tmpfs /run/systemd &&
    exec "$0" --log-target journal --no-control "$1"' "$build/ninesd" "$build/../examples/tree.yaml" \
    >/dev/null 2>"$d/nojournal.err" </dev/null
rc=$?
[ "$rc" = 2 ] || fail "--log-target journal without a journal exited $rc"
grep -q 'no journal at /run/systemd/journal/socket' "$d/nojournal.err" || fail "the refusal says: $(cat "$d/nojournal.err")"

cat >"$d/tree.yaml" <<YAML
supervisor:
  children:
    - {id: counter, module: $build/examples/counter.so}
    - id: printer
      exec: [/bin/sh, -c, 'echo hello-from-printer; exec sleep 100']
YAML
cat >"$d/inner.sh" <<'INNER'
set -e
build=$1 d=$2
mkdir -p /run/systemd /run/log /var/log/journal
mount -t tmpfs tmpfs /run/systemd
mount -t tmpfs tmpfs /run/log
mount -t tmpfs tmpfs /var/log/journal
/lib/systemd/systemd-journald &
j=$!
for _ in $(seq 100); do [ -S /run/systemd/journal/socket ] && break; sleep 0.05; done
"$build/ninesd" --log-target journal --socket "$d/sock" "$d/tree.yaml" 2>"$d/ninesd.err" &
n=$!
for _ in $(seq 100); do "$build/ninesctl" --socket "$d/sock" status >/dev/null 2>&1 && break; sleep 0.05; done
"$build/ninesctl" --socket "$d/sock" --json status >"$d/status.json"
sleep 0.5
kill -TERM $n
wait $n || true
sleep 0.3
journalctl -D /run/log/journal -o json --no-pager >"$d/all.json"
journalctl -D /run/log/journal -o cat --no-pager -t printer >"$d/printer.txt"
kill $j
wait $j 2>/dev/null || true
INNER
unshare --mount --propagation private bash "$d/inner.sh" "$build" "$d" || fail "the journal run: $(cat "$d/ninesd.err" 2>/dev/null)"
[ -s "$d/all.json" ] || fail "the journal is empty; ninesd said: $(cat "$d/ninesd.err")"
id_of() { printf 'nines/%s' "$1" | sha256sum | cut -c1-32; }
printer_pid=$(grep -o '"path":"printer"[^}]*"pid":[0-9]*' "$d/status.json" | grep -o '[0-9]*$')
python3 - "$d/all.json" "$(id_of child_started)" "$(id_of tree_stopped)" "$printer_pid" <<'PY' || exit 1
import json, sys
path, started_id, stopped_id, printer_pid = sys.argv[1:]
entries = [json.loads(l) for l in open(path) if l.strip()]
def fail(msg):
    print("FAIL:", msg); sys.exit(1)
started = [e for e in entries if e.get("NINES_EVENT") == "child_started" and e.get("NINES_CHILD") == "counter"]
if not started: fail("no child_started entry for counter")
e = started[0]
if e["MESSAGE"] != "counter started": fail("MESSAGE is %r, not the human text" % e["MESSAGE"])
if e.get("MESSAGE_ID") != started_id: fail("MESSAGE_ID %r, expected %r" % (e.get("MESSAGE_ID"), started_id))
if e.get("SYSLOG_IDENTIFIER") != "ninesd": fail("an event's identifier is %r" % e.get("SYSLOG_IDENTIFIER"))
if not any(x.get("MESSAGE_ID") == stopped_id for x in entries if x.get("NINES_EVENT") == "tree_stopped"):
    fail("tree_stopped has not its MESSAGE_ID")
ids = {}
for x in entries:
    if "NINES_EVENT" in x:
        ids.setdefault(x["NINES_EVENT"], set()).add(x.get("MESSAGE_ID"))
if any(len(v) != 1 for v in ids.values()): fail("an event kind with several MESSAGE_IDs: %r" % ids)
if len({next(iter(v)) for v in ids.values()}) != len(ids): fail("two event kinds share a MESSAGE_ID")
out = [x for x in entries if x.get("MESSAGE") == "hello-from-printer"]
if not out: fail("the child's output line is not in the journal")
o = out[0]
if o.get("SYSLOG_IDENTIFIER") != "printer": fail("output identified as %r" % o.get("SYSLOG_IDENTIFIER"))
if o.get("OBJECT_PID") != printer_pid: fail("OBJECT_PID %r, the child is %r" % (o.get("OBJECT_PID"), printer_pid))
if o.get("NINES_STREAM") != "stdout": fail("NINES_STREAM %r" % o.get("NINES_STREAM"))
PY
[ "$(cat "$d/printer.txt")" = hello-from-printer ] || fail "journalctl -t printer shows: $(cat "$d/printer.txt")"
echo "ok: journal entries with human MESSAGE=, stable MESSAGE_ID=, child output as the child's own (-t printer), no journal refused"
