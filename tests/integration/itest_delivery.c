/*
 * Integration: nothing is lost under pressure (issue 10) — the real
 * ninesd and real workers (tests/apps/flood.c), with more calls in flight
 * at once than a worker's channel holds: every call gets exactly one
 * answer, a reply or an error, and a callee that dies with calls
 * outstanding answers each of them with an error; a burst of casts to a
 * slow worker is each received or refused to its sender, none missing.
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
#include <time.h>
#include <unistd.h>

#include "control_client.h"
#include "harness.h"
#include "harness_run.h"

#define WAIT_MS 5000

static struct answer a;

static const char *TREE =
    "supervisor:\n  intensity: 20\n  period: 10s\n  children:\n"
    "    - id: caller\n      module: @BUILD@/tests/apps/flood.so\n"
    "    - id: callee\n      module: @BUILD@/tests/apps/flood.so\n";

static void start_tree(struct ninesd *n) {
    ninesd_start(n, harness_write_tree(n, TREE), NULL);
    assert_non_null(ninesd_wait(n, WAIT_MS, "event=tree_started", NULL));
}

static void call_ok(struct ninesd *n, const char *path, const char *request) {
    assert_int_equal(control_ask_once(n->socket, &a, "call", path, request, "20000", NULL), 0);
    if (a.status != CTL_ST_OK)
        fail_msg("call %s '%s': %s %s", path, request, ctl_status_name(a.status), a.message);
}

/* Poll the caller's "result" until done (or fail after `ms`); a.data then
 * holds the counts. */
static void wait_done(struct ninesd *n, int ms) {
    struct timespec pause = {0, 20 * 1000 * 1000};
    for (int waited = 0; waited < ms; waited += 20) {
        call_ok(n, "caller", "result");
        if (strncmp(a.data, "done ", 5) == 0)
            return;
        nanosleep(&pause, NULL);
    }
    fail_msg("not every call was answered in %d ms: %s", ms, a.data);
}

static void calls_in_flight(void **state, long count) {
    struct ninesd *n = *state;
    start_tree(n);
    char req[128], want[200];
    /* Both sides slow to read (300 ms), so the calls and then the replies
     * pile up in ninesd: more than a channel holds. */
    snprintf(req, sizeof req, "calls callee ping %ld %ld 30000 300", count, count);
    call_ok(n, "caller", req);
    assert_string_equal(a.data, "started");
    wait_done(n, 40000);
    /* Settle: an answer given twice would arrive right behind the first. */
    usleep(300 * 1000);
    call_ok(n, "caller", "result");
    snprintf(want, sizeof want, "done answered=%ld ok=%ld aborted=0 timedout=0 failed=0 dup=0 refused=0", count,
             count);
    assert_string_equal(a.data, want);
    /* Both still run and answer: nobody was taken for unreachable. */
    call_ok(n, "callee", "ping");
    assert_string_equal(a.data, "pong");
    assert_int_equal(ninesd_count(n, "cannot be reached", NULL), 0);
}

static void a_thousand_calls_in_flight_are_each_answered_once(void **state) {
    calls_in_flight(state, 1000);
}

static void ten_thousand_calls_in_flight_are_each_answered_once(void **state) {
    calls_in_flight(state, 10000);
}

static void calls_to_a_killed_worker_each_get_one_error(void **state) {
    struct ninesd *n = *state;
    start_tree(n);
    char v[64];
    assert_int_equal(control_ask_once(n->socket, &a, "status", "callee", NULL), 0);
    assert_true(status_field(&a, "callee", "pid", v, sizeof v));
    pid_t callee = (pid_t)atoi(v);
    call_ok(n, "caller", "calls callee hold 1000 1000 30000");
    /* All sent (in ninesd's hands or the callee's), none answered. */
    for (int i = 0; i < 250; i++) {
        call_ok(n, "caller", "result");
        if (strcmp(a.data, "running in_flight=1000 answered=0") == 0)
            break;
        usleep(20 * 1000);
    }
    assert_string_equal(a.data, "running in_flight=1000 answered=0");
    /* The caller slow to read: its 1,000 errors wait in ninesd. */
    assert_int_equal(control_ask_once(n->socket, &a, "cast", "caller", "busy 300", NULL), 0);
    assert_int_equal(kill(callee, SIGKILL), 0);
    wait_done(n, 10000);
    usleep(300 * 1000);
    call_ok(n, "caller", "result");
    assert_string_equal(a.data, "done answered=1000 ok=0 aborted=1000 timedout=0 failed=0 dup=0 refused=0");
    /* The callee is back, and its new incarnation answers. */
    assert_true(ninesd_wait_started(n, "callee", WAIT_MS) > 0);
    call_ok(n, "caller", "calls callee ping 1000 1000 30000");
    wait_done(n, 20000);
    assert_string_equal(a.data, "done answered=1000 ok=1000 aborted=0 timedout=0 failed=0 dup=0 refused=0");
}

