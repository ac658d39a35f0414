/*
 * bench_upgrade — live code upgrades through the real ninesd, asked on its
 * control socket as `ninesctl upgrade` does:
 *
 *   1. the pause of one worker (the kv example) while it swaps its code,
 *      as the worker measured it (the END message: "paused N us"), for
 *      states of about 1 KiB, 1 MiB and 64 MiB; where it went (the steps
 *      of each upgrade_done line in the log), and the first swap apart;
 *   2. CONNS TCP connections over loopback, each a closed loop of
 *      "req K\n" lines to the echo example (one epoll loop), while echo is
 *      upgraded and downgraded CHANGES times, back to back: requests that
 *      failed, connections that closed, every request's latency;
 *   3. the same load while each version change is made the way users
 *      otherwise make it, by stopping the worker and starting the other
 *      version (terminate, delete, start); closed connections reconnect;
 *   4. the same load while the new code crashes 200 ms after its swap,
 *      CRASHES rounds (issue 10): echo killed (SIGSEGV) 200 ms after each
 *      swap, and beside it kvlite (tests/apps) swapped to a version that
 *      dies 200 ms after taking over, writes acknowledged by it meanwhile.
 *      By the rollback rule each is an ordinary crash of the new version
 *      (echo's connections close; kv starts again from init): no reply is
 *      garbled (no half-read line replayed) and no acknowledged write is
 *      reverted to its pre-swap value.
 *
 *   bench_upgrade [SWAPS [CHANGES [CONNS [CRASHES]]]]
 *       (default 50 swaps per state size, 100 version changes, 100 connections, 10 crashes)
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bench_common.h"
#include "bench_load.h"

#define KV1 NINES_BUILD_DIR "/examples/kv.so"
#define KV2 NINES_BUILD_DIR "/examples/kv-2.so"
#define ECHO1 NINES_BUILD_DIR "/examples/echo.so"
#define ECHO2 NINES_BUILD_DIR "/examples/echo-2.so"
#define SETTLE_US 2000
#define WARMUP_US 500000      /* load before the changes start: the baseline */
#define COOLDOWN_US 200000    /* load counted after the last change answered */
#define PAUSE_TARGET_US 1000  /* the target: p99 at 1 MiB */

static void die(const char *what, const char *why) {
    fprintf(stderr, "bench_upgrade: %s: %s\n", what, why);
    exit(1);
}

/* Ask, and stop the run unless the answer is ok. */
static void must(const struct bench_daemon *d, struct bench_answer *a, const char *const *argv) {
    if (bench_ask(d, a, argv) < 0 || a->status != 0)
        die(argv[0], a->message);
}

/* --- 1. the pause, by state size --------------------------------------------- */

static const struct size {
    const char *id, *label;
    size_t bytes;
} SIZES[] = {{"kv1k", "1 KiB", 1024}, {"kv1m", "1 MiB", 1u << 20}, {"kv64m", "64 MiB", 64u << 20}};
#define N_SIZES (sizeof SIZES / sizeof SIZES[0])

/* Keys to preload for a layout-1 snapshot (kv.h) of at least `bytes`: a
 * 5-byte head, then per pair two u32 lengths, "key-N" and 64 value bytes. */
static long keys_for(size_t bytes) {
    size_t total = 5;
    long n = 0;
    char key[32];
    while (total < bytes)
        total += 8 + (size_t)snprintf(key, sizeof key, "key-%ld", n++) + 64;
    return n;
}

/* One upgrade: the pause the worker measured, its snapshot, the command's time. */
static void upgrade(const struct bench_daemon *d, const char *id, const char *module, double *pause_us,
                    unsigned long long *bytes, double *command_us) {
    struct bench_answer a;
    double t0 = bench_now_us();
    must(d, &a, (const char *[]){"upgrade", id, module, NULL});
    *command_us = bench_now_us() - t0;
    unsigned long long pause;
    const char *p = strstr(a.message, "(paused ");
    if (!p || sscanf(p, "(paused %llu us, state %llu bytes)", &pause, bytes) != 2)
        die("upgrade: no pause in the answer", a.message);
    *pause_us = (double)pause;
}

/* The steps of the next upgrade_done line of child `id` in the daemon's
 * log (steps_us=load/export_state/hand-off/code_change), read as it comes:
 * the answer to the operator has only the whole pause. */
