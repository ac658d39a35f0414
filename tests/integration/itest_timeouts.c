/*
 * Integration: a module worker's init and live upgrade are bounded by its
 * `start_timeout` and `swap_timeout` tree keys (issue 16, item 8), with
 * the real ninesd and real workers. An init that never returns
 * (tests/apps/init_hang.so) is killed when its start_timeout expires: at
 * boot the tree's start fails, naming the limit; at a restart the
 * supervisor goes on (it retries, and the child starts once init returns
 * again). A code_change that sleeps a minute (counter_slow_cc.so) is
 * killed when the swap_timeout expires, and the worker is back on the old
 * code with its state, the upgrade failed naming the limit.
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
#include <time.h>
#include <unistd.h>

#include "control_client.h"
#include "harness.h"

#define WAIT_MS 10000

static struct answer a;

static long long now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static const char *call(struct ninesd *n, const char *path, const char *request) {
    assert_int_equal(control_ask_once(n->socket, &a, "call", path, request, NULL), 0);
    if (a.status != CTL_ST_OK)
        fail_msg("call %s %s: %s %s", path, request, ctl_status_name(a.status), a.message);
    return a.data;
}

/* The tree: `stuck` hangs in init while DIR/hang exists. */
static const char *hang_tree(struct ninesd *n, const char *stuck_keys) {
    char yaml[2048];
    snprintf(yaml, sizeof yaml,
             "supervisor:\n  intensity: 20\n  children:\n"
             "    - id: counter\n      module: @BUILD@/examples/counter.so\n"
             "    - id: stuck\n      module: @BUILD@/tests/apps/init_hang.so\n"
             "      args: {hang_if: HANG}\n%s",
             stuck_keys);
    const char *tree = harness_write_tree(n, yaml);
    /* HANG is DIR/hang: rewrite it now that DIR exists */
    char path[512], cmd[1400];
    snprintf(path, sizeof path, "%s/hang", n->dir);
    snprintf(cmd, sizeof cmd, "sed -i 's|HANG|%s|' %s", path, tree);
    assert_int_equal(system(cmd), 0);
    return tree;
}

static void hang_file(struct ninesd *n, bool on) {
    char path[512];
    snprintf(path, sizeof path, "%s/hang", n->dir);
    if (on) {
        FILE *f = fopen(path, "w");
        assert_non_null(f);
        fclose(f);
    } else {
        assert_int_equal(unlink(path), 0);
    }
}

/* At boot: the tree does not start, and says why within the limit. */
static void a_hung_init_at_boot_fails_the_start_within_its_timeout(void **state) {
    struct ninesd *n = *state;
    const char *tree = hang_tree(n, "      start_timeout: 300ms\n");
    hang_file(n, true);
    long long t0 = now_ms();
    ninesd_start(n, tree, NULL);
    const char *line = ninesd_wait(n, WAIT_MS, "event=start_timeout", "child=stuck ", NULL);
    long long took = now_ms() - t0;
    assert_non_null(line);
    assert_non_null(strstr(line, "start_timeout_ms=300"));
    print_message("# hung init at boot: killed %lld ms after ninesd started (start_timeout 300 ms)\n", took);
    assert_true(took >= 300 && took < 3000);
    assert_non_null(ninesd_wait(n, WAIT_MS, "init failed: it did not return within 300 ms (a limit: raise the "
                                            "child's start_timeout)", NULL));
    assert_true(ninesd_wait_exit(n, WAIT_MS));
    assert_true(WIFEXITED(n->status) && WEXITSTATUS(n->status) != 0);
}

/* At a restart: killed at its limit, retried, and up once init returns;
 * meanwhile the rest of the tree answers. */
static void a_hung_init_at_restart_is_killed_and_retried(void **state) {
    struct ninesd *n = *state;
    ninesd_start(n, hang_tree(n, "      start_timeout: 400ms\n"), NULL);
    pid_t stuck = ninesd_wait_started(n, "stuck", WAIT_MS);
    assert_true(stuck > 0);
    hang_file(n, true);
    long long t0 = now_ms();
    kill(stuck, SIGKILL);
    assert_non_null(ninesd_wait(n, WAIT_MS, "event=start_timeout", "child=stuck ", NULL));
    long long took = now_ms() - t0;
    print_message("# hung init at a restart: killed %lld ms after the crash (start_timeout 400 ms)\n", took);
    assert_true(took >= 400 && took < 3000);
    assert_string_equal(call(n, "counter", "get"), "0");
    hang_file(n, false);
    assert_true(ninesd_wait_started(n, "stuck", WAIT_MS) > 0);
    assert_string_equal(call(n, "stuck", "x"), "up");
    /* infinity: no timer at all */
    ninesd_stop(n);
}

static void start_infinity_never_kills(void **state) {
    struct ninesd *n = *state;
    ninesd_start(n, hang_tree(n, "      start_timeout: infinity\n"), NULL);
    pid_t stuck = ninesd_wait_started(n, "stuck", WAIT_MS);
    hang_file(n, true);
    kill(stuck, SIGKILL);
    ninesd_pump(n, 1500);
    assert_int_equal(ninesd_count(n, "event=start_timeout", NULL), 0);
    hang_file(n, false); /* it stays in pause(): only a signal ends it */
}

/* A code_change that sleeps a minute: killed at the swap_timeout, the
 * worker back on 1.0.0 with its count. */
static void a_hung_code_change_is_rolled_back_at_its_swap_timeout(void **state) {
    struct ninesd *n = *state;
    ninesd_start(n, harness_write_tree(n,
        "supervisor:\n  intensity: 10\n  children:\n"
        "    - id: counter\n      module: @BUILD@/examples/counter.so\n      args: {start: 40}\n"
        "      swap_timeout: 500ms\n"), NULL);
    assert_true(ninesd_wait_started(n, "counter", WAIT_MS) > 0);
    call(n, "counter", "incr");
    long long t0 = now_ms();
    assert_int_equal(control_ask_once(n->socket, &a, "upgrade", "counter", BUILD_PATH("tests/apps/counter_slow_cc.so"),
                                      "60000", NULL), 0);
    long long took = now_ms() - t0;
    print_message("# hung code_change: upgrade answered in %lld ms (swap_timeout 500 ms): %s\n", took, a.message);
    assert_int_equal(a.status, CTL_ST_FAILED);
    assert_non_null(strstr(a.message, "the upgrade did not end within 500 ms (a limit: raise the child's "
                                      "swap_timeout): the worker was killed; rolled back to the previous version "
                                      "with its state"));
    assert_true(took >= 500 && took < 5000);
    assert_non_null(ninesd_wait(n, WAIT_MS, "event=upgrade_timeout", "child=counter ", NULL));
    assert_non_null(ninesd_wait(n, WAIT_MS, "event=upgrade_rolled_back", "child=counter ", NULL));
    assert_string_equal(call(n, "counter", "get"), "41");
    assert_string_equal(call(n, "counter", "version"), "1.0.0");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(a_hung_init_at_boot_fails_the_start_within_its_timeout, harness_setup,
                                        harness_teardown),
        cmocka_unit_test_setup_teardown(a_hung_init_at_restart_is_killed_and_retried, harness_setup,
                                        harness_teardown),
        cmocka_unit_test_setup_teardown(start_infinity_never_kills, harness_setup, harness_teardown),
        cmocka_unit_test_setup_teardown(a_hung_code_change_is_rolled_back_at_its_swap_timeout, harness_setup,
                                        harness_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
