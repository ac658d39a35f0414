#!/usr/bin/env bash
# Roll a release out to a fleet of ninesd hosts, one host at a time, the
# first one as the canary, gating each step on what ninesd answers:
#
#   rollout.sh [--make-permanent] VERSION HOST...
#
# On each HOST, in order: `ninesctl upgrade VERSION --json` (the release
# must have been unpacked there: `ninesctl release unpack`), then
# `ninesctl status` as the health check; with --make-permanent, then
# `ninesctl release make-permanent VERSION`. At the first host whose
# upgrade fails (the tree is back on its release: ninesd undid it) or
# whose tree is not healthy after it, the rollout stops: the hosts after
# it are not touched, and the exit status is 1. Each line of output names
# the host and what happened.
#
# Commands run on a host through $NINES_REMOTE (default: ssh), as
#   $NINES_REMOTE HOST ninesctl ARGS...
set -uo pipefail
remote=${NINES_REMOTE:-ssh}
permanent=false
if [ "${1:-}" = --make-permanent ]; then permanent=true; shift; fi
[ $# -ge 2 ] || { echo "usage: rollout.sh [--make-permanent] VERSION HOST..." >&2; exit 2; }
version=$1
shift

json_value() { # KEY: a string or boolean value of the JSON object on stdin
    grep -o "\"$1\":\(\"[^\"]*\"\|true\|false\)" | head -1 | sed "s/^\"$1\"://; s/^\"//; s/\"\$//"
}

done_hosts=()
for host in "$@"; do
    answer=$($remote "$host" ninesctl upgrade "$version" --json 2>/dev/null)
    if [ "$(json_value ok <<<"$answer")" != true ]; then
        echo "$host: upgrade to $version failed: $(json_value message <<<"$answer")"
        echo "stopped: upgraded ${done_hosts[*]:-no host}; not touched: the hosts after $host"
        exit 1
    fi
    echo "$host: upgraded $(json_value from <<<"$answer") -> $(json_value to <<<"$answer")"
    if ! $remote "$host" ninesctl status >/dev/null 2>&1; then
        echo "$host: not healthy after the upgrade (ninesctl status)"
        echo "stopped: upgraded ${done_hosts[*]} $host; not touched: the hosts after $host"
        exit 1
    fi
    if $permanent && ! $remote "$host" ninesctl release make-permanent "$version" >/dev/null; then
        echo "$host: make-permanent $version failed"
        exit 1
    fi
    done_hosts+=("$host")
done
echo "rolled out $version to ${#done_hosts[@]} host(s): ${done_hosts[*]}"