static long field(const char *text, const char *key) {
    const char *at = strstr(text, key);
    if (!at)
        fail_msg("no %s in '%s'", key, text);
    return atol(at + strlen(key));
}

#define BURST 1000000L
#define DROP_WAIT_MS 1500 /* past a burst's end (DROP_BURST_MS, 1 s) */

static void a_burst_of_casts_is_each_received_or_refused(void **state) {
    struct ninesd *n = *state;
    start_tree(n);
    char req[128];
    /* The receiver slower than its sender for a while: casts pile up
     * past its bound. */
    assert_int_equal(control_ask_once(n->socket, &a, "cast", "callee", "slow 20000 30000", NULL), 0);
    assert_int_equal(a.status, CTL_ST_OK);
    snprintf(req, sizeof req, "casts callee %ld", BURST);
    call_ok(n, "caller", req);
    assert_string_equal(a.data, "started");
    for (int i = 0; i < 3000; i++) {
        call_ok(n, "caller", "castresult");
        if (strncmp(a.data, "done ", 5) == 0)
            break;
        usleep(20 * 1000);
    }
    if (strncmp(a.data, "done ", 5) != 0)
        fail_msg("the burst did not end: %s", a.data);
    long sent = field(a.data, "sent="), refused = field(a.data, "refused=");
    assert_int_equal(field(a.data, "failed="), 0);
    assert_int_equal(sent + refused, BURST);
    if (refused == 0) /* the bound was reached and the sender told */
        fail_msg("no cast refused: %s", a.data);
    /* Every cast the sender was told went is received, in order. */
    for (int i = 0; i < 500; i++) {
        call_ok(n, "callee", "got");
        if (field(a.data, "received=") >= sent)
            break;
        usleep(20 * 1000);
    }
    usleep(200 * 1000);
    call_ok(n, "callee", "got");
    assert_int_equal(field(a.data, "received="), sent);
    assert_int_equal(field(a.data, "disorder="), 0);
    print_message("casts: %ld sent, %ld refused to the sender, 0 lost\n", sent, refused);
    char v[32];
    assert_int_equal(control_ask_once(n->socket, &a, "status", "callee", NULL), 0);
    assert_true(status_field(&a, "callee", "casts_dropped", v, sizeof v));
    assert_string_equal(v, "0");
    assert_true(status_field(&a, "callee", "casts_queued", v, sizeof v));
    assert_string_equal(v, "0");
    /* The sender's host refused those itself: it tells ninesd how many,
     * and the callee's casts_refused counts them. */
    for (int i = 0; i < 100; i++) {
        assert_int_equal(control_ask_once(n->socket, &a, "status", "callee", NULL), 0);
        assert_true(status_field(&a, "callee", "casts_refused", v, sizeof v));
        if (atol(v) == refused)
            break;
        usleep(20 * 1000);
    }
    assert_int_equal(atol(v), refused);
}

static void casts_from_ninesctl_to_a_full_worker_are_refused_and_counted(void **state) {
    struct ninesd *n = *state;
    start_tree(n);
    int fd = control_connect(n->socket);
    assert_true(fd >= 0);
    assert_int_equal(control_ask(fd, &a, "cast", "callee", "busy 2000", NULL), 0);
    assert_int_equal(a.status, CTL_ST_OK);
    long ok = 0, refused = 0;
    for (int i = 0; i < 6000 && !refused; i++) {
        assert_int_equal(control_ask(fd, &a, "cast", "callee", "c 1", NULL), 0);
        if (a.status == CTL_ST_OK)
            ok++;
        else if (a.status == CTL_ST_REFUSED && strstr(a.message, "casts waiting, its bound: try again later"))
            refused++;
        else
            fail_msg("cast: %s %s", ctl_status_name(a.status), a.message);
    }
    close(fd);
    assert_int_equal(refused, 1);
    assert_true(ok >= 4096);
    char v[32];
    assert_int_equal(control_ask_once(n->socket, &a, "status", "callee", NULL), 0);
    assert_true(status_field(&a, "callee", "casts_refused", v, sizeof v));
    assert_string_equal(v, "1");
    /* Once it reads again, all that was accepted arrives. */
    for (int i = 0; i < 500; i++) {
        call_ok(n, "callee", "got");
        if (field(a.data, "received=") >= ok)
            break;
        usleep(20 * 1000);
    }
    assert_int_equal(field(a.data, "received="), ok);
}

