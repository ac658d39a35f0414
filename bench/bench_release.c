/*
 * bench_release — a release upgrade of a tree of 100 workers of which 50
 * change (counter 1.0.0 -> 2.0.0 by code swaps; the 50 kv workers stay),
 * and the downgrade back, ROUNDS times, under load: LOADERS clients call
 * the counters through ninesd all along.
 *
 *   bench_release [ROUNDS] [LOADERS]     (default 10 and 4; make bench: 20 and 4)
 *
 * Figures, per upgrade or downgrade: its total time, the sum of the 50
 * workers' own swap pauses (the upgrade_done lines' pause_us), their ratio
 * (target: total <= 2x the sum), the longest pause any worker saw, and
 * the load's failed calls (target 0) and slowest call, beside the same
 * load without upgrades measured first in the same run.
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench_common.h"
#include "ctl_proto.h"

#define WORKERS 100
#define CHANGED 50

static struct bench_daemon daemon_;

static void sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void sh(const char *fmt, ...) {
    char cmd[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    if (system(cmd) != 0) {
        fprintf(stderr, "bench_release: '%s' failed\n", cmd);
        exit(1);
    }
}

static void write_file(const char *path, const char *text) {
    FILE *f = fopen(path, "w");
    if (!f || fputs(text, f) < 0 || fclose(f) != 0) {
        fprintf(stderr, "bench_release: cannot write %s\n", path);
        exit(1);
    }
}

/* The spec of release `version` (counter at counter_version from
 * counter_so) in DIR/src-VERSION, built into DIR/out. */
static void build(const char *version, const char *counter_version, const char *counter_so, bool appup) {
    const char *dir = daemon_.dir;
    char src[256], path[512], text[8192];
    snprintf(src, sizeof src, "%s/src-%s", dir, version);
    sh("mkdir -p %s/apps %s/appups %s/out", src, src, dir);
    sh("ln -sf %s/examples/%s %s/apps/counter.so && ln -sf %s/examples/kv.so %s/apps/kv.so", NINES_BUILD_DIR,
       counter_so, src, NINES_BUILD_DIR, src);
    snprintf(text, sizeof text,
             "release: bench\nversion: %s\ntree: tree.yaml\napplications:\n"
             "  - {name: counter, version: %s, module: apps/counter.so}\n"
             "  - {name: kv, version: 1.0.0, module: apps/kv.so}\n"
             "appups: [%s]\n",
             version, counter_version, appup ? "appups/counter.appup.yaml" : "");
    snprintf(path, sizeof path, "%s/release.yaml", src);
    write_file(path, text);
    size_t len = (size_t)snprintf(text, sizeof text, "supervisor:\n  intensity: 10\n  children:\n");
    for (int i = 0; i < WORKERS; i++)
        len += (size_t)snprintf(text + len, sizeof text - len, "    - {id: %s%d, module: apps/%s.so}\n",
                                i < CHANGED ? "c" : "k", i, i < CHANGED ? "counter" : "kv");
    snprintf(path, sizeof path, "%s/tree.yaml", src);
    write_file(path, text);
    if (appup) {
        snprintf(path, sizeof path, "%s/appups/counter.appup.yaml", src);
        write_file(path, "application: counter\nversion: 2.0.0\n"
                         "up: [{from: 1.0.0, steps: [code_change: {}]}]\n"
                         "down: [{to: 1.0.0, steps: [code_change: {}]}]\n");
    }
    sh("%s/nines-release build --no-verify %s/release.yaml %s/out >/dev/null", NINES_BUILD_DIR, src, dir);
}

/* --- the load ----------------------------------------------------------------------- */

static atomic_bool stop;
static atomic_long calls_ok, calls_failed;
static _Atomic double slowest_us;

/* The load's figures since the last reset. */
struct load_figures {
    long ok, failed;
    double slowest_us, seconds;
};

static double load_since;

static void load_reset(void) {
    atomic_store(&calls_ok, 0);
    atomic_store(&calls_failed, 0);
    atomic_store(&slowest_us, 0);
    load_since = bench_now_us();
}

static struct load_figures load_take(void) {
    return (struct load_figures){atomic_load(&calls_ok), atomic_load(&calls_failed), atomic_load(&slowest_us),
                                 (bench_now_us() - load_since) / 1e6};
}

