/*
 * Integration: the rollback rule (issue 10, doc/design.md §4 step 6). A
 * snapshot is exact only until the new code takes input: a crash of the
 * new code after it acknowledged writes is an ordinary crash of the new
 * version — nothing it acknowledged is reverted — unless the old code
 * opted in to a stale restore, which it is then told about.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "control_client.h"
#include "harness.h"

#define WAIT_MS 5000
#define CRASHER BUILD_PATH("tests/apps/kvlite_crash_200ms.so")

static struct answer a;

static void start_kv(struct ninesd *n, const char *module) {
    char tree[512];
    snprintf(tree, sizeof tree,
             "supervisor:\n  intensity: 10\n  children:\n    - id: kv\n      module: @BUILD@/tests/apps/%s\n",
             module);
    ninesd_start(n, harness_write_tree(n, tree), NULL);
    assert_true(ninesd_wait_started(n, "kv", WAIT_MS) > 0);
}

static const char *call(struct ninesd *n, const char *request) {
    assert_int_equal(control_ask_once(n->socket, &a, "call", "kv", request, NULL), 0);
    if (a.status != CTL_ST_OK)
        fail_msg("call kv %s: %s %s", request, ctl_status_name(a.status), a.message);
    return a.data;
}

static uint64_t now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Writes to the new code for 120 ms of the 200 it lives after the swap,
 * each acknowledged with OK; their number. */
static int write_to_the_new_code(struct ninesd *n) {
    int acked = 0;
    uint64_t until = now_ms() + 120;
    for (int i = 0; now_ms() < until; i++) {
        char req[64];
        snprintf(req, sizeof req, "set k%d after-swap-%d", i % 8, i);
        assert_int_equal(control_ask_once(n->socket, &a, "call", "kv", req, NULL), 0);
        if (a.status != CTL_ST_OK || strcmp(a.data, "OK") != 0)
            fail_msg("%s: %s %s %s", req, ctl_status_name(a.status), a.message, a.data);
        acked++;
    }
    assert_true(acked >= 8);
    return acked;
}

static void upgrade_to_the_crasher(struct ninesd *n) {
    assert_int_equal(control_ask_once(n->socket, &a, "upgrade", "kv", CRASHER, NULL), 0);
    if (a.status != CTL_ST_OK)
        fail_msg("upgrade: %s %s", ctl_status_name(a.status), a.message);
    assert_string_equal(call(n, "version"), "2.0.0");
}

/* Wait until kv answers again (rolled back or restarted). */
static void wait_answering(struct ninesd *n) {
    uint64_t until = now_ms() + WAIT_MS;
    while (now_ms() < until) {
        if (control_ask_once(n->socket, &a, "call", "kv", "version", NULL) == 0 && a.status == CTL_ST_OK)
            return;
        ninesd_pump(n, 20);
    }
    fail_msg("kv does not answer again after the crash");
}

/* The scenario: SET answered OK by the new code, then the new
 * code crashes. Rolling back to the pre-swap snapshot would answer the old
 * value again. By default it is an ordinary crash of 2.0.0 instead. */
static void acknowledged_writes_are_never_reverted(void **state) {
    struct ninesd *n = *state;
    start_kv(n, "kvlite.so");
    for (int i = 0; i < 8; i++) {
        char req[32];
        snprintf(req, sizeof req, "set k%d before", i);
        assert_string_equal(call(n, req), "OK");
    }
    upgrade_to_the_crasher(n);
    int acked = write_to_the_new_code(n);
    assert_non_null(ninesd_wait(n, WAIT_MS, "crashing 200 ms after taking over", NULL));
    wait_answering(n);
    for (int i = 0; i < 8 && i < acked; i++) {
        char req[32];
        snprintf(req, sizeof req, "get k%d", i);
        assert_string_not_equal(call(n, req), "before"); /* no acknowledged write reverted */
    }
    /* Restarted by its supervisor on the version it ran, from init, and
     * the log says that crash came right after the upgrade. */
    assert_string_equal(call(n, "version"), "2.0.0");
    assert_string_equal(call(n, "restore"), "fresh");
    assert_non_null(ninesd_wait(n, WAIT_MS, "event=upgrade_crashed_after_swap", "child=kv ", "version=2.0.0", NULL));
    assert_non_null(ninesd_wait(n, WAIT_MS, "event=child_terminated", "child=kv ", NULL));
    ninesd_pump(n, 100);
    assert_int_equal(ninesd_count(n, "event=upgrade_rolled_back", NULL), 0);
}