static void wait_steps(struct bench_daemon *d, const char *id, double steps[4]) {
    char want[64];
    snprintf(want, sizeof want, " child=%s ", id);
    double end = bench_now_us() + 5e6;
    for (;;) {
        char *start = d->buf, *nl;
        bool found = false;
        while (!found && (nl = memchr(start, '\n', d->len - (size_t)(start - d->buf)))) {
            *nl = '\0';
            const char *s = strstr(start, " steps_us=");
            unsigned long long v[4];
            if (strstr(start, "event=upgrade_done") && strstr(start, want) && s &&
                sscanf(s, " steps_us=%llu/%llu/%llu/%llu", &v[0], &v[1], &v[2], &v[3]) == 4) {
                for (int i = 0; i < 4; i++)
                    steps[i] = (double)v[i];
                found = true;
            }
            start = nl + 1;
        }
        size_t rest = d->len - (size_t)(start - d->buf);
        memmove(d->buf, start, rest);
        d->len = rest;
        if (found)
            return;
        struct pollfd pfd = {.fd = d->log_fd, .events = POLLIN};
        double left = (end - bench_now_us()) / 1000.0;
        ssize_t r = -1;
        if (left > 0 && poll(&pfd, 1, (int)left + 1) == 1)
            r = read(d->log_fd, d->buf + d->len, sizeof d->buf - d->len - 1);
        if (r <= 0)
            die("upgrade_done", "no steps_us in the log");
        d->len += (size_t)r;
    }
}

/* SWAPS upgrades of one kv worker, alternating 1 -> 2 -> 1 ...; its pairs
 * checked before and after (count, checksum). */
static bool measure_pauses_of(struct bench_daemon *d, const struct size *sz, long keys, int swaps) {
    struct bench_answer a;
    char before[sizeof a.data];
    must(d, &a, (const char *[]){"call", sz->id, "count", NULL});
    if (atol(a.data) != keys)
        die("kv count", a.data);
    must(d, &a, (const char *[]){"call", sz->id, "checksum", NULL});
    snprintf(before, sizeof before, "%s", a.data);
    double *pause = calloc((size_t)swaps, sizeof *pause), *command = calloc((size_t)swaps, sizeof *command);
    double *steps[4], first = 0, first_steps[4] = {0};
    for (int k = 0; k < 4; k++)
        steps[k] = calloc((size_t)swaps, sizeof *steps[k]);
    unsigned long long bytes[2] = {0, 0};
    for (int i = 0; i < swaps; i++) {
        usleep(SETTLE_US);
        upgrade(d, sz->id, i % 2 ? KV1 : KV2, &pause[i], &bytes[i % 2], &command[i]);
        double s[4];
        wait_steps(d, sz->id, s);
        for (int k = 0; k < 4; k++)
            steps[k][i] = s[k];
        if (i == 0) {
            first = pause[0];
            memcpy(first_steps, s, sizeof s);
        }
    }
    must(d, &a, (const char *[]){"call", sz->id, "checksum", NULL});
    bool same = strcmp(before, a.data) == 0;
    struct bench_stats p = bench_stats(pause, (size_t)swaps), c = bench_stats(command, (size_t)swaps);
    struct bench_stats st[4];
    for (int k = 0; k < 4; k++)
        st[k] = bench_stats(steps[k], (size_t)swaps);
    printf("  %-7s %8ld  %9llu %9llu  %9.0f %9.0f %9.0f  %9.0f   %s\n", sz->label, keys, bytes[0], bytes[1],
           p.p50, p.p99, p.max, c.p50, same ? "same" : "CHANGED");
    printf("  %-7s steps p50 (p99) us: load %.0f (%.0f), export_state %.0f (%.0f), hand-off %.0f (%.0f),"
           " code_change %.0f (%.0f)\n", "", st[0].p50, st[0].p99, st[1].p50, st[1].p99, st[2].p50, st[2].p99,
           st[3].p50, st[3].p99);
    printf("  %-7s the first swap: %.0f us, steps %.0f/%.0f/%.0f/%.0f\n", "", first, first_steps[0], first_steps[1],
           first_steps[2], first_steps[3]);
    if (sz->bytes == 1u << 20)
        printf("  target: p99 <= %d us at 1 MiB: %s\n", PAUSE_TARGET_US, p.p99 <= PAUSE_TARGET_US ? "met" : "NOT met");
    free(pause);
    free(command);
    for (int k = 0; k < 4; k++)
        free(steps[k]);
    return same;
}

