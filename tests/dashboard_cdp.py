#!/usr/bin/python3
"""Drive a headless Chromium over the DevTools protocol (tests/dashboard.sh):
open the dashboard, wait until it shows the tree, crash a child while the
page stays open and wait until the page shows it without a reload, then
take a screenshot.  argv: DEVTOOLS_PORT URL PID_TO_KILL SCREENSHOT"""
import base64, json, os, signal, sys, time, urllib.request
import websocket

port, url, pid, shot = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
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

call("Page.enable")
call("Page.navigate", url=url)
row = wait('tr[data-path="counter"]', ["counter", "worker", "running"])
wait('tr[data-path="web/relay"]', ["relay", "running"])
wait("#events", ["event=child_started"])
loads = call("Runtime.evaluate", expression="performance.getEntriesByType('navigation').length")
os.kill(pid, signal.SIGSEGV)
row = wait('tr[data-path="counter"]', ["degraded", "killed by SIGSEGV"])
wait("#events", ["event=child_terminated"])
again = call("Runtime.evaluate", expression="performance.getEntriesByType('navigation').length")
if again != loads:
    sys.exit("FAIL: the page was reloaded")
png = call("Page.captureScreenshot", format="png")["data"]
open(shot, "wb").write(base64.b64decode(png))
print("shown live:", " ".join(row.split()))
