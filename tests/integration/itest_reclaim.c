/*
 * Integration: children gone for good are reclaimed (issue 11), on the
 * real ninesd. 2,000 dynamic children started and terminated, one at a
 * time, leave ninesd's node table (nines_node_slots in `metrics`) the size
 * it had after the first few; a child that takes a reused slot starts
 * with nothing of the child before it (restarts, last exit, module).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "control_client.h"
#include "harness.h"

#define CHURN 2000
#define WAIT_MS 10000

static const char *TREE =
    "supervisor:\n  children:\n"
    "    - id: a\n      module: " NINES_BUILD_DIR "/tests/apps/trivial.so\n"
    "    - id: jobs\n      supervisor:\n        strategy: dynamic\n        intensity: 10\n"
    "        child:\n          id: job\n          module: " NINES_BUILD_DIR "/tests/apps/trivial.so\n";

static long node_slots(struct ninesd *n) {
    struct answer a;
    assert_int_equal(control_ask_once(n->socket, &a, "metrics", NULL), 0);
    assert_int_equal(a.status, CTL_ST_OK);
    const char *at = strstr(a.data, "\nnines_node_slots ");
    assert_non_null(at);
    return atol(at + strlen("\nnines_node_slots "));
}

/* start-child jobs on fd: the new child's path into path. */
static void start_job(int fd, char *path, size_t size) {
    struct answer a;
    assert_int_equal(control_ask(fd, &a, "start-child", "jobs", NULL), 0);
    if (a.status != CTL_ST_OK)
        fail_msg("start-child: %s", a.message);
    const char *p = strstr(a.message, "jobs/");
    assert_non_null(p);
    snprintf(path, size, "%.*s", (int)strcspn(p, " \n"), p);
}

static void terminate(int fd, const char *path) {
    struct answer a;
    assert_int_equal(control_ask(fd, &a, "terminate", path, NULL), 0);
    if (a.status != CTL_ST_OK)
        fail_msg("terminate %s: %s", path, a.message);
}

static void churn_leaves_the_node_table_as_it_was(void **state) {
    struct ninesd *n = *state;
    ninesd_start(n, harness_write_tree(n, TREE), NULL);
    assert_non_null(ninesd_wait(n, WAIT_MS, "event=tree_started", NULL));
    int fd = control_connect(n->socket);
    assert_true(fd >= 0);
    char path[128], keep[128];
    start_job(fd, keep, sizeof keep); /* one lives through it all */
    for (int i = 0; i < 20; i++) {
        start_job(fd, path, sizeof path);
        terminate(fd, path);
    }
    long first = node_slots(n);
    /* root, a, jobs, the one that stays, the one coming and going */
    assert_true(first <= 5);
    for (int i = 0; i < CHURN; i++) {
        start_job(fd, path, sizeof path);
        terminate(fd, path);
        if (i % 100 == 0)
            ninesd_pump(n, 1); /* read its log as it goes */
    }
    long last = node_slots(n);
    if (last != first)
        fail_msg("the node table grew from %ld to %ld slots over %d children", first, last, CHURN);
    char want[64];
    snprintf(want, sizeof want, "jobs/job-%d", CHURN + 21);
    assert_string_equal(path, want); /* ids go on counting */
    struct answer a;
    char v[64];
    assert_int_equal(control_ask(fd, &a, "status", keep, NULL), 0);
    assert_true(status_field(&a, keep, "state", v, sizeof v));
    assert_string_equal(v, "running");
    close(fd);
}

/* The child in a reused slot is a new child: status shows nothing of the
 * one before, whose restarts and crash it would otherwise inherit. */
static void a_reused_slot_starts_clean(void **state) {
    struct ninesd *n = *state;
    ninesd_start(n, harness_write_tree(n, TREE), NULL);
    assert_non_null(ninesd_wait(n, WAIT_MS, "event=tree_started", NULL));
    int fd = control_connect(n->socket);
    assert_true(fd >= 0);
    char path[128], v[256];
    struct answer a;
    start_job(fd, path, sizeof path);
    assert_int_equal(control_ask(fd, &a, "status", path, NULL), 0);
    assert_true(status_field(&a, path, "pid", v, sizeof v));
    kill((pid_t)atoi(v), SIGSEGV);
    assert_true(ninesd_wait_started(n, "jobs/job-1", WAIT_MS) > 0);
    assert_int_equal(control_ask(fd, &a, "status", path, NULL), 0);
    assert_true(status_field(&a, path, "restarts", v, sizeof v));
    assert_string_equal(v, "1");
    terminate(fd, path);
    long before = node_slots(n);
    start_job(fd, path, sizeof path);
    assert_string_equal(path, "jobs/job-2");
    assert_int_equal(node_slots(n), before); /* job-1's slot */
    assert_int_equal(control_ask(fd, &a, "status", path, NULL), 0);
    assert_true(status_field(&a, path, "restarts", v, sizeof v));
    assert_string_equal(v, "0");
    assert_false(status_field(&a, path, "last_exit", v, sizeof v) && v[0]);
    assert_true(status_field(&a, path, "health", v, sizeof v));
    assert_string_equal(v, "ok");
    close(fd);
}

int main(int argc, char **argv) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(churn_leaves_the_node_table_as_it_was, harness_setup, harness_teardown),
        cmocka_unit_test_setup_teardown(a_reused_slot_starts_clean, harness_setup, harness_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
