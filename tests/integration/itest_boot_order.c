/*
 * Integration: a supervisor's static children start one after the other
 * (OTP's start order, doc/design.md §2), whatever makes their processes
 * ahead of time (the spare pool, spawned without waiting, and the
 * preloaded spare: supervisord/spare.h). Each child runs
 * tests/apps/init_order.so, whose init writes when it began and ended:
 * the k+1th init must begin after the kth ended, in the order of the
 * tree. A child whose init fails stops the sequence: no child after it
 * ever runs init, and what was made for the start is gone afterwards (no
 * worker left, ninesd's descriptors back to what they were).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "control_client.h"
#include "harness.h"

#define WAIT_MS 20000
#define MAX_KIDS 64

struct init_run {
    int id;
    long long start, end;
    int pid;
};

/* A tree: root, then (with `sup`) a supervisor "s" holding the n
 * init_order children w0..w(n-1), each busy for busy_ms in init. */
static const char *order_tree(struct ninesd *n, bool sup, int kids, int busy_ms, char *log, size_t size) {
    static char yaml[MAX_KIDS * 200 + 512];
    harness_write_tree(n, "{}\n"); /* makes n->dir */
    snprintf(log, size, "%s/inits.log", n->dir);
    const char *indent = sup ? "        " : "    ";
    size_t len = (size_t)snprintf(yaml, sizeof yaml, "supervisor:\n  intensity: 100\n  period: 10s\n  children:\n");
    if (sup)
        len += (size_t)snprintf(yaml + len, sizeof yaml - len,
                                "    - id: s\n      supervisor:\n        intensity: 100\n        period: 10s\n"
                                "        children:\n");
    for (int i = 0; i < kids; i++)
        len += (size_t)snprintf(yaml + len, sizeof yaml - len,
                                "%s- {id: w%d, module: @BUILD@/tests/apps/init_order.so, "
                                "args: {id: w%d, log: '%s', busy_ms: '%d', fail_if: '%s/fail'}}\n",
                                indent, i, i, log, busy_ms, n->dir);
    return harness_write_tree(n, yaml);
}

/* The log's lines, in the order they were written. */
static int read_runs(const char *log, struct init_run *runs, int max) {
    FILE *f = fopen(log, "r");
    int count = 0;
    char line[256];
    while (f && count < max && fgets(line, sizeof line, f)) {
        struct init_run *r = &runs[count];
        if (sscanf(line, "w%d %lld %lld %d", &r->id, &r->start, &r->end, &r->pid) == 4)
            count++;
    }
    if (f)
        fclose(f);
    return count;
}

/* Every init in tree order, each begun after the one before it ended. */
static void assert_one_after_the_other(const struct init_run *runs, int count) {
    for (int i = 0; i < count; i++) {
        assert_int_equal(runs[i].id, i);
        assert_true(runs[i].end >= runs[i].start);
        if (i > 0 && runs[i].start < runs[i - 1].end)
            fail_msg("init of w%d began %lld ns before w%d's ended", i, runs[i - 1].end - runs[i].start, i - 1);
    }
}

static void inits_run_one_after_the_other(void **state) {
    struct ninesd *n = *state;
    char log[300];
    const int kids = 40;
    ninesd_start(n, order_tree(n, false, kids, 3, log, sizeof log), NULL);
    assert_non_null(ninesd_wait(n, WAIT_MS, "event=tree_started", NULL));
    struct init_run runs[MAX_KIDS];
    assert_int_equal(read_runs(log, runs, MAX_KIDS), kids);
    assert_one_after_the_other(runs, kids);
    /* Each child ran its init in a process of its own. */
    for (int i = 0; i < kids; i++)
        for (int j = i + 1; j < kids; j++)
            assert_int_not_equal(runs[i].pid, runs[j].pid);
}

/* ninesd's descriptors but one per idle spare host (its channel: the
 * pool's size follows the start rate), and its worker processes. */
static int fds_but_spares(pid_t ninesd, int *workers, int *spares) {
    pid_t kids[MAX_KIDS + 16];
    int k = list_children(ninesd, kids, MAX_KIDS + 16);
    *spares = 0;
    for (int i = 0; i < k; i++)
        *spares += is_spare_host(kids[i]);
    *workers = count_children(ninesd);
    return harness_count_fds(ninesd) - *spares;
}

/* Wait until ninesd has no worker and `want` descriptors beside its
 * spares' (a spare on its way holds one before it shows as a spare). */
static bool settles_at(pid_t ninesd, int want, int *got, int *workers, int *spares) {
    for (int tries = 0; tries < 500; tries++) {
        *got = fds_but_spares(ninesd, workers, spares);
        if (*got == want && *workers == 0)
            return true;
        usleep(10000);
    }
    return false;
}

static void a_failed_init_stops_the_sequence(void **state) {
    struct ninesd *n = *state;
    char log[300], fail_path[300];
    const int kids = 20, failing = 7;
    ninesd_start(n, order_tree(n, true, kids, 1, log, sizeof log), NULL);
    assert_non_null(ninesd_wait(n, WAIT_MS, "event=tree_started", NULL));
    struct answer a;
    assert_int_equal(control_ask_once(n->socket, &a, "terminate", "s", NULL), 0);
    assert_int_equal(a.status, CTL_ST_OK);
    int base = 0, got, workers = 1, spares;
    for (int tries = 0; tries < 500 && workers; tries++, usleep(10000))
        base = fds_but_spares(n->pid, &workers, &spares);
    assert_int_equal(workers, 0);
    /* Again, with w7's init failing. */
    snprintf(fail_path, sizeof fail_path, "%s/fail", n->dir);
    FILE *f = fopen(fail_path, "w");
    assert_non_null(f);
    fprintf(f, "w%d\n", failing);
    fclose(f);
    assert_int_equal(truncate(log, 0), 0);
    assert_int_equal(control_ask_once(n->socket, &a, "restart", "s", NULL), 0);
    assert_int_not_equal(a.status, CTL_ST_OK);
    assert_non_null(ninesd_wait_event(n, "start_error", "s/w7", WAIT_MS));
    /* w0..w7 ran init, in order; none after w7 ever did. */
    struct init_run runs[MAX_KIDS];
    usleep(200000); /* a later init, if any ran, has written its line */
    int count = read_runs(log, runs, MAX_KIDS);
    assert_int_equal(count, failing + 1);
    assert_one_after_the_other(runs, count);
    /* Nothing of the start is left: its workers are gone, and ninesd
     * holds what it held before (spares aside). */
    for (int i = 0; i < count; i++)
        assert_true(wait_process_gone(runs[i].pid, WAIT_MS));
    if (!settles_at(n->pid, base, &got, &workers, &spares))
        fail_msg("ninesd holds %d descriptors beside %d spares and %d workers, %d before", got, spares, workers, base);
    assert_true(spares <= 9);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(inits_run_one_after_the_other, harness_setup, harness_teardown),
        cmocka_unit_test_setup_teardown(a_failed_init_stops_the_sequence, harness_setup, harness_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
