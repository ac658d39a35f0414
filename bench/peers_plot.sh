#!/usr/bin/env bash
# Draw bench_peers' results (BUILD/bench/peers.tsv, peers-memory.tsv) as
# one SVG with gnuplot: crash -> replacement running per supervisor on a
# log scale (killed at once, and after running over a second), and memory
# per supervised child.
#   bench/peers_plot.sh BUILD OUT.svg
set -euo pipefail
build=${1:-build}
out=${2:-doc/peers.svg}
command -v gnuplot >/dev/null || { echo "gnuplot is not installed (scripts/setup installs gnuplot-nox)" >&2; exit 1; }
for f in peers.tsv peers-memory.tsv; do
    [ -s "$build/bench/$f" ] || { echo "no $build/bench/$f: run make bench-peers first" >&2; exit 1; }
done
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# One line per supervisor: name, p50 killed at once (or the floor), p50
# after over a second (NaN for the floors), in the order bench_peers wrote.
awk -F'\t' 'NR > 1 {
    if (!($1 in seen)) { seen[$1] = ++n; name[n] = $1; young[n] = "NaN"; lived[n] = "NaN" }
    if ($2 == "lived_1s") lived[seen[$1]] = $4; else young[seen[$1]] = $4
} END { for (i = 1; i <= n; i++) { sub("posix_spawn", "spawn", name[i]); printf "\"%s\"\t%s\t%s\n", name[i], young[i], lived[i] } }' \
    "$build/bench/peers.tsv" >"$tmp/latency.dat"
awk -F'\t' 'NR > 1 { printf "\"%s\"\t%s\t%s\n", $1, $7, $11 }' "$build/bench/peers-memory.tsv" >"$tmp/memory.dat"
children=$(awk -F'\t' 'NR == 2 { print $2 }' "$build/bench/peers-memory.tsv")
versions=$(cat "$build/bench/peers-versions.txt" 2>/dev/null || true)
gnuplot -e "latency='$tmp/latency.dat'; memory='$tmp/memory.dat'; children='$children'; versions='$versions'; out='$out'" \
    "$(dirname "$0")/peers.gp"
echo "wrote $out"
