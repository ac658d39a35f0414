#!/usr/bin/env bash
# What `make install` lays, used as an operator and a module author use it:
# every program, man page and completion in its place; the man pages
# render without warnings; the unit file is hardened (systemd-analyze
# security at most 4.0) and verifies; the sample tree passes ninesd
# --check with the installed example module; a C++ module and a C module
# linked with -z defs build against the installed header and pkg-config
# file and run under the installed ninesd, answering ninesctl call; bash
# completion offers the commands and the running tree's children; zsh's
# parses; an uninstalled pkg-config file serves a checkout; `make
# uninstall` takes everything back but an edited tree file.
#   tests/packaging.sh BUILD
set -euo pipefail
build=$(cd "${1:-build}" && pwd)
root=$(cd "$(dirname "$0")/.." && pwd)
d=$(mktemp -d /tmp/nines-pkg-XXXXXX)
pid=""
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$d"; }
trap cleanup EXIT
fail() { echo "FAIL: $*"; exit 1; }

make -s -C "$root" BUILD="$build" DESTDIR="$d/root" install >"$d/install.log" 2>&1 ||
    { cat "$d/install.log"; fail "make install"; }
p=$d/root/usr/local
for f in bin/ninesd bin/ninesctl bin/nines-release bin/nines-appup libexec/nines/nines-worker \
    bin/nines-modtest include/nines/module.h include/nines/snap.h lib/pkgconfig/nines.pc lib/systemd/system/ninesd.service \
    share/man/man8/ninesd.8 share/man/man1/ninesctl.1 share/man/man1/nines-release.1 \
    share/man/man1/nines-appup.1 share/man/man3/nines-module.3 \
    share/bash-completion/completions/ninesctl share/zsh/vendor-completions/_ninesctl \
    lib/nines/examples/counter.so share/doc/nines/README.md share/doc/nines/design.md \
    share/doc/nines/examples/counter/counter.c share/doc/nines/tree.yaml.sample; do
    [ -e "$p/$f" ] || fail "make install did not lay $f"
done
[ -e "$d/root/etc/nines/tree.yaml" ] || fail "no sample /etc/nines/tree.yaml"

# The man pages: each renders without a warning and says what it is.
for m in "$p"/share/man/man*/*; do
    warnings=$(groff -man -ww -z "$m" 2>&1) || fail "$m does not render"
    [ -z "$warnings" ] || fail "$m: $warnings"
    grep -q '^\.SH "\?NAME' "$m" || fail "$m has no NAME section"
done
grep -q -- '^\\fB\\-\\-releases\\fR DIR' "$p/share/man/man8/ninesd.8" || fail "ninesd.8 lacks the options of --help"

# The unit: hardened, and systemd finds nothing wrong in it.
unit=$p/lib/systemd/system/ninesd.service
grep -q '^ExecStart=/usr/local/bin/ninesd /etc/nines/tree.yaml$' "$unit" || fail "ExecStart: $(grep ExecStart= "$unit")"
exposure=$(systemd-analyze security --offline=true "$unit" 2>/dev/null | sed -n 's/.*Overall exposure level for ninesd.service: \([0-9.]*\).*/\1/p')
[ -n "$exposure" ] || fail "systemd-analyze security gave no exposure level"
awk -v e="$exposure" 'BEGIN { exit !(e <= 4.0) }' || fail "exposure $exposure > 4.0"
for key in RestartPreventExitStatus=2 Delegate=yes; do grep -q "^$key" "$unit" || fail "unit lacks $key"; done
sed "s|/usr/local/bin/ninesd|$p/bin/ninesd|" "$unit" >"$d/ninesd.service" # the binary where it is
verify=$(systemd-analyze verify "$d/ninesd.service" 2>&1 | grep 'ninesd.service' || true)
[ -z "$verify" ] || fail "systemd-analyze verify: $verify"

