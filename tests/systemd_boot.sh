#!/usr/bin/env bash
# ninesd under a real systemd, with the unit file it ships: systemd 252 is
# booted as PID 1 of private PID, mount and cgroup namespaces, over a
# read-only bind of / with tmpfs on /run, /tmp, /var/tmp, /var/lib and the
# journal folder, cgroup file systems mounted in its cgroup namespace (so
# that runs side by side do not share their slices), and the sysinit units masked (booted otherwise, its
# tmpfiles step would empty the machine's /tmp). Then: the hardened unit
# starts (Type=notify: active only once ninesd said READY=1), STATUS= is
# shown, each child runs in a cgroup of its own (Delegate=yes),
# `systemctl reload` applies a changed tree file in place, the watchdog is fed, a killed worker is restarted under the
# system call filter and the read-only system (and STATUS= names it as
# degraded), and `systemctl stop` stops
# the tree in order with exit 0 and no process left in the cgroup. Skips
# with a line saying why where systemd cannot boot (not root, no
# namespaces).
#   tests/systemd_boot.sh BUILD
set -u
build=$(cd "${1:-build}" && pwd)
root=$(cd "$(dirname "$0")/.." && pwd)
skip() { echo "ok: skipped: $*"; exit 0; }
fail() {
    echo "FAIL: $*"
    [ -n "${R:-}" ] && [ -s "$R.journal" ] && grep -v ' Mount\| Start\| Reached \| Listening \|Unnecessary' "$R.journal" | tail -30
    [ -n "${systemd_pid:-}" ] && { echo "--- ninesd's log"; sd tail -30 /run/nines-test/ninesd.log; }
    exit 1
}
[ "$(id -u)" -eq 0 ] || skip "not root"
[ -x /lib/systemd/systemd ] || skip "no /lib/systemd/systemd"
command -v unshare >/dev/null && command -v nsenter >/dev/null || skip "no unshare/nsenter"
systemd_pid=""
R=$(mktemp -d /var/tmp/nines-sdroot-XXXXXX)
CG=nines-boot-$$
hierarchies=()
for h in /sys/fs/cgroup/systemd /sys/fs/cgroup/unified /sys/fs/cgroup; do
    [ -e "$h/cgroup.procs" ] || continue
    mkdir -p "$h/$CG" && echo $$ >"$h/$CG/cgroup.procs" && hierarchies+=("$h")
    [ "$h" = /sys/fs/cgroup/unified ] && break
done
cleanup() {
    [ -n "$systemd_pid" ] && kill -9 "$systemd_pid" 2>/dev/null
    wait 2>/dev/null
    for h in "${hierarchies[@]}"; do
        echo $$ >"$h/cgroup.procs" 2>/dev/null
        find "$h/$CG" -depth -type d -exec rmdir {} \; 2>/dev/null
    done
    rm -f "$R.inner" "$R.journal"
    rmdir "$R" 2>/dev/null
}
trap cleanup EXIT

# The unit as installed, pointed at this build, with a short watchdog.
unit=$(sed -e "s|^ExecStart=.*|ExecStart=$build/ninesd --worker $build/nines-worker /run/nines-test/tree.yaml|" \
    -e 's|^WatchdogSec=.*|WatchdogSec=2s\nStandardError=file:/run/nines-test/ninesd.log|' "$root/ninesd.service.in")
# The unit's PrivateTmp= hides a build in /tmp or /var/tmp from ninesd
# itself: the test's copy binds it in (read-only, as the rest of /).
for d in "$root" "$build"; do
    case "$d" in
    /tmp/*|/var/tmp/*) unit=$(printf '%s\n' "$unit" | sed "/^\[Service\]/a BindReadOnlyPaths=$d");;
    esac
done
# The cgroup file systems mounted afresh, from inside the cgroup namespace:
# the host's mounts (bound in with /) show the whole hierarchy, so this
# systemd would make its slices at the host's top (as /system.slice/...),
# where another run's systemd makes the same ones, and the two would kill
# each other's ninesd and children. A mount made here shows only the
# namespace's root ($CG) and below. Hybrid, as the host, with no v1
# controller (their hierarchies are the host's, not this run's). These
# lines run in the namespaces (the script below).
cgroup_mounts=""
case " ${hierarchies[*]} " in
*" /sys/fs/cgroup "*) cgroup_mounts="mount -t cgroup2 cgroup2 $R/sys/fs/cgroup";;
*)  cgroup_mounts="mount -t tmpfs -o mode=755 tmpfs $R/sys/fs/cgroup"
    for h in "${hierarchies[@]}"; do
        case "$h" in
        */unified) cgroup_mounts+=$'\n'"mkdir $R$h && mount -t cgroup2 cgroup2 $R$h";;
        */systemd) cgroup_mounts+=$'\n'"mkdir $R$h && mount -t cgroup -o none,name=systemd cgroup $R$h";;
        esac
    done;;
