/*
 * bench_peers — Nines beside its peers (bench/peers.sh installs them):
 * s6 (s6-supervise), runit (runsv) and Python's supervisor (supervisord),
 * each supervising the same program (peer_child), next to ninesd with the
 * same program as an exec: child and with a .so worker (trivial.so), by
 * default and with --no-spare, and the two spawn floors: posix_spawn+exec
 * of that program, and posix_spawn+exec+dlopen of that module.
 *
 * Crash (SIGKILL) -> replacement running, two ways per supervisor and
 * round: a child that had run over a second, then its replacement killed
 * at once (the peers wait before restarting a child that died young:
 * s6-supervise and runsv a second after its start, and supervisord acts
 * on its once-a-second loop). Rounds go over every supervisor in turn,
 * starting one further each round, so load falls on all alike.
 *
 * Then memory: each supervisor started alone on CHILDREN copies of the
 * program, RSS and PSS of its own processes (not the children) divided
 * by the children.
 *
 *   bench_peers [ROUNDS [CHILDREN [OUT_DIR]]]   (20, 100, build/bench)
 *
 * writes OUT_DIR/peers.tsv and OUT_DIR/peers-memory.tsv (make bench-plot).
 */
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench_common.h"
#include "peers_sup.h"

extern char **environ;

#define SETTLE_US 3000
#define LIVED_US 1100000.0 /* "over a second" with room */
#define N_KINDS 6
#define FLOOR_EXEC N_KINDS
#define FLOOR_SO (N_KINDS + 1)
#define N_TARGETS (N_KINDS + 2)

static void die(const char *what) {
    fprintf(stderr, "bench_peers: %s\n", what);
    exit(1);
}

/* posix_spawn + exec of peer_child until it says it runs. */
static double floor_exec(void) {
    static int sock = -1;
    static char path[64];
    if (sock < 0) {
        snprintf(path, sizeof path, "/tmp/nines-peers-floor-%d.sock", (int)getpid());
        unlink(path);
        struct sockaddr_un sa = {.sun_family = AF_UNIX};
        snprintf(sa.sun_path, sizeof sa.sun_path, "%s", path);
        sock = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (sock < 0 || bind(sock, (struct sockaddr *)&sa, sizeof sa) < 0)
            die("floor socket");
    }
    char *argv[] = {NINES_BUILD_DIR "/bench/peer_child", path, "c0", NULL};
    pid_t pid;
    char msg[64];
    double t0 = bench_now_us();
    if (posix_spawn(&pid, argv[0], NULL, NULL, argv, environ) != 0 || recv(sock, msg, sizeof msg, 0) <= 0)
        die("floor: peer_child");
    double t1 = bench_now_us();
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    return t1 - t0;
}

/* posix_spawn + exec + dlopen of trivial.so (floor_loader), as bench_restart. */
static double floor_so(void) {
    return bench_module_floor_us(NINES_BUILD_DIR "/tests/apps/trivial.so");
}

/* Kill child 0 and wait for its replacement: microseconds. */
static double crash(struct peer_sup *s) {
    pid_t victim = s->child[0];
    double t0 = bench_now_us();
    kill(victim, SIGKILL);
    while (s->child[0] == victim)
        if (peer_wait(s, 10000) < 0) {
            fprintf(stderr, "bench_peers: %s did not restart its child\n", s->name);
            exit(1);
        }
    return s->started_us[0] - t0;
}

struct series {
    double *v;
    int n;
};

static void add(struct series *s, double us) {
    s->v[s->n++] = us;
}

static void one_round(int r, struct peer_sup *sups, bool *up, struct series *lived, struct series *young) {
    for (int j = 0; j < N_TARGETS; j++) {
        int t = (r + j) % N_TARGETS;
        usleep(SETTLE_US);
        if (t == FLOOR_EXEC || t == FLOOR_SO) {
            add(&young[t], t == FLOOR_EXEC ? floor_exec() : floor_so());
            usleep(SETTLE_US);
            add(&young[t], t == FLOOR_EXEC ? floor_exec() : floor_so());
            continue;
        }
        if (!up[t])
            continue;
        double age = bench_now_us() - sups[t].started_us[0];
        if (age < LIVED_US)
            usleep((useconds_t)(LIVED_US - age));
        add(&lived[t], crash(&sups[t]));
        usleep(SETTLE_US);
        add(&young[t], crash(&sups[t]));
    }
}

static const char *target_name(int t) {
    return t == FLOOR_EXEC ? "floor: posix_spawn+exec" : t == FLOOR_SO ? "floor: posix_spawn+exec+dlopen"
                                                                      : peer_kind_name((enum peer_kind)t);
}

static void put_row(FILE *tsv, int t, const char *what, struct series *s) {
    if (!s->n)
        return;
    struct bench_stats st = bench_stats(s->v, (size_t)s->n);
    printf("  %-32s %-10s p50 %9.3f ms  p99 %9.3f ms  (%d)\n", target_name(t), what, st.p50 / 1e3, st.p99 / 1e3,
           s->n);
    fprintf(tsv, "%s\t%s\t%d\t%.4f\t%.4f\t%.4f\n", target_name(t), what, s->n, st.p50 / 1e3, st.p99 / 1e3,
            st.mean / 1e3);
}