/* The bound is the child's `max_queued_casts` tree key: with 100, ninesctl
 * is refused long before the default 4,096 casts wait. */
static void the_bound_is_the_tree_key(void **state) {
    struct ninesd *n = *state;
    ninesd_start(n, harness_write_tree(n, "supervisor:\n  children:\n"
                                           "    - id: callee\n      module: @BUILD@/tests/apps/flood.so\n"
                                           "      max_queued_casts: 100\n"), NULL);
    assert_non_null(ninesd_wait(n, WAIT_MS, "event=tree_started", NULL));
    int fd = control_connect(n->socket);
    assert_true(fd >= 0);
    assert_int_equal(control_ask(fd, &a, "cast", "callee", "busy 2000", NULL), 0);
    assert_int_equal(a.status, CTL_ST_OK);
    long ok = 0;
    for (int i = 0; i < 6000; i++) {
        assert_int_equal(control_ask(fd, &a, "cast", "callee", "c 1", NULL), 0);
        if (a.status != CTL_ST_OK)
            break;
        ok++;
    }
    close(fd);
    assert_int_equal(a.status, CTL_ST_REFUSED);
    assert_non_null(strstr(a.message, "has 100 casts waiting, its bound"));
    assert_true(ok >= 100 && ok < 4096);
    print_message("max_queued_casts: 100: refused after %ld casts accepted (the rest in the channel)\n", ok);
}

/* A cast to a worker that is not running is refused to ninesctl ("not
 * running"), never "cannot be reached". */
static void a_cast_to_a_stopped_worker_says_not_running(void **state) {
    struct ninesd *n = *state;
    start_tree(n);
    assert_int_equal(control_ask_once(n->socket, &a, "terminate", "callee", NULL), 0);
    assert_int_equal(a.status, CTL_ST_OK);
    assert_int_equal(control_ask_once(n->socket, &a, "cast", "callee", "c 1", NULL), 0);
    assert_int_equal(a.status, CTL_ST_FAILED);
    assert_non_null(strstr(a.message, "'callee' is not running"));
}

/* Casts a worker sends to a child that is not running are dropped, as an
 * OTP cast is: each is counted, and the burst is logged once, with the
 * count, not once a cast. */
static void casts_dropped_are_counted_and_logged_once_per_burst(void **state) {
    struct ninesd *n = *state;
    start_tree(n);
    assert_int_equal(control_ask_once(n->socket, &a, "terminate", "callee", NULL), 0);
    assert_int_equal(a.status, CTL_ST_OK);
    call_ok(n, "caller", "casts callee 2000");
    for (int i = 0; i < 250 && strncmp(a.data, "done ", 5) != 0; i++) {
        usleep(20 * 1000);
        call_ok(n, "caller", "castresult");
    }
    assert_int_equal(field(a.data, "sent="), 2000);
    const char *line = ninesd_wait(n, WAIT_MS, "event=casts_dropped", "child=callee ", NULL);
    assert_non_null(line);
    assert_non_null(strstr(line, "count=2000 "));
    ninesd_pump(n, DROP_WAIT_MS); /* a second record would have come by now */
    assert_int_equal(ninesd_count(n, "event=casts_dropped", NULL), 1);
    char v[32];
    assert_int_equal(control_ask_once(n->socket, &a, "status", "callee", NULL), 0);
    assert_true(status_field(&a, "callee", "casts_dropped", v, sizeof v));
    assert_string_equal(v, "2000");
    /* ninesctl status shows it to people too. */
    static char out[16384];
    harness_ctl(n, "status", out, sizeof out); /* exit 3: callee is not running */
    assert_non_null(strstr(out, "DROPS"));
    assert_non_null(strstr(out, "2000 casts dropped"));
    /* A later drop is a burst of its own. */
    call_ok(n, "caller", "casts callee 3");
    assert_non_null(ninesd_wait(n, WAIT_MS, "event=casts_dropped", "count=3 ", NULL));
    assert_int_equal(ninesd_count(n, "event=casts_dropped", NULL), 2);
}