static bool measure_pauses(int swaps) {
    char yaml[2048];
    long keys[N_SIZES];
    size_t len = (size_t)snprintf(yaml, sizeof yaml, "supervisor:\n  children:\n");
    for (size_t i = 0; i < N_SIZES; i++) {
        keys[i] = keys_for(SIZES[i].bytes);
        len += (size_t)snprintf(yaml + len, sizeof yaml - len,
                                "    - {id: %s, module: %s, args: {preload: %ld}}\n", SIZES[i].id, KV1, keys[i]);
    }
    struct bench_daemon d;
    bench_daemon_start(&d, yaml, NULL);
    for (size_t i = 0; i < N_SIZES; i++)
        if (bench_daemon_wait_started(&d, SIZES[i].id, 120000) <= 0)
            die(SIZES[i].id, "did not start");
    printf("upgrade pause: one kv worker swapping its code, %d swaps per state (kv 1.0.0 <-> 2.0.0 in turn),\n"
           "the pause as the worker measured it, from taking the request to serving again\n", swaps);
    printf("  %-7s %8s  %9s %9s  %9s %9s %9s  %9s   %s\n", "state", "keys", "bytes 1>2", "bytes 2>1", "p50 us",
           "p99 us", "max us", "command", "pairs after");
    bool ok = true;
    for (size_t i = 0; i < N_SIZES; i++)
        ok &= measure_pauses_of(&d, &SIZES[i], keys[i], swaps);
    printf("  (command: the whole `upgrade` request as a client sees it, p50 us)\n");
    bench_daemon_stop(&d);
    return ok;
}

/* --- 2. and 3. version changes under the load ------------------------------------ */

/* The version changes, in a thread of their own beside the load's loop. */
struct changes {
    struct bench_daemon *d; /* used by this thread alone meanwhile */
    int n, port;
    bool restart;          /* stop and start instead of a live upgrade */
    double *command_us;    /* each change, as the client saw it */
    double *pause_us;      /* live: each pause, as the worker measured it */
    atomic_bool done;
};

/* The way users avoid: stop the worker, forget it, start the other version. */
static void change_by_restart(struct changes *ch, int i) {
    char spec[512];
    struct bench_answer a;
    snprintf(spec, sizeof spec, "{id: echo, module: %s, args: {port: %d}}", i % 2 ? ECHO1 : ECHO2, ch->port);
    must(ch->d, &a, (const char *[]){"terminate", "echo", NULL});
    must(ch->d, &a, (const char *[]){"delete", "echo", NULL});
    must(ch->d, &a, (const char *[]){"start", "/", spec, NULL});
}

static void *run_changes(void *arg) {
    struct changes *ch = arg;
    for (int i = 0; i < ch->n; i++) {
        double t0 = bench_now_us();
        unsigned long long bytes;
        if (ch->restart)
            change_by_restart(ch, i);
        else
            upgrade(ch->d, "echo", i % 2 ? ECHO1 : ECHO2, &ch->pause_us[i], &bytes, &ch->command_us[i]);
        ch->command_us[i] = bench_now_us() - t0;
        bench_daemon_drain(ch->d);
    }
    atomic_store(&ch->done, true);
    return NULL;
}

/* With n 0: no changes (the warm-up, as a baseline). */
static void print_load_row(const char *what, struct load *l, double *command_us, int n) {
    struct bench_stats s = bench_stats(l->lat, l->n_lat), c = bench_stats(command_us, (size_t)n);
    char change[16] = "-";
    if (n > 0)
        snprintf(change, sizeof change, "%.2f", c.p50 / 1000);
    printf("  %-24s %9zu %6ld %6ld %7ld  %7.0f %7.0f %8.0f  %8.1f  %7s\n", what, l->n_lat, l->failed, l->closed,
           l->refused, s.p50, s.p99, s.max, l->max_gap / 1000, change);
    if (l->wrong || l->timeouts)
        printf("  %-24s of the failed: %ld wrong replies, %ld timeouts\n", "", l->wrong, l->timeouts);
}

/* One echo worker under the load while it changes version n times. */
static bool changes_under_load(bool restart, int n, int conns) {
    int port = free_port();
    char yaml[512];
    snprintf(yaml, sizeof yaml, "supervisor:\n  children:\n    - {id: echo, module: %s, args: {port: %d}}\n",
             ECHO1, port);
    struct bench_daemon d;
    bench_daemon_start(&d, yaml, NULL);
    if (bench_daemon_wait_started(&d, "echo", 5000) <= 0)
        die("echo", "did not start");
    struct load l;
    load_start(&l, conns, port);
    load_reset(&l);
    load_run(&l, bench_now_us() + WARMUP_US, NULL);
    if (!restart)
        print_load_row("no change (baseline)", &l, NULL, 0);
    load_reset(&l);
    struct changes ch = {.d = &d, .n = n, .port = port, .restart = restart,
                         .command_us = calloc((size_t)n, sizeof(double)),
                         .pause_us = calloc((size_t)n, sizeof(double))};
    pthread_t t;
    if (pthread_create(&t, NULL, run_changes, &ch) != 0)
        die("pthread_create", "failed");
    load_run(&l, 0, &ch.done);
    load_run(&l, bench_now_us() + COOLDOWN_US, NULL);
    pthread_join(t, NULL);
    load_stop(&l);
    bench_daemon_stop(&d);
    print_load_row(restart ? "restart (stop + start)" : "live upgrade", &l, ch.command_us, n);
    if (!restart) {
        struct bench_stats p = bench_stats(ch.pause_us, (size_t)n);
        printf("  %-24s pause as the worker measured it: p50 %.0f us, p99 %.0f us, max %.0f us\n", "", p.p50,
               p.p99, p.max);
    }
    bool clean = l.failed == 0 && l.closed == 0;
    free(l.lat);
    free(ch.command_us);
    free(ch.pause_us);
    return clean;
}