# The sample tree, with the installed module.
sed "s|/usr/local|$p|g" "$d/root/etc/nines/tree.yaml" >"$d/sample.yaml"
"$p/bin/ninesd" --worker "$p/libexec/nines/nines-worker" --check "$d/sample.yaml" >/dev/null ||
    fail "the sample tree does not pass ninesd --check"

# Modules built against the installed files (the sysroot maps /usr/local).
export PKG_CONFIG_PATH=$p/lib/pkgconfig PKG_CONFIG_SYSROOT_DIR=$d/root
cflags=$(pkg-config --cflags nines)
# shellcheck disable=SC2086
g++ -std=c++20 -Wall -Wextra -Werror $cflags -shared -o "$d/cxx.so" "$root/tests/packaging/cxx_module.cpp" ||
    fail "the C++ module does not build"
# shellcheck disable=SC2086
cc -Wall -Wextra -Wno-unused-parameter -Werror $cflags -shared -Wl,-z,defs -Wl,-z,undefs -o "$d/pinger.so" \
    "$root/examples/counter/"*.c 2>"$d/cc.log" || { cat "$d/cc.log"; fail "a -z defs build as the man page says"; }
unset PKG_CONFIG_SYSROOT_DIR
cat >"$d/tree.yaml" <<YAML
supervisor:
  children:
    - {id: cxx, module: $d/cxx.so}
    - {id: counter, module: $d/pinger.so}
YAML
"$p/bin/ninesd" --worker "$p/libexec/nines/nines-worker" --socket "$d/sock" --log-target stderr "$d/tree.yaml" \
    2>"$d/ninesd.log" &
pid=$!
for _ in $(seq 100); do grep -q 'event=tree_started' "$d/ninesd.log" && break; sleep 0.05; done
reply=$("$p/bin/ninesctl" --socket "$d/sock" call cxx anything) || fail "ninesctl call cxx: $(tail -3 "$d/ninesd.log")"
[ "$reply" = hello ] || fail "the C++ module answered '$reply'"

# Completion: bash offers every command, and the children of the running tree.
comp() { # WORDS...: what bash completion offers for the last word
    PATH=$p/bin:$PATH bash -c 'source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _ninesctl; printf "%s\n" "${COMPREPLY[@]}"' \
        _ "$p/share/bash-completion/completions/ninesctl" "$@"
}
offered=$(comp ninesctl "")
for c in $("$p/bin/ninesctl" --help | sed -n '/^commands:/,/^$/p' | awk 'NR > 1 && NF {print $1}' | sort -u); do
    grep -qx "$c" <<<"$offered" || fail "bash completion does not offer '$c'"
done
grep -qx reload <<<"$offered" || fail "bash completion does not offer 'reload'"
[ "$(comp ninesctl rele)" = release ] || fail "bash completion of 'rele': $(comp ninesctl rele)"
children=$(comp ninesctl --socket "$d/sock" call "")
grep -qx cxx <<<"$children" && grep -qx counter <<<"$children" || fail "bash completion of CHILD: $children"
if command -v zsh >/dev/null; then
    zsh -n "$p/share/zsh/vendor-completions/_ninesctl" || fail "zsh completion does not parse"
fi
kill "$pid"
wait "$pid" || true
pid=""