/* A module that accepts a stale restore is rolled back within 1 s of the
 * swap even after its new code took input, and is told that it is stale;
 * the rollback is logged once. */
static void an_opted_in_module_is_restored_and_told_it_is_stale(void **state) {
    struct ninesd *n = *state;
    start_kv(n, "kvlite_stale_ok.so");
    assert_string_equal(call(n, "set k0 before"), "OK");
    upgrade_to_the_crasher(n);
    write_to_the_new_code(n);
    assert_non_null(ninesd_wait(n, WAIT_MS, "event=upgrade_rolled_back", "child=kv ", "restored", NULL));
    assert_string_equal(call(n, "version"), "1.0.0");
    assert_string_equal(call(n, "restore"), "stale");
    assert_string_equal(call(n, "get k0"), "before"); /* what it accepted: the snapshot's */
    ninesd_pump(n, 200);
    assert_int_equal(ninesd_count(n, "event=upgrade_rolled_back", NULL), 1);
    assert_int_equal(ninesd_count(n, "event=upgrade_crashed_after_swap", NULL), 0);
    assert_int_equal(ninesd_count(n, "event=child_terminated", NULL), 0);
}

/* A crash before the new code took any input (here: in code_change) is
 * still restored exactly, says so to code_change, and is logged once. */
static void a_crash_before_any_input_is_restored_exactly(void **state) {
    struct ninesd *n = *state;
    start_kv(n, "kvlite.so");
    assert_string_equal(call(n, "set k0 before"), "OK");
    assert_int_equal(control_ask_once(n->socket, &a, "upgrade", "kv", BUILD_PATH("tests/apps/kvlite_cc_crash.so"),
                                      NULL), 0);
    assert_int_equal(a.status, CTL_ST_FAILED);
    assert_non_null(strstr(a.message, "rolled back"));
    assert_non_null(ninesd_wait(n, WAIT_MS, "event=upgrade_rolled_back", "child=kv ", "restored", NULL));
    assert_string_equal(call(n, "version"), "1.0.0");
    assert_string_equal(call(n, "restore"), "exact");
    assert_string_equal(call(n, "get k0"), "before");
    ninesd_pump(n, 200);
    assert_int_equal(ninesd_count(n, "event=upgrade_rolled_back", NULL), 1);
}

/* The third scenario: a worker with nines_call()s outstanding is
 * rolled back (its new code crashes in code_change): the restored worker
 * gets one answer for each of them, none lost, none twice. */
static void a_rolled_back_caller_gets_each_answer_once(void **state) {
    struct ninesd *n = *state;
    ninesd_start(n, harness_write_tree(n,
        "supervisor:\n  intensity: 10\n  children:\n"
        "    - id: callee\n      module: @BUILD@/tests/apps/kvlite.so\n"
        "    - id: kv\n      module: @BUILD@/tests/apps/kvlite.so\n"), NULL);
    assert_true(ninesd_wait_started(n, "kv", WAIT_MS) > 0);
    assert_string_equal(call(n, "callout callee 3000"), "sent 3000");
    assert_int_equal(control_ask_once(n->socket, &a, "upgrade", "kv", BUILD_PATH("tests/apps/kvlite_cc_crash.so"),
                                      NULL), 0);
    assert_int_equal(a.status, CTL_ST_FAILED);
    assert_non_null(ninesd_wait(n, WAIT_MS, "event=upgrade_rolled_back", "child=kv ", "restored", NULL));
    assert_int_equal(control_ask_once(n->socket, &a, "call", "callee", "flush", NULL), 0);
    assert_string_equal(a.data, "flushed 3000");
    uint64_t until = now_ms() + WAIT_MS;
    while (strcmp(call(n, "answers"), "replies=3000 errors=0 dup=0") != 0 && now_ms() < until)
        ninesd_pump(n, 20);
    assert_string_equal(call(n, "answers"), "replies=3000 errors=0 dup=0");
    assert_string_equal(call(n, "restore"), "exact");
}

