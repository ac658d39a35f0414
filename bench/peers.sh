#!/usr/bin/env bash
# Nines beside its peers: installs s6, runit and Python's supervisor from
# Debian where they are missing (apt-get, as root or with sudo), then runs
# bench_peers: crash -> replacement running for each of them, for ninesd
# (.so worker, --no-spare, exec:) and for the spawn floors, interleaved
# in one run, then memory per supervised child. Results in
# BUILD/bench/peers.tsv and peers-memory.tsv; `make bench-plot` draws them.
#   bench/peers.sh [BUILD [ROUNDS [CHILDREN]]]     (build, 20, 100)
set -euo pipefail
build=${1:-build}
rounds=${2:-${NINES_BENCH_PEER_ROUNDS:-20}}
children=${3:-${NINES_BENCH_PEER_CHILDREN:-100}}
missing=()
for p in s6:s6-svscan runit:runsvdir supervisor:supervisord; do
    command -v "${p#*:}" >/dev/null || missing+=("${p%%:*}")
done
if [ ${#missing[@]} -gt 0 ]; then
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo=sudo
    export DEBIAN_FRONTEND=noninteractive
    $sudo apt-get update -qq
    # Debian may start its own supervisord service (an empty conf.d):
    # the bench runs copies of its own and leaves that one alone.
    $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
mkdir -p "$build/bench"
echo "s6 $(dpkg-query -W -f='${Version}' s6), runit $(dpkg-query -W -f='${Version}' runit)," \
     "supervisor $(dpkg-query -W -f='${Version}' supervisor), $(nproc) CPUs" | tee "$build/bench/peers-versions.txt"
"$build/bench/bench_peers" "$rounds" "$children" "$build/bench"
