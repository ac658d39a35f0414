#!/usr/bin/python3
"""Drive a headless Chromium over the DevTools protocol (tests/dashboard.sh):
open the dashboard, wait until it shows the tree, crash a child while the
page stays open and wait until the page shows it without a reload, then
then start a live upgrade whose code_change takes seconds and wait until
the page shows it under way (the row and the banner), take a screenshot,
and wait until the page shows it over (refused: the old version goes on).
argv: DEVTOOLS_PORT URL PID_TO_KILL SCREENSHOT NINESCTL SOCKET SLOW_MODULE"""
import base64, json, os, signal, subprocess, sys, time, urllib.request
import websocket

port, url, pid, shot = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
ctl, sock, slow = sys.argv[5], sys.argv[6], sys.argv[7]
for _ in range(100):
    try:
        targets = json.load(urllib.request.urlopen(f"http://127.0.0.1:{port}/json"))
        page = [t for t in targets if t["type"] == "page"][0]
        break
    except Exception:
        time.sleep(0.1)
else:
    sys.exit("FAIL: no DevTools page")
ws = websocket.create_connection(page["webSocketDebuggerUrl"], timeout=30)
ids = iter(range(1, 1 << 30))

def call(method, **params):
    n = next(ids)
    ws.send(json.dumps({"id": n, "method": method, "params": params}))
    while True:
        m = json.loads(ws.recv())
        if m.get("id") == n:
            return m.get("result", {})

def text(selector):
    r = call("Runtime.evaluate", expression=f"(document.querySelector({json.dumps(selector)})||{{}}).innerText||''")
    return r.get("result", {}).get("value", "")

def wait(selector, want, seconds=10):
    end = time.time() + seconds
    while time.time() < end:
        got = text(selector)
        if all(w in got for w in want):
            return got
        time.sleep(0.1)
    sys.exit(f"FAIL: {selector} never showed {want}; it shows {text(selector)!r}; page: {text('body')!r}")

def wait_gone(selector, word, seconds=20):
    end = time.time() + seconds
    while time.time() < end:
        if word not in text(selector):
            return
        time.sleep(0.1)
    sys.exit(f"FAIL: {selector} still shows {word!r}: {text(selector)!r}")

call("Page.enable")
call("Page.navigate", url=url)
row = wait('tr[data-path="counter"]', ["counter", "worker", "running"])
wait("#summary", ["healthy"])
wait('tr[data-path="web/relay"]', ["relay", "running"])
wait("#events", ["event=child_started"])
loads = call("Runtime.evaluate", expression="performance.getEntriesByType('navigation').length")
os.kill(pid, signal.SIGSEGV)
row = wait('tr[data-path="counter"]', ["degraded", "killed by SIGSEGV"])
wait("#events", ["event=child_terminated"])
wait("#summary", ["degraded"])  # the root's health, as status says it, not "healthy"
crashed = row
# A live upgrade under way: counter_slow_cc's code_change sleeps 4 s, then refuses.
up = subprocess.Popen([ctl, "--socket", sock, "upgrade", "counter", "--module", slow, "--extra", "4000"],
                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
upgrading = wait('tr[data-path="counter"]', ["upgrading", "1.0.0", "counter_slow_cc.so"])
banner = wait("#upgrade", ["Upgrade in progress", "counter 1.0.0", "counter_slow_cc.so"])
png = call("Page.captureScreenshot", format="png")["data"]
open(shot, "wb").write(base64.b64decode(png))
if up.wait(timeout=30) == 0:
    sys.exit("FAIL: the slow upgrade was not refused")
wait("#events", ["event=upgrade_failed"])
wait_gone('tr[data-path="counter"]', "upgrading")
wait_gone("#upgrade", "Upgrade in progress")
wait('tr[data-path="counter"]', ["1.0.0"])
# A release upgrade shows in the banner from its started record to its
# done one (records as ninesd logs them, handed to the page's reader).
def record(line):
    call("Runtime.evaluate", expression=f"release_event({json.dumps(line)});refresh()", awaitPromise=True)
record('ts=2026-12-03T10:00:00.000Z level=notice event=release_upgrade_started release=myapp from=1.0.0 '
       'to=1.1.0 ms=0 max_pause_us=0 msg="release upgrade started"')
wait("#upgrade", ["Upgrade in progress: release myapp 1.0.0 \u2192 1.1.0"])
record('ts=2026-12-03T10:00:01.000Z level=notice event=release_upgrade_done release=myapp from=1.0.0 '
       'to=1.1.0 ms=12 max_pause_us=80 msg="release upgrade done"')
wait_gone("#upgrade", "release")
again = call("Runtime.evaluate", expression="performance.getEntriesByType('navigation').length")
if again != loads:
    sys.exit("FAIL: the page was reloaded")
print("shown live:", " ".join(crashed.split()), "; upgrade under way:", " ".join(banner.split()))