/* --- 4. the new code crashing right after its swap, under the load -------------- */

#define CRASH_KEYS 8
#define KVLITE NINES_BUILD_DIR "/tests/apps/kvlite.so"
#define KV_CRASHER NINES_BUILD_DIR "/tests/apps/kvlite_crash_200ms.so"

/* Each round, beside the load on echo: echo swaps to the other version and
 * is killed (SIGSEGV) 200 ms later; kvlite swaps to its 2.0.0, which dies
 * 200 ms after taking over, writes acknowledged by it in between. */
struct crashes {
    struct bench_daemon *d; /* used by this thread alone meanwhile */
    int n;
    pid_t echo_pid;
    long acked;             /* kv writes acknowledged by the new code */
    long reverted, gone;    /* keys it wrote read back as before the swap, or not at all */
    double *recover_us;     /* echo killed -> echo started again */
    atomic_bool done;
};

struct crash_watch {
    bool kv_crashed;
    pid_t echo_pid;
};

static bool crash_seen(void *ctx, const char *line) {
    struct crash_watch *w = ctx;
    const char *p;
    if (strstr(line, "crashing 200 ms after taking over"))
        w->kv_crashed = true;
    if (strstr(line, "event=child_started") && strstr(line, " child=echo ") && (p = strstr(line, " pid=")))
        w->echo_pid = atoi(p + 5);
    return w->kv_crashed && w->echo_pid > 0;
}

static bool kv_ask(struct crashes *cr, struct bench_answer *a, const char *req) {
    return bench_ask(cr->d, a, (const char *[]){"call", "kv", req, NULL}) == 0 && a->status == 0;
}

/* The keys kv's new code wrote, read back once kv answers again. */
static void kv_check(struct crashes *cr, int r, const bool *written) {
    struct bench_answer a;
    char req[64], pre[32];
    double t0 = bench_now_us();
    while (!kv_ask(cr, &a, "version") && bench_now_us() - t0 < 5e6)
        usleep(200);
    snprintf(pre, sizeof pre, "pre-%d", r);
    for (int k = 0; k < CRASH_KEYS; k++) {
        snprintf(req, sizeof req, "get k%d", k);
        if (written[k] && kv_ask(cr, &a, req))
            cr->reverted += strcmp(a.data, pre) == 0, cr->gone += strcmp(a.data, "none") == 0;
    }
}

static void one_crash(struct crashes *cr, int r) {
    struct bench_answer a;
    char req[64];
    bool written[CRASH_KEYS] = {false};
    if (r > 0)
        must(cr->d, &a, (const char *[]){"upgrade", "kv", KVLITE, NULL}); /* back on 1.0.0 */
    for (int k = 0; k < CRASH_KEYS; k++) {
        snprintf(req, sizeof req, "set k%d pre-%d", k, r);
        kv_ask(cr, &a, req);
    }
    double pause, command, swapped = bench_now_us();
    unsigned long long bytes;
    upgrade(cr->d, "echo", r % 2 ? ECHO1 : ECHO2, &pause, &bytes, &command);
    must(cr->d, &a, (const char *[]){"upgrade", "kv", KV_CRASHER, NULL});
    for (int i = 0; bench_now_us() < swapped + 120000; i++) {
        snprintf(req, sizeof req, "set k%d post-%d-%d", i % CRASH_KEYS, r, i);
        if (kv_ask(cr, &a, req) && strcmp(a.data, "OK") == 0)
            cr->acked++, written[i % CRASH_KEYS] = true;
    }
    double left = swapped + 200000 - bench_now_us();
    if (left > 0)
        usleep((useconds_t)left);
    kill(cr->echo_pid, SIGSEGV);
    double t0 = bench_now_us();
    struct crash_watch w = {false, -1};
    bench_daemon_lines(cr->d, 5000, crash_seen, &w);
    if (w.echo_pid <= 0 || !w.kv_crashed)
        die("crash after swap", "echo did not start again, or kv did not crash");
    cr->recover_us[r] = bench_now_us() - t0;
    cr->echo_pid = w.echo_pid;
    kv_check(cr, r, written);
    bench_daemon_drain(cr->d);
}

