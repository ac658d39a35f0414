# bench/peers_plot.sh's gnuplot script: `latency`, `memory` (data files),
# `children`, `versions` and `out` come from -e.
set terminal svg size 1100,520 dynamic noenhanced font "sans,12" background "#ffffff"
set output out
set multiplot layout 1,2 title "Nines beside its peers (bench/bench_peers, one run, interleaved; ".versions.")" font ",13"
set style fill solid 0.85 border -1
set grid ytics mytics lc rgb "#dddddd"
set key top right box opaque font ",11"
set xtics rotate by -35 left nomirror font ",11"
set ytics nomirror
set border 3
set tmargin 4
set bmargin 9
fmt(v) = v >= 100 ? sprintf("%.0f", v) : v >= 10 ? sprintf("%.1f", v) : sprintf("%.2f", v)

set title "crash (SIGKILL) → replacement running, p50"
set logscale y
set yrange [0.1:5000]
set ylabel "milliseconds (log scale)"
set xrange [-0.6:*]
w = 0.19
plot latency using ($0-w):2:($0-2*w):($0):(0.1):2:xtic(1) with boxxyerror lc rgb "#3b6fb6" title "killed at once", \
     latency using ($0+w):3:($0):($0+2*w):(0.1):3 with boxxyerror lc rgb "#e08a1e" title "after running over 1 s", \
     latency using ($0-w):2:(fmt($2)) with labels offset 0,0.7 font ",9" notitle, \
     latency using ($0+w):3:(fmt($3)) with labels offset 0,0.7 font ",9" notitle

set title sprintf("memory of the supervisor per supervised child (PSS, %s children)", children)
unset logscale y
set yrange [0:*]
set offsets 0, 0, graph 0.25, 0
set key top left
set ylabel "KiB per child"
plot memory using ($0-w):2:($0-2*w):($0):(0):2:xtic(1) with boxxyerror lc rgb "#3b6fb6" title "all of it / children", \
     memory using ($0+w):3:($0):($0+2*w):(0):3 with boxxyerror lc rgb "#7aa95c" title "per child added to one", \
     memory using ($0-w):2:(fmt($2)) with labels offset 0,0.7 font ",9" notitle, \
     memory using ($0+w):3:(fmt($3)) with labels offset 0,0.7 font ",9" notitle
unset multiplot
