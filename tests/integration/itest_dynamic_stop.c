/*
 * Integration: dynamic children stop together (OTP's simple_one_for_one),
 * on the real ninesd: six children that ignore SIGTERM, each with a 2 s
 * grace, stop in about one grace, not six.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <signal.h>
#include <string.h>
#include <time.h>

#include "control_client.h"
#include "harness.h"

#define CHILDREN 6

static const char *TREE =
    "supervisor:\n  children:\n"
    "    - id: jobs\n      supervisor:\n        strategy: dynamic\n"
    "        child:\n          id: job\n          shutdown: 2s\n"
    "          exec: [/bin/sh, -c, \"trap '' TERM; while :; do sleep 0.2 || :; done\"]\n";

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void children_that_ignore_sigterm_cost_one_grace(void **state) {
    struct ninesd *n = *state;
    struct answer a;
    ninesd_start(n, harness_write_tree(n, TREE), NULL);
    assert_non_null(ninesd_wait(n, 5000, "event=tree_started", NULL));
    for (int i = 0; i < CHILDREN; i++) {
        assert_int_equal(control_ask_once(n->socket, &a, "start-child", "jobs", NULL), 0);
        assert_int_equal(a.status, CTL_ST_OK);
    }
    ninesd_pump(n, 500); /* let each shell set its trap: a SIGTERM before it is a clean stop */
    double t0 = now_s();
    kill(n->pid, SIGTERM);
    assert_true(ninesd_wait_exit(n, 20000));
    double took = now_s() - t0;
    /* one at a time this is 6 x 2 s = 12 s */
    if (took < 1.9 || took > 5.0)
        fail_msg("the tree stopped in %.2f s, expected about one 2 s grace", took);
    ninesd_pump(n, 300); /* the last lines, written just before the exit */
    int killed = ninesd_count(n, "event=shutdown_error", "killed by SIGKILL", NULL);
    int stopped = ninesd_count(n, "event=child_stopped", "child=jobs/", NULL);
    if (killed < CHILDREN / 2 || killed + stopped != CHILDREN)
        fail_msg("%d of %d children killed after their grace, %d stopped", killed, CHILDREN, stopped);
}

int main(int argc, char **argv) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(children_that_ignore_sigterm_cost_one_grace, harness_setup, harness_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