/* Answers to calls a worker made that come after that worker was
 * restarted have nobody to go to: they are dropped, counted in the
 * caller's answers_dropped (status text and --json, metrics) and logged
 * once per burst with the count. */
static void answers_to_a_caller_that_ended_are_counted_and_logged_once(void **state) {
    struct ninesd *n = *state;
    ninesd_start(n, harness_write_tree(n,
        "supervisor:\n  intensity: 10\n  children:\n"
        "    - id: callee\n      module: @BUILD@/tests/apps/kvlite.so\n"
        "    - id: kv\n      module: @BUILD@/tests/apps/kvlite.so\n"), NULL);
    assert_non_null(ninesd_wait(n, WAIT_MS, "event=tree_started", NULL));
    call_ok(n, "kv", "callout callee 5");
    assert_string_equal(a.data, "sent 5");
    assert_int_equal(control_ask_once(n->socket, &a, "terminate", "kv", NULL), 0);
    assert_int_equal(a.status, CTL_ST_OK);
    assert_int_equal(control_ask_once(n->socket, &a, "restart", "kv", NULL), 0);
    assert_int_equal(a.status, CTL_ST_OK);
    call_ok(n, "kv", "version"); /* the new process runs */
    call_ok(n, "callee", "flush");
    assert_string_equal(a.data, "flushed 5");
    const char *line = ninesd_wait(n, WAIT_MS, "event=answers_dropped", "child=kv ", NULL);
    assert_non_null(line);
    assert_non_null(strstr(line, "count=5 "));
    ninesd_pump(n, DROP_WAIT_MS);
    assert_int_equal(ninesd_count(n, "event=answers_dropped", NULL), 1);
    char v[32];
    assert_int_equal(control_ask_once(n->socket, &a, "status", "kv", NULL), 0);
    assert_true(status_field(&a, "kv", "answers_dropped", v, sizeof v));
    assert_string_equal(v, "5");
    assert_true(status_field(&a, "kv", "answers_lost", v, sizeof v));
    assert_string_equal(v, "0");
    call_ok(n, "kv", "answers"); /* the new process got none of them */
    assert_string_equal(a.data, "replies=0 errors=0 dup=0");
    static char out[16384];
    assert_int_equal(harness_ctl(n, "status", out, sizeof out), 0);
    assert_non_null(strstr(out, "5 answers dropped"));
    assert_int_equal(harness_ctl(n, "status --json", out, sizeof out), 0);
    assert_non_null(strstr(out, "\"answers_dropped\":5"));
    assert_int_equal(harness_ctl(n, "metrics", out, sizeof out), 0);
    assert_non_null(strstr(out, "nines_node_answers_dropped_total{path=\"kv\"} 5\n"));
    assert_non_null(strstr(out, "nines_node_answers_lost_total{path=\"kv\"} 0\n"));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(a_thousand_calls_in_flight_are_each_answered_once, harness_setup,
                                        harness_teardown),
        cmocka_unit_test_setup_teardown(ten_thousand_calls_in_flight_are_each_answered_once, harness_setup,
                                        harness_teardown),
        cmocka_unit_test_setup_teardown(calls_to_a_killed_worker_each_get_one_error, harness_setup,
                                        harness_teardown),
        cmocka_unit_test_setup_teardown(a_burst_of_casts_is_each_received_or_refused, harness_setup,
                                        harness_teardown),
        cmocka_unit_test_setup_teardown(casts_from_ninesctl_to_a_full_worker_are_refused_and_counted,
                                        harness_setup, harness_teardown),
        cmocka_unit_test_setup_teardown(the_bound_is_the_tree_key, harness_setup, harness_teardown),
        cmocka_unit_test_setup_teardown(casts_dropped_are_counted_and_logged_once_per_burst, harness_setup,
                                        harness_teardown),
        cmocka_unit_test_setup_teardown(a_cast_to_a_stopped_worker_says_not_running, harness_setup,
                                        harness_teardown),
        cmocka_unit_test_setup_teardown(answers_to_a_caller_that_ended_are_counted_and_logged_once, harness_setup,
                                        harness_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