static void print_load(const char *what, struct load_figures f) {
    printf("  %-34s %6ld calls (%5.0f/s), %ld failed, slowest %.2f ms\n", what, f.ok, f.ok / f.seconds, f.failed,
           f.slowest_us / 1000);
}

static void *load(void *arg) {
    unsigned seed = (unsigned)(uintptr_t)arg;
    while (!atomic_load(&stop)) {
        char child[16];
        snprintf(child, sizeof child, "c%d", rand_r(&seed) % CHANGED);
        const char *argv[] = {"call", child, "incr", NULL};
        struct bench_answer a;
        double t0 = bench_now_us();
        int r = bench_ask(&daemon_, &a, argv);
        double t = bench_now_us() - t0;
        if (r == 0 && a.status == CTL_ST_OK)
            atomic_fetch_add(&calls_ok, 1);
        else
            atomic_fetch_add(&calls_failed, 1);
        for (double s = atomic_load(&slowest_us); t > s && !atomic_compare_exchange_weak(&slowest_us, &s, t);)
            ;
    }
    return NULL;
}

/* --- one upgrade or downgrade --------------------------------------------------------- */

struct pauses {
    double sum_us, max_us;
    int n;
    bool done;
};

/* Every worker's pause in every release upgrade and downgrade. */
static double all_pauses[64 * 2 * CHANGED];
static size_t n_all_pauses;

static bool on_line(void *ctx, const char *line) {
    struct pauses *p = ctx;
    const char *v = strstr(line, " pause_us=");
    if (strstr(line, "event=upgrade_done") && v) {
        double us = atof(v + 10);
        p->sum_us += us;
        p->max_us = us > p->max_us ? us : p->max_us;
        p->n++;
        if (n_all_pauses < sizeof all_pauses / sizeof all_pauses[0])
            all_pauses[n_all_pauses++] = us;
    }
    p->done |= strstr(line, "event=release_upgrade_done") || strstr(line, "event=release_downgrade_done");
    return p->done;
}

/* The pause of one worker swapped alone (c0, through `upgrade CHILD
 * MODULE`), `n` times in turn between the two releases' modules, under
 * the same load: what "its own swap" takes. */
static struct bench_stats lone_swaps(int n) {
    double v[64];
    char up[512], down[512];
    snprintf(up, sizeof up, "%s/releases/bench/1.1.0/apps/counter.so", daemon_.dir);
    snprintf(down, sizeof down, "%s/releases/bench/1.0.0/apps/counter.so", daemon_.dir);
    for (int i = 0; i < n; i++) {
        const char *argv[] = {"upgrade", "c0", i % 2 ? down : up, NULL};
        struct bench_answer a;
        const char *p = bench_ask(&daemon_, &a, argv) == 0 ? strstr(a.message, "paused ") : NULL;
        if (!p) {
            fprintf(stderr, "bench_release: upgrade c0: %s\n", a.message);
            exit(1);
        }
        v[i] = atof(p + 7);
    }
    if (n % 2) { /* leave c0 on 1.0.0, as the release says */
        const char *argv[] = {"upgrade", "c0", down, NULL};
        struct bench_answer a;
        bench_ask(&daemon_, &a, argv);
    }
    bench_daemon_drain(&daemon_);
    return bench_stats(v, (size_t)n);
}

struct figures {
    double total_us, sum_us, max_pause_us;
};

static struct figures install(const char *version, const char *direction) {
    const char *argv[] = {"release-install", version, direction, NULL};
    struct bench_answer a;
    struct pauses p = {0};
    double t0 = bench_now_us();
    if (bench_ask(&daemon_, &a, argv) < 0 || a.status != CTL_ST_OK) {
        fprintf(stderr, "bench_release: %s %s: %s\n", direction, version, a.message);
        exit(1);
    }
    double total = bench_now_us() - t0;
    bench_daemon_lines(&daemon_, 10000, on_line, &p);
    if (p.n != CHANGED) {
        fprintf(stderr, "bench_release: %d workers swapped, expected %d\n", p.n, CHANGED);
        exit(1);
    }
    return (struct figures){total, p.sum_us, p.max_us};
}