# A checkout serves modules too, through its uninstalled pkg-config file.
[ "$(PKG_CONFIG_PATH=$build pkg-config --cflags nines | sed "s/ *$//")" = "-I$root/include -fPIC" ] ||
    fail "uninstalled pkg-config: $(PKG_CONFIG_PATH=$build pkg-config --cflags nines)"
[ "$(PKG_CONFIG_PATH=$build pkg-config --variable=modtest nines)" = "$(cd "$build" && pwd)/nines-modtest" ] ||
    fail "uninstalled pkg-config: modtest=$(PKG_CONFIG_PATH=$build pkg-config --variable=modtest nines)"

# The out-of-tree template, copied as a user would: built and tested
# against the checkout, then against the installed files.
cp -r "$root/examples/template" "$d/tpl"
make -s -C "$d/tpl" check PKG_CONFIG_PATH="$(cd "$build" && pwd)" >"$d/tpl.log" 2>&1 ||
    { cat "$d/tpl.log"; fail "examples/template against the checkout"; }
grep -q "^ok .*template.modtest" "$d/tpl.log" || fail "the template's test did not run: $(cat "$d/tpl.log")"
make -s -C "$d/tpl" clean
PKG_CONFIG_PATH=$p/lib/pkgconfig PKG_CONFIG_SYSROOT_DIR=$d/root make -s -C "$d/tpl" check \
    MODTEST="$p/bin/nines-modtest" >"$d/tpl.log" 2>&1 ||
    { cat "$d/tpl.log"; fail "examples/template against the installed files"; }
[ -e "$p/share/doc/nines/examples/template/Makefile" ] || fail "the template is not installed"
# ... and the README's walkthrough ("Writing an application"), its commands
# one by one, from the installed files only: the template copied from the
# installed docs, built and tested, run under ninesd, its version changed,
# rebuilt and upgraded live with its state.
P=$p
(
    set -e
    cd "$d"
    export PKG_CONFIG_PATH=$P/lib/pkgconfig PKG_CONFIG_SYSROOT_DIR=$d/root
    cp -r "$P/share/doc/nines/examples/template" greeter && cd greeter
    make check MODTEST="$P/bin/nines-modtest" >"$d/walk-check.log" 2>&1
    grep -q "^ok .*template.modtest" "$d/walk-check.log"
    printf 'supervisor:\n  children:\n    - {id: greeter, module: %s/template.so}\n' "$PWD" > tree.yaml
) || fail "the walkthrough's build and test: $(cat "$d/walk-check.log" 2>/dev/null)"
"$P/bin/ninesd" --worker "$P/libexec/nines/nines-worker" --socket "$d/greeter.sock" --log-target stderr \
    "$d/greeter/tree.yaml" 2>"$d/tpl-ninesd.log" &
pid=$!
for _ in $(seq 100); do grep -q 'event=tree_started' "$d/tpl-ninesd.log" && break; sleep 0.05; done
ctl() { "$P/bin/ninesctl" --socket "$d/greeter.sock" "$@"; }
[ "$(ctl call greeter hello)" = "hello #1" ] || fail "the template under ninesd: $(tail -3 "$d/tpl-ninesd.log")"
(
    set -e
    cd "$d/greeter"
    export PKG_CONFIG_PATH=$P/lib/pkgconfig PKG_CONFIG_SYSROOT_DIR=$d/root
    sed -i 's/"1.0.0"/"1.1.0"/' template.c
    make >"$d/walk-make.log" 2>&1 && cp template.so template-1.1.so
) || fail "the walkthrough's rebuild: $(cat "$d/walk-make.log")"
ctl upgrade greeter --module "$d/greeter/template-1.1.so" >/dev/null || fail "the template's live upgrade"
ctl status greeter | grep -q ' 1\.1\.0 ' || fail "the upgrade did not run 1.1.0: $(ctl status greeter)"
[ "$(ctl call greeter hello)" = "hello #2" ] || fail "the template's state did not survive its upgrade"
kill "$pid"
wait "$pid" || true
pid=""

# Uninstall: nothing left but the edited tree file.
installed=$(find "$d/root" ! -type d | wc -l)
echo "# edited" >>"$d/root/etc/nines/tree.yaml"
make -s -C "$root" BUILD="$build" DESTDIR="$d/root" uninstall >"$d/uninstall.log" 2>&1 || fail "make uninstall"
left=$(find "$d/root" ! -type d)
[ "$left" = "$d/root/etc/nines/tree.yaml" ] || fail "make uninstall left: $left"
echo "ok: make install lays $installed files; man pages clean; unit exposure $exposure; C++ and -z defs modules run; completion; uninstall clean"
