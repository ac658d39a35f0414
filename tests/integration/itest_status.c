/*
 * Integration: `status` answers "what is wrong" (issue 14) on the real
 * ninesd with real crashes: each node's last exit and when, a supervisor's
 * restarts in its window, health (degraded after a crash within the
 * period, failed when down after one), and on request the process's CPU
 * time and memory from /proc; ninesctl shows them as columns.
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
#include <sys/wait.h>
#include <unistd.h>

#include "control_client.h"
#include "harness.h"
#include "harness_run.h"

#define WAIT_MS 5000

static struct answer a;
static char out[65536];

static const char *TREE =
    "supervisor:\n  intensity: 3\n  period: 2s\n  children:\n"
    "    - id: counter\n      module: @BUILD@/examples/counter.so\n"
    "    - id: quiet\n      module: @BUILD@/examples/counter.so\n"
    "    - id: job\n      exec: [/bin/sh, -c, 'exit 0']\n      restart: transient\n";

static void start_tree(struct ninesd *n) {
    ninesd_start(n, harness_write_tree(n, TREE), NULL);
    assert_non_null(ninesd_wait(n, WAIT_MS, "event=tree_started", NULL));
}

static const char *field(const char *path, const char *key) {
    static char v[256];
    return status_field(&a, path, key, v, sizeof v) ? v : NULL;
}

/* The record of `path` has key = want (NULL: has no such key). */
static void expect_field(const char *path, const char *key, const char *want) {
    const char *got = field(path, key);
    if (want ? !got || strcmp(got, want) != 0 : got != NULL)
        fail_msg("%s %s: expected %s, got %s in (%s %s):\n%s", path, key, want ? want : "(none)", got ? got : "(none)",
                 ctl_status_name(a.status), a.message, a.data);
}

static int ctl(struct ninesd *n, const char *args) { return harness_ctl(n, args, out, sizeof out); }

/* Before any crash: all ok, nothing in the window, no last exit but the
 * finished temporary's. */
static void a_healthy_tree_says_ok(void **state) {
    struct ninesd *n = *state;
    start_tree(n);
    assert_non_null(ninesd_wait(n, WAIT_MS, "event=child_terminated", "child=job", NULL));
    assert_int_equal(control_ask_once(n->socket, &a, "status", NULL), 0);
    expect_field("/", "health", "ok");
    expect_field("/", "window_restarts", "0");
    expect_field("counter", "health", "ok");
    expect_field("counter", "last_exit", NULL);
    expect_field("counter", "rss_kib", NULL); /* only when asked */
    /* a transient that finished is down, as it should be */
    expect_field("job", "health", "stopped");
    expect_field("job", "last_exit", "normal");
    assert_non_null(field("job", "last_exit_at"));
}

/* A crash: the reason and when, the window counts it, the child and its
 * supervisor are degraded until the period has passed. */
static void a_crash_shows_its_reason_window_and_health(void **state) {
    struct ninesd *n = *state;
    start_tree(n);
    n->cursor = 0; /* its first start came before the tree's */
    pid_t pid = ninesd_wait_started(n, "counter", WAIT_MS);
    assert_true(pid > 0);
    kill(pid, SIGSEGV);
    assert_true(ninesd_wait_started(n, "counter", WAIT_MS) > 0);
    assert_int_equal(control_ask_once(n->socket, &a, "status", NULL), 0);
    expect_field("counter", "last_exit", "killed by SIGSEGV");
    expect_field("counter", "health", "degraded");
    expect_field("counter", "state", "running");
    expect_field("/", "window_restarts", "1");
    expect_field("/", "health", "degraded");
    expect_field("quiet", "health", "ok");
    assert_int_equal(ctl(n, "status"), 0);
    assert_non_null(strstr(out, "1/3 in 2s"));
    assert_non_null(strstr(out, "killed by SIGSEGV, 0s ago"));
    assert_non_null(strstr(out, "degraded"));
    /* the period passes: the window forgets it, health is ok again */
    ninesd_pump(n, 2300);
    assert_int_equal(control_ask_once(n->socket, &a, "status", NULL), 0);
    expect_field("/", "window_restarts", "0");
    expect_field("counter", "health", "ok");
    expect_field("counter", "last_exit", "killed by SIGSEGV"); /* still said */
}

/* --resources: CPU and memory of each process, read now. */
static void resources_are_read_on_request(void **state) {
    struct ninesd *n = *state;
    start_tree(n);
    assert_int_equal(control_ask_once(n->socket, &a, "status", "/", "resources", NULL), 0);
    assert_int_equal(a.status, CTL_ST_OK);
    const char *rss = field("counter", "rss_kib");
    assert_non_null(rss);
    assert_true(strtoull(rss, NULL, 10) > 0);
    assert_non_null(field("counter", "cpu_ms"));
    assert_true(strtoull(field("counter", "pss_kib"), NULL, 10) > 0);
    expect_field("/", "rss_kib", NULL); /* a supervisor is not a process */
    assert_int_equal(control_ask_once(n->socket, &a, "status", "counter", "resources", NULL), 0);
    assert_non_null(field("counter", "rss_kib"));
    assert_int_equal(control_ask_once(n->socket, &a, "status", "/", "bogus", NULL), 0);
    assert_int_equal(a.status, CTL_ST_BAD_REQUEST);
    assert_int_equal(ctl(n, "status -r"), 0);
    assert_non_null(strstr(out, "CPU"));
    assert_non_null(strstr(out, "MEM"));
    assert_int_equal(ctl(n, "status --json --resources"), 0);
    assert_non_null(strstr(out, "\"rss_kib\":"));
    assert_non_null(strstr(out, "\"health\":\"ok\""));
}

/* A supervisor that gave up is failed, with its reason. */
static void giving_up_is_failed(void **state) {
    struct ninesd *n = *state;
    ninesd_start(n, harness_write_tree(n,
        "supervisor:\n  children:\n"
        "    - id: keep\n      module: @BUILD@/examples/counter.so\n"
        "    - id: sub\n      restart: transient\n      supervisor:\n        intensity: 0\n        children:\n"
        "          - id: w\n            module: @BUILD@/examples/counter.so\n"), NULL);
    assert_non_null(ninesd_wait(n, WAIT_MS, "event=tree_started", NULL));
    n->cursor = 0;
    pid_t pid = ninesd_wait_started(n, "sub/w", WAIT_MS);
    assert_true(pid > 0);
    kill(pid, SIGKILL);
    assert_non_null(ninesd_wait(n, WAIT_MS, "event=child_terminated", "child=sub ", NULL));
    assert_int_equal(control_ask_once(n->socket, &a, "status", NULL), 0);
    expect_field("sub", "health", "failed");
    expect_field("sub", "last_exit", "shutdown: reached_max_restart_intensity");
    expect_field("sub/w", "last_exit", "killed by SIGKILL");
    expect_field("/", "health", "degraded");
}

int main(void) {
    signal(SIGPIPE, SIG_IGN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(a_healthy_tree_says_ok, harness_setup, harness_teardown),
        cmocka_unit_test_setup_teardown(a_crash_shows_its_reason_window_and_health, harness_setup, harness_teardown),
        cmocka_unit_test_setup_teardown(resources_are_read_on_request, harness_setup, harness_teardown),
        cmocka_unit_test_setup_teardown(giving_up_is_failed, harness_setup, harness_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
