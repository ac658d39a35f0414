/*
 * Integration: the real ninesd, real workers, real signals — each
 * strategy restarts exactly what OTP's would, in OTP's order.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>

#include "harness.h"

#define WAIT_MS 5000

#define COUNTER_CHILD(id) \
    "    - id: " id "\n      module: @BUILD@/examples/counter.so\n      shutdown: 2s\n"

static const char *tree_with(struct ninesd *n, const char *strategy, const char *children) {
    static char yaml[4096];
    snprintf(yaml, sizeof yaml,
             "supervisor:\n  strategy: %s\n  intensity: 10\n  period: 10s\n  children:\n%s",
             strategy, children);
    return harness_write_tree(n, yaml);
}

/* Start the tree and return each child's pid, in order. */
static void start_and_get_pids(struct ninesd *n, const char *tree, const char **ids, pid_t *pids, int count) {
    ninesd_start(n, tree, NULL);
    for (int i = 0; i < count; i++) {
        pids[i] = ninesd_wait_started(n, ids[i], WAIT_MS);
        assert_true(pids[i] > 0);
        assert_true(process_alive(pids[i]));
    }
    assert_non_null(ninesd_wait(n, WAIT_MS, "event=tree_started", NULL));
}

static pid_t wait_started(struct ninesd *n, const char *id) {
    pid_t pid = ninesd_wait_started(n, id, WAIT_MS);
    assert_true(pid > 0);
    return pid;
}

static void wait_stopped(struct ninesd *n, const char *id) {
    assert_non_null(ninesd_wait_event(n, "child_stopped", id, WAIT_MS));
}

static void one_for_one_restarts_only_the_crashed_child(void **state) {
    struct ninesd *n = *state;
    const char *ids[] = {"a", "b", "c"};
    pid_t pids[3];
    start_and_get_pids(n, tree_with(n, "one_for_one", COUNTER_CHILD("a") COUNTER_CHILD("b") COUNTER_CHILD("c")),
                       ids, pids, 3);
    kill(pids[1], SIGSEGV);
    const char *line = ninesd_wait(n, WAIT_MS, "event=child_terminated", "child=b ", NULL);
    assert_non_null(line);
    assert_non_null(strstr(line, "killed by SIGSEGV"));
    assert_non_null(strstr(line, "action=restart"));
    pid_t again = wait_started(n, "b");
    assert_true(again > 0 && again != pids[1]);
    assert_true(process_alive(pids[0]));
    assert_true(process_alive(pids[2]));
    assert_int_equal(ninesd_count(n, "event=child_stopped", NULL), 0);
    assert_int_equal(ninesd_count(n, "event=child_started", NULL), 4);
}

static void one_for_all_restarts_everyone_in_order(void **state) {
    struct ninesd *n = *state;
    const char *ids[] = {"a", "b", "c"};
    pid_t pids[3];
    start_and_get_pids(n, tree_with(n, "one_for_all", COUNTER_CHILD("a") COUNTER_CHILD("b") COUNTER_CHILD("c")),
                       ids, pids, 3);
    kill(pids[1], SIGKILL);
    const char *line = ninesd_wait(n, WAIT_MS, "event=child_terminated", "child=b ", NULL);
    assert_non_null(line);
    assert_non_null(strstr(line, "killed by SIGKILL"));
    /* The others stop in reverse start order, then all start in order. */
    wait_stopped(n, "c");
    wait_stopped(n, "a");
    pid_t a = wait_started(n, "a"), b = wait_started(n, "b"), c = wait_started(n, "c");
    assert_true(a != pids[0] && b != pids[1] && c != pids[2]);
    assert_true(wait_process_gone(pids[0], 1000));
    assert_true(wait_process_gone(pids[2], 1000));
    assert_true(process_alive(a) && process_alive(b) && process_alive(c));
}

static void rest_for_one_restarts_the_child_and_those_after(void **state) {
    struct ninesd *n = *state;
    const char *ids[] = {"a", "b", "c", "d"};
    pid_t pids[4];
    start_and_get_pids(n, tree_with(n, "rest_for_one",
                                    COUNTER_CHILD("a") COUNTER_CHILD("b") COUNTER_CHILD("c") COUNTER_CHILD("d")),
                       ids, pids, 4);
    kill(pids[1], SIGABRT);
    const char *line = ninesd_wait(n, WAIT_MS, "event=child_terminated", "child=b ", NULL);
    assert_non_null(line);
    assert_non_null(strstr(line, "killed by SIGABRT"));
    wait_stopped(n, "d");
    wait_stopped(n, "c");
    pid_t b = wait_started(n, "b"), c = wait_started(n, "c"), d = wait_started(n, "d");
    assert_true(b != pids[1] && c != pids[2] && d != pids[3]);
    assert_true(process_alive(pids[0])); /* started before: untouched */
    assert_int_equal(ninesd_count(n, "event=child_stopped", "child=a ", NULL), 0);
}

static void exit_status_and_temporary_removal(void **state) {
    struct ninesd *n = *state;
    const char *tree = harness_write_tree(n,
        "supervisor:\n  children:\n"
        "    - id: once\n      module: @BUILD@/examples/flaky.so\n"
        "      args: {crash_after_ms: 50, how: exit}\n      restart: temporary\n"
        "    - id: keeper\n      module: @BUILD@/examples/counter.so\n");
    ninesd_start(n, tree, NULL);
    const char *line = ninesd_wait(n, WAIT_MS, "event=child_terminated", "child=once ", NULL);
    assert_non_null(line);
    assert_non_null(strstr(line, "exit status 3"));
    assert_non_null(strstr(line, "action=remove"));
    ninesd_pump(n, 300);
    assert_int_equal(ninesd_count(n, "event=child_started", "child=once ", NULL), 1);
}

static void abnormal_error_reason_is_reported(void **state) {
    struct ninesd *n = *state;
    const char *tree = harness_write_tree(n,
        "supervisor:\n  intensity: 5\n  period: 10s\n  children:\n"
        "    - id: err\n      module: @BUILD@/examples/flaky.so\n"
        "      args: {crash_after_ms: 50, how: error}\n      restart: transient\n");
    ninesd_start(n, tree, NULL);
    const char *line = ninesd_wait(n, WAIT_MS, "event=child_terminated", "child=err ", NULL);
    assert_non_null(line);
    assert_non_null(strstr(line, "flaky: scheduled failure"));
    assert_non_null(strstr(line, "action=restart")); /* transient + abnormal */
    assert_non_null(ninesd_wait(n, WAIT_MS, "event=child_started", "child=err ", NULL));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(one_for_one_restarts_only_the_crashed_child, harness_setup, harness_teardown),
        cmocka_unit_test_setup_teardown(one_for_all_restarts_everyone_in_order, harness_setup, harness_teardown),
        cmocka_unit_test_setup_teardown(rest_for_one_restarts_the_child_and_those_after, harness_setup, harness_teardown),
        cmocka_unit_test_setup_teardown(exit_status_and_temporary_removal, harness_setup, harness_teardown),
        cmocka_unit_test_setup_teardown(abnormal_error_reason_is_reported, harness_setup, harness_teardown),
    };
    return cmocka_run_group_tests_name("strategies", tests, NULL, NULL);
}