/* kv (running `module`) makes 3,000 nines_call()s to callee, which holds
 * them until it is told to flush. */
static void start_caller(struct ninesd *n, const char *module) {
    char tree[512];
    snprintf(tree, sizeof tree,
             "supervisor:\n  intensity: 10\n  children:\n"
             "    - id: callee\n      module: @BUILD@/tests/apps/kvlite.so\n"
             "    - id: kv\n      module: @BUILD@/tests/apps/%s\n",
             module);
    ninesd_start(n, harness_write_tree(n, tree), NULL);
    assert_true(ninesd_wait_started(n, "kv", WAIT_MS) > 0);
    assert_string_equal(call(n, "callout callee 3000"), "sent 3000");
}

static void flush_callee(struct ninesd *n) {
    assert_int_equal(control_ask_once(n->socket, &a, "call", "callee", "flush", NULL), 0);
    assert_string_equal(a.data, "flushed 3000");
}

/* Each of the 3,000 calls answered exactly once, to the restored worker. */
static void expect_each_answer_once(struct ninesd *n, const char *restore) {
    uint64_t until = now_ms() + WAIT_MS;
    while (strcmp(call(n, "answers"), "replies=3000 errors=0 dup=0") != 0 && now_ms() < until)
        ninesd_pump(n, 20);
    assert_string_equal(call(n, "answers"), "replies=3000 errors=0 dup=0");
    assert_string_equal(call(n, "restore"), restore);
    assert_string_equal(call(n, "version"), "1.0.0");
}

/* The answers come while the new code is in code_change, which never
 * reads them and dies: they went to a process that is gone, and still
 * each reaches the worker restored on the old code, once. */
static void answers_sent_to_the_crashing_code_reach_the_restored_one(void **state) {
    struct ninesd *n = *state;
    start_caller(n, "kvlite.so");
    int fd = control_connect(n->socket);
    assert_true(fd >= 0);
    assert_int_equal(control_request(fd, "upgrade", "kv", BUILD_PATH("tests/apps/kvlite_cc_slow_crash.so"), NULL),
                     0);
    assert_non_null(ninesd_wait(n, WAIT_MS, "event=upgrade_started", "child=kv ", NULL));
    flush_callee(n); /* while kv's new code_change sleeps for 500 ms */
    struct answer up;
    assert_int_equal(control_answer(fd, &up), 0);
    close(fd);
    assert_int_equal(up.status, CTL_ST_FAILED);
    assert_non_null(strstr(up.message, "rolled back"));
    assert_non_null(ninesd_wait(n, WAIT_MS, "event=upgrade_rolled_back", "child=kv ", "restored", NULL));
    expect_each_answer_once(n, "exact");
    assert_int_equal(ninesd_count(n, "event=call_answers_lost", NULL), 0);
}

/* A crash after the swap, restored from the stale snapshot (the module
 * opted in): the new code had the answers, the old code's snapshot says
 * the calls are outstanding, so they come again, once each. */
static void answers_the_new_code_took_come_again_after_a_stale_restore(void **state) {
    struct ninesd *n = *state;
    start_caller(n, "kvlite_stale_ok.so");
    upgrade_to_the_crasher(n);
    flush_callee(n);
    assert_string_equal(call(n, "answers"), "replies=3000 errors=0 dup=0"); /* the new code's */
    assert_non_null(ninesd_wait(n, WAIT_MS, "event=upgrade_rolled_back", "child=kv ", "restored", NULL));
    expect_each_answer_once(n, "stale");
    assert_int_equal(ninesd_count(n, "event=call_answers_lost", NULL), 0);
}

/* What a rollback cannot give back is answered, never left silent: the
 * copies ninesd keeps of the answers to a worker are bounded
 * (CALLS_KEPT_MAX_BYTES, 4 MiB), and 100 answers of 60 KB sent to the new
 * code while it sits in code_change are over it. The worker restored on
 * the old code gets exactly one answer for each of its 100 calls: the
 * reply from a copy, or -ECONNABORTED for each one without a copy;
 * counted in its answers_lost and logged once with that count. */