static FILE *open_out(const char *dir, const char *name, const char *header) {
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    if (!f)
        die(path);
    fputs(header, f);
    return f;
}

static void latency(int rounds, const char *out) {
    struct peer_sup sups[N_KINDS];
    bool up[N_KINDS];
    struct series lived[N_TARGETS] = {0}, young[N_TARGETS] = {0};
    for (int t = 0; t < N_TARGETS; t++) {
        lived[t].v = calloc((size_t)rounds * 2, sizeof(double));
        young[t].v = calloc((size_t)rounds * 2, sizeof(double));
    }
    for (int k = 0; k < N_KINDS; k++) {
        up[k] = peer_start(&sups[k], (enum peer_kind)k, 1) && peer_wait_all(&sups[k], 10000);
        if (!up[k])
            fprintf(stderr, "bench_peers: %s did not start its child: left out\n", peer_kind_name(k));
    }
    for (int r = 0; r < rounds; r++)
        one_round(r, sups, up, lived, young);
    for (int k = 0; k < N_KINDS; k++)
        peer_stop(&sups[k]);
    FILE *tsv = open_out(out, "peers.tsv", "supervisor\tcase\tsamples\tp50_ms\tp99_ms\tmean_ms\n");
    printf("peers: crash (SIGKILL) -> replacement running, %d rounds, interleaved\n", rounds);
    for (int t = 0; t < N_TARGETS; t++) {
        put_row(tsv, t, t >= N_KINDS ? "floor" : "immediate", &young[t]);
        put_row(tsv, t, "lived_1s", &lived[t]);
        free(lived[t].v);
        free(young[t].v);
    }
    fclose(tsv);
}

/* The supervisor's own RSS and PSS (KiB) on n children; false if it
 * could not start them. */
static bool measure(enum peer_kind k, int n, long *rss, long *pss, int *procs) {
    struct peer_sup s;
    bool ok = peer_start(&s, k, n) && peer_wait_all(&s, 60000);
    if (ok) {
        usleep(500000); /* let it settle after the starts */
        peer_memory(&s, rss, pss, procs);
    }
    peer_stop(&s);
    if (!ok)
        fprintf(stderr, "bench_peers: %s did not start %d children: left out\n", peer_kind_name(k), n);
    return ok;
}

/* Per child two ways: all of it divided by the children, and what the
 * children added to the same supervisor with one child. */
static void memory(int children, const char *out) {
    FILE *tsv = open_out(out, "peers-memory.tsv",
                         "supervisor\tchildren\tprocesses\trss_kib\tpss_kib\trss_per_child_kib\tpss_per_child_kib"
                         "\trss_one_child_kib\tpss_one_child_kib\trss_per_added_child_kib\tpss_per_added_child_kib\n");
    printf("peers: memory of the supervisor's own processes (not the children), %d children against 1\n", children);
    for (int k = 0; k < N_KINDS; k++) {
        long rss, pss, rss1, pss1;
        int procs, procs1;
        if (!measure((enum peer_kind)k, 1, &rss1, &pss1, &procs1) ||
            !measure((enum peer_kind)k, children, &rss, &pss, &procs))
            continue;
        double per_rss = (double)rss / children, per_pss = (double)pss / children;
        double add_rss = children > 1 ? (double)(rss - rss1) / (children - 1) : 0;
        double add_pss = children > 1 ? (double)(pss - pss1) / (children - 1) : 0;
        printf("  %-22s %4d processes  RSS %7ld KiB  PSS %7ld KiB  per child RSS %7.1f PSS %7.1f KiB;"
               "  per added child RSS %7.1f PSS %7.1f KiB\n",
               peer_kind_name(k), procs, rss, pss, per_rss, per_pss, add_rss, add_pss);
        fprintf(tsv, "%s\t%d\t%d\t%ld\t%ld\t%.1f\t%.1f\t%ld\t%ld\t%.1f\t%.1f\n", peer_kind_name(k), children, procs,
                rss, pss, per_rss, per_pss, rss1, pss1, add_rss, add_pss);
    }
    fclose(tsv);
}

int main(int argc, char **argv) {
    int rounds = argc > 1 ? atoi(argv[1]) : 20;
    int children = argc > 2 ? atoi(argv[2]) : 100;
    const char *out = argc > 3 ? argv[3] : NINES_BUILD_DIR "/bench";
    if (rounds < 1 || children < 1 || children > PEER_MAX_CHILDREN)
        die("usage: bench_peers [ROUNDS [CHILDREN (1-1000) [OUT_DIR]]]");
    signal(SIGPIPE, SIG_IGN);
    latency(rounds, out);
    printf("\n");
    memory(children, out);
    return 0;
}