esac
cat >"$R.inner" <<INNER
set -e
mount --rbind / "$R"
mount -o remount,bind,ro "$R"
for t in run tmp var/tmp var/lib var/log/journal; do mount -t tmpfs tmpfs "$R/\$t"; done
# A checkout (or its build) under one of those folders, as a clone in /tmp
# is, would be hidden by its tmpfs: bind it back, read-only, at its path.
for d in "$root" "$build"; do
    case "\$d" in
    /run/*|/tmp/*|/var/tmp/*|/var/lib/*|/var/log/journal/*)
        mkdir -p "$R\$d" && mount --bind "\$d" "$R\$d" && mount -o remount,bind,ro "$R\$d";;
    esac
done
mount -t proc proc "$R/proc"
$cgroup_mounts
mkdir -p "$R/run/systemd/system" "$R/run/nines-test"
for u in \$(ls -1 /lib/systemd/system/sysinit.target.wants/ /etc/systemd/system/sysinit.target.wants/ 2>/dev/null | grep -v ':\$') \
         systemd-tmpfiles-clean.timer systemd-tmpfiles-clean.service systemd-tmpfiles-setup.service \
         systemd-tmpfiles-setup-dev.service systemd-logind.service getty.target console-getty.service; do
    ln -sf /dev/null "$R/run/systemd/system/\$u"
done
printf '[Unit]\nDescription=the Nines boot test\n' >"$R/run/systemd/system/nines-test.target"
cat >"$R/run/systemd/system/ninesd.service" <<'UNIT'
$unit
UNIT
printf 'supervisor:\n  intensity: 10\n  period: 5s\n  children:\n    - {id: counter, module: $build/examples/counter.so}\n    - {id: echo, module: $build/examples/echo.so, args: {port: 0}}\n' \
    >"$R/run/nines-test/tree.yaml"
export container=nines-test
exec chroot "$R" /lib/systemd/systemd --system --unit=nines-test.target
INNER
unshare --pid --fork --mount --cgroup --propagation private bash "$R.inner" >"$R.journal" 2>&1 &
unshare_pid=$!
# Our own systemd: unshare's child (another test run may have booted one too).
for _ in $(seq 100); do
    systemd_pid=$(pgrep -P "$unshare_pid" -f -x "/lib/systemd/systemd --system --unit=nines-test.target")
    [ -n "$systemd_pid" ] && break
    sleep 0.1
done
[ -n "$systemd_pid" ] || skip "systemd did not start in the namespaces: $(tail -3 "$R.journal")"
sd() { nsenter -t "$systemd_pid" -m -p -C -r -w "$@"; }
state=""
for _ in $(seq 100); do
    state=$(sd systemctl is-system-running 2>/dev/null)
    [ "$state" = running ] || [ "$state" = degraded ] && break
    sleep 0.1
done
[ "$state" = running ] || skip "systemd did not come up (state '$state')"

show() { sd systemctl show -p "$1" --value ninesd.service; }
sd systemctl start ninesd.service || fail "systemctl start ninesd: $(sd systemctl status ninesd --no-pager 2>&1 | tail -15)"
[ "$(show ActiveState)" = active ] || fail "ninesd is $(show ActiveState)"
[ "$(show Type)" = notify ] || fail "the unit is not Type=notify"
status_text=$(show StatusText)
[ -n "$status_text" ] || fail "no STATUS= from ninesd"
ctl() { sd "$build/ninesctl" --socket /run/nines/control.sock "$@"; }
ctl status >/dev/null || fail "ninesctl status under systemd: $(ctl status 2>&1)"
# Delegate=yes: each child in a cgroup of its own below the unit's.
cpid=$(ctl status --json | grep -o '"path":"counter"[^}]*"pid":[0-9]*' | grep -o '[0-9]*$')
cg=$(sd cat "/proc/$cpid/cgroup" 2>/dev/null | sed -n 's/^0:://p')
[ "$cg" = /system.slice/ninesd.service/child-counter ] || fail "counter's cgroup is '$cg': $(sd grep cgroups /run/nines-test/ninesd.log)"
# That cgroup is this run's own, below $CG on the host (not the host's
# /system.slice, which another run's systemd would share).
top=${hierarchies[${#hierarchies[@]}-1]}
[ -d "$top/$CG/system.slice/ninesd.service/child-counter" ] ||
    fail "counter's cgroup is not below $top/$CG: $(ls "$top/$CG" 2>&1)"
# systemctl reload (ExecReload=): the changed tree file applied in place.
main_before=$(show MainPID)
sd sh -c "printf '    - {id: extra, exec: [/bin/sleep, \"1000\"]}\n' >>/run/nines-test/tree.yaml"
sd systemctl reload ninesd.service || fail "systemctl reload: $(sd systemctl status ninesd --no-pager 2>&1 | tail -5)"
for _ in $(seq 50); do ctl status --json | grep -q '"path":"extra"' && break; sleep 0.1; done
ctl status --json | grep -q '"path":"extra"' || fail "reload did not add the child 'extra'"
[ "$(show MainPID)" = "$main_before" ] || fail "reload restarted ninesd"
# The watchdog (2 s here) is fed: still active after three periods.
sleep 6
[ "$(show ActiveState)" = active ] || fail "ninesd is $(show ActiveState) after 6 s with WatchdogSec=2s"
[ "$(show NRestarts)" = 0 ] || fail "systemd restarted ninesd $(show NRestarts) times"
# A worker killed: restarted, under the sandbox and the system call filter.
old=$(ctl status --json | grep -o '"path":"counter"[^}]*"pid":[0-9]*' | grep -o '[0-9]*$')
[ -n "$old" ] || fail "no pid for counter: $(ctl status --json)"
sd kill -9 "$old"
new=""
for _ in $(seq 100); do
    new=$(ctl status --json | grep -o '"path":"counter"[^}]*"pid":[0-9]*' | grep -o '[0-9]*$')
    [ -n "$new" ] && [ "$new" != "$old" ] && break
    sleep 0.1
done
[ -n "$new" ] && [ "$new" != "$old" ] || fail "counter was not restarted after kill -9 (pid $old)"
[ "$(ctl call counter get)" != "" ] || fail "the restarted counter does not answer"
# STATUS= names it until its crash no longer counts (the tree's 5 s period).
degraded=""
for _ in $(seq 30); do
    degraded=$(show StatusText)
    case "$degraded" in degraded:*) break;; esac
    sleep 0.1
done
[ "$degraded" = "degraded: counter degraded (killed by SIGKILL); 1 of 3 children in trouble" ] ||
    fail "StatusText after a crash: '$degraded'"
main=$(show MainPID)
sd systemctl stop ninesd.service
[ "$(show ActiveState)" = inactive ] || fail "after stop: $(show ActiveState) ($(show Result))"
[ "$(show ExecMainStatus)" = 0 ] || fail "ninesd exited $(show ExecMainStatus) on stop"
left=$(sd systemd-cgls --no-pager -u ninesd.service 2>/dev/null | grep -c '[0-9] ' || true)
[ "$left" = 0 ] || fail "$left processes left in ninesd.service's cgroup"
echo "ok: under systemd 252 the hardened unit starts (Type=notify, STATUS=\"$status_text\"), a cgroup per child ($cg), reload adds a child in place, feeds a 2 s watchdog, restarts a killed worker (STATUS=\"$degraded\"), stops cleanly (pid $main, exit 0)"