static void report(const char *what, struct figures *f, int n) {
    double total[64], sum[64], ratio[64], pause[64];
    for (int i = 0; i < n; i++)
        total[i] = f[i].total_us, sum[i] = f[i].sum_us, ratio[i] = f[i].total_us / f[i].sum_us,
        pause[i] = f[i].max_pause_us;
    struct bench_stats t = bench_stats(total, (size_t)n), s = bench_stats(sum, (size_t)n),
                       r = bench_stats(ratio, (size_t)n), p = bench_stats(pause, (size_t)n);
    printf("  %-10s total p50 %6.2f ms (max %6.2f)  sum of the %d swaps p50 %6.2f ms  total/sum p50 %.2fx "
           "(max %.2fx, target <= 2x)  longest worker pause p50 %.0f us (max %.0f)\n",
           what, t.p50 / 1000, t.max / 1000, CHANGED, s.p50 / 1000, r.p50, r.max, p.p50, p.max);
}

int main(int argc, char **argv) {
    int rounds = argc > 1 ? atoi(argv[1]) : 10, loaders = argc > 2 ? atoi(argv[2]) : 4;
    if (rounds < 1 || rounds > 64 || loaders < 0 || loaders > 64) {
        fprintf(stderr, "usage: bench_release [ROUNDS 1-64] [LOADERS 0-64]\n");
        return 2;
    }
    bench_daemon_dir(&daemon_);
    build("1.0.0", "1.0.0", "counter.so", false);
    build("1.1.0", "2.0.0", "counter-2.so", true);
    char releases[256];
    snprintf(releases, sizeof releases, "%s/releases", daemon_.dir);
    sh("mkdir -p %s && cp %s/out/bench-1.0.0.tar.gz %s/", releases, daemon_.dir, releases);
    const char *args[] = {"--releases", releases, NULL};
    bench_daemon_spawn(&daemon_, args);
    char last[16];
    snprintf(last, sizeof last, "k%d", WORKERS - 1);
    if (bench_daemon_wait_started(&daemon_, last, 30000) < 0) {
        fprintf(stderr, "bench_release: the tree did not start\n");
        return 1;
    }
    char tarball[512];
    snprintf(tarball, sizeof tarball, "%s/out/bench-1.1.0.tar.gz", daemon_.dir);
    const char *unpack[] = {"release-unpack", tarball, NULL};
    struct bench_answer a;
    if (bench_ask(&daemon_, &a, unpack) < 0 || a.status != CTL_ST_OK) {
        fprintf(stderr, "bench_release: unpack: %s\n", a.message);
        return 1;
    }
    pthread_t threads[64];
    for (int i = 0; i < loaders; i++)
        pthread_create(&threads[i], NULL, load, (void *)(uintptr_t)(i + 1));
    /* The same load without upgrades first: the floor of its latency. */
    load_reset();
    usleep(500000);
    struct load_figures quiet = load_take();
    struct bench_stats lone = lone_swaps(20);
    load_reset();
    struct figures up[64], down[64];
    for (int i = 0; i < rounds; i++) {
        up[i] = install("1.1.0", "up");
        usleep(10000);
        down[i] = install("1.0.0", "down");
        usleep(10000);
    }
    struct load_figures busy = load_take();
    atomic_store(&stop, true);
    for (int i = 0; i < loaders; i++)
        pthread_join(threads[i], NULL);
    printf("release upgrade: %d workers, %d change by a code swap, %d rounds up and down, %d clients calling the "
           "changing workers through ninesd\n", WORKERS, CHANGED, rounds, loaders);
    report("upgrade", up, rounds);
    report("downgrade", down, rounds);
    struct bench_stats every = bench_stats(all_pauses, n_all_pauses);
    printf("  each worker's pause, all %zu swaps of the rounds: p50 %.0f us, p99 %.0f us, max %.0f us\n",
           n_all_pauses, every.p50, every.p99, every.max);
    printf("  one worker swapped alone, same load (its own swap): p50 %.0f us, p99 %.0f us (20 swaps)\n", lone.p50,
           lone.p99);
    print_load("load, no upgrade (0.5 s, floor):", quiet);
    print_load("load during the rounds:", busy);
    bench_daemon_stop(&daemon_);
    return busy.failed || quiet.failed ? 1 : 0;
}