static void *run_crashes(void *arg) {
    struct crashes *cr = arg;
    for (int r = 0; r < cr->n; r++)
        one_crash(cr, r);
    atomic_store(&cr->done, true);
    return NULL;
}

/* n rounds of crashes right after a swap, under the load; true when no
 * reply was garbled and no acknowledged write reverted. */
static bool crashes_under_load(int n, int conns) {
    int port = free_port();
    char yaml[1024];
    snprintf(yaml, sizeof yaml,
             "supervisor:\n  intensity: 1000\n  children:\n    - {id: echo, module: %s, args: {port: %d}}\n"
             "    - {id: kv, module: %s}\n", ECHO1, port, KVLITE);
    struct bench_daemon d;
    bench_daemon_start(&d, yaml, NULL);
    struct crashes cr = {.d = &d, .n = n, .recover_us = calloc((size_t)n, sizeof(double))};
    if ((cr.echo_pid = bench_daemon_wait_started(&d, "echo", 5000)) <= 0 ||
        bench_daemon_wait_started(&d, "kv", 5000) <= 0)
        die("echo, kv", "did not start");
    struct load l;
    load_start(&l, conns, port);
    load_run(&l, bench_now_us() + WARMUP_US / 5, NULL);
    load_reset(&l);
    pthread_t t;
    if (pthread_create(&t, NULL, run_crashes, &cr) != 0)
        die("pthread_create", "failed");
    load_run(&l, 0, &cr.done);
    load_run(&l, bench_now_us() + COOLDOWN_US, NULL);
    pthread_join(t, NULL);
    load_stop(&l);
    bench_daemon_stop(&d);
    print_load_row("crash 200 ms after swap", &l, cr.recover_us, n);
    printf("  %-24s garbled: %ld replies, %zu bytes (%ld timeouts); kv: %ld writes acknowledged by the new code,\n"
           "  %-24s %ld of the keys they wrote reverted to their pre-swap value, %ld gone (restarted from init)\n",
           "", l.wrong, l.wrong_bytes, l.timeouts, cr.acked, "", cr.reverted, cr.gone);
    free(l.lat);
    free(cr.recover_us);
    return l.wrong == 0 && cr.reverted == 0;
}

int main(int argc, char **argv) {
    int swaps = argc > 1 ? atoi(argv[1]) : 50;
    int changes = argc > 2 ? atoi(argv[2]) : 100;
    int conns = argc > 3 ? atoi(argv[3]) : 100;
    int crashes = argc > 4 ? atoi(argv[4]) : 10;
    if (swaps < 1 || changes < 1 || conns < 1 || crashes < 1)
        die("usage", "bench_upgrade [SWAPS [CHANGES [CONNS [CRASHES]]]], each at least 1");
    signal(SIGPIPE, SIG_IGN);
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    bool pairs_kept = measure_pauses(swaps);
    printf("\nupgrade under load: %d connections over loopback, each a closed loop of \"req K\" lines to the\n"
           "echo worker, while it changes version %d times (1.0.0 <-> 2.0.0), each change asked as soon as\n"
           "the last one answered; figures over the changes and %d ms after\n", conns, changes, COOLDOWN_US / 1000);
    printf("  %-24s %9s %6s %6s %7s  %7s %7s %8s  %8s  %7s\n", "", "requests", "failed", "closed", "refused",
           "p50 us", "p99 us", "max us", "gap ms", "change");
    bool live_clean = changes_under_load(false, changes, conns);
    changes_under_load(true, changes, conns);
    bool crash_clean = crashes_under_load(crashes, conns);
    printf("  (refused: connects refused while no worker listened; gap: the longest a connection went\n"
           "   without an answer; change: one version change as the client saw it, p50 ms; for the crash\n"
           "   rounds, an ordinary crash of the new version: killed -> started again, p50 ms)\n");
    printf("  target: live upgrade 0 failed, 0 closed: %s\n", live_clean ? "met" : "NOT met");
    printf("  target: crash after swap 0 bytes garbled, 0 acknowledged writes reverted: %s\n",
           crash_clean ? "met" : "NOT met");
    return pairs_kept && live_clean && crash_clean ? 0 : 1;
}