static void calls_without_a_kept_answer_each_get_one_econnaborted(void **state) {
    struct ninesd *n = *state;
    ninesd_start(n, harness_write_tree(n,
        "supervisor:\n  intensity: 10\n  children:\n"
        "    - id: callee\n      module: @BUILD@/tests/apps/kvlite.so\n"
        "    - id: kv\n      module: @BUILD@/tests/apps/kvlite.so\n"), NULL);
    assert_true(ninesd_wait_started(n, "kv", WAIT_MS) > 0);
    assert_string_equal(call(n, "calloutbig callee 100"), "sent 100");
    int fd = control_connect(n->socket);
    assert_true(fd >= 0);
    assert_int_equal(control_request(fd, "upgrade", "kv", BUILD_PATH("tests/apps/kvlite_cc_slow_crash.so"), NULL),
                     0);
    assert_non_null(ninesd_wait(n, WAIT_MS, "event=upgrade_started", "child=kv ", NULL));
    /* While kv's new code_change sleeps for 500 ms: 6 MB of answers. */
    assert_int_equal(control_ask_once(n->socket, &a, "call", "callee", "flush", NULL), 0);
    assert_string_equal(a.data, "flushed 100");
    struct answer up;
    assert_int_equal(control_answer(fd, &up), 0);
    close(fd);
    assert_int_equal(up.status, CTL_ST_FAILED);
    /* Said as the restored worker is sent its answers, before it is back. */
    const char *line = ninesd_wait(n, WAIT_MS, "event=call_answers_lost", "child=kv ", NULL);
    assert_non_null(line);
    char count[24];
    assert_true(logfmt_field(line, "count", count, sizeof count));
    assert_non_null(ninesd_wait(n, WAIT_MS, "event=upgrade_rolled_back", "child=kv ", "restored", NULL));
    long lost = atol(count);
    assert_true(lost > 0 && lost < 100); /* some had a copy, the rest none */
    /* Every call answered: the replies from copies, an error for each other. */
    char want[96];
    snprintf(want, sizeof want, "replies=%ld errors=%ld dup=0", 100 - lost, lost);
    uint64_t until = now_ms() + WAIT_MS;
    while (strcmp(call(n, "answers"), want) != 0 && now_ms() < until)
        ninesd_pump(n, 20);
    assert_string_equal(call(n, "answers"), want);
    snprintf(want, sizeof want, "aborted=%ld", lost); /* each of those errors is -ECONNABORTED */
    assert_string_equal(call(n, "aborted"), want);
    assert_string_equal(call(n, "restore"), "exact");
    /* Never two: nothing more comes, and it is said once. */
    ninesd_pump(n, 500);
    snprintf(want, sizeof want, "replies=%ld errors=%ld dup=0", 100 - lost, lost);
    assert_string_equal(call(n, "answers"), want);
    assert_int_equal(ninesd_count(n, "event=call_answers_lost", NULL), 1);
    char v[32];
    assert_int_equal(control_ask_once(n->socket, &a, "status", "kv", NULL), 0);
    assert_true(status_field(&a, "kv", "answers_lost", v, sizeof v));
    assert_int_equal(atol(v), lost);
    assert_true(status_field(&a, "kv", "answers_dropped", v, sizeof v));
    assert_string_equal(v, "0"); /* kept for the rollback, or lost: none counted twice */
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(acknowledged_writes_are_never_reverted, harness_setup, harness_teardown),
        cmocka_unit_test_setup_teardown(an_opted_in_module_is_restored_and_told_it_is_stale, harness_setup,
                                        harness_teardown),
        cmocka_unit_test_setup_teardown(a_crash_before_any_input_is_restored_exactly, harness_setup, harness_teardown),
        cmocka_unit_test_setup_teardown(a_rolled_back_caller_gets_each_answer_once, harness_setup, harness_teardown),
        cmocka_unit_test_setup_teardown(answers_sent_to_the_crashing_code_reach_the_restored_one, harness_setup,
                                        harness_teardown),
        cmocka_unit_test_setup_teardown(answers_the_new_code_took_come_again_after_a_stale_restore, harness_setup,
                                        harness_teardown),
        cmocka_unit_test_setup_teardown(calls_without_a_kept_answer_each_get_one_econnaborted, harness_setup,
                                        harness_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
