/*
 * Integration: a module is checked again at every load, restarts
 * included (issue 16): the worker host refuses, before init, a file that
 * is no longer the application ninesd found at its path (the name it said
 * at its first start, or that an upgrade to the path checked), as it
 * refuses one of another ABI or one untrusted (itest_trust_modules). The
 * module file is replaced in place (a new inode, as cp to a temporary
 * name and mv do) while its worker runs, then the worker is killed: the
 * restart is refused, naming the file and both names, and the child never
 * runs the stranger. Through the warm spare host and, with --no-spare,
 * through the worker's command line. A newer build of the same
 * application at the path is run.
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
#include <sys/stat.h>
#include <unistd.h>

#include "control_client.h"
#include "harness.h"

#define WAIT_MS 5000

static struct answer a;

static const char *call(struct ninesd *n, const char *request) {
    assert_int_equal(control_ask_once(n->socket, &a, "call", "counter", request, NULL), 0);
    if (a.status != CTL_ST_OK)
        fail_msg("call counter %s: %s %s", request, ctl_status_name(a.status), a.message);
    return a.data;
}

/* Put build file `from` at `to`, replacing what is there by a rename. */
static void replace(const char *from, const char *to) {
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "cp '%s' '%s.new' && chmod 0644 '%s.new' && mv '%s.new' '%s'", from, to, to, to, to);
    assert_int_equal(system(cmd), 0);
}

/* DIR/apps/counter.so, a copy of counter.so, run as child counter. */
static pid_t start_copy(struct ninesd *n, const char *flag, char *module, size_t size) {
    char yaml[1024];
    harness_write_tree(n, "");
    snprintf(module, size, "%s/apps", n->dir);
    mkdir(module, 0755);
    snprintf(module, size, "%s/apps/counter.so", n->dir);
    replace(BUILD_PATH("examples/counter.so"), module);
    snprintf(yaml, sizeof yaml,
             "supervisor:\n  intensity: 3\n  children:\n    - id: counter\n      module: %s\n", module);
    ninesd_start(n, harness_write_tree(n, yaml), flag, NULL);
    pid_t pid = ninesd_wait_started(n, "counter", WAIT_MS);
    assert_true(pid > 0);
    return pid;
}

/* Killed, its restart refused with `want`, never started again. */
static void restart_refused(struct ninesd *n, pid_t pid, const char *want) {
    kill(pid, SIGKILL);
    if (!ninesd_wait(n, WAIT_MS, want, NULL))
        fail_msg("no '%s' in ninesd's output:\n%s", want, n->log ? n->log : "");
    ninesd_pump(n, 300);
    assert_int_equal(ninesd_count(n, "event=child_started", "child=counter ", NULL), 1);
}

static void another_application(void **state, const char *flag) {
    struct ninesd *n = *state;
    char module[512], want[1200];
    pid_t pid = start_copy(n, flag, module, sizeof module);
    replace(BUILD_PATH("examples/echo.so"), module);
    snprintf(want, sizeof want, "module refused: %s: is application 'echo', this child ran 'counter'", module);
    restart_refused(n, pid, want);
}

static void a_module_replaced_by_another_application_is_refused_at_restart(void **state) {
    another_application(state, NULL);
}

static void the_same_without_the_spare_host(void **state) { another_application(state, "--no-spare"); }

static void a_module_replaced_by_another_abi_is_refused_at_restart(void **state) {
    struct ninesd *n = *state;
    char module[512], want[1200];
    pid_t pid = start_copy(n, NULL, module, sizeof module);
    replace(BUILD_PATH("tests/apps/bad_abi.so"), module);
    snprintf(want, sizeof want, "%s: ABI version 7, this host supports 1", module);
    restart_refused(n, pid, want);
}

/* The name an upgrade checked holds for the path upgraded to. */
static void a_module_upgraded_to_then_replaced_is_refused_at_restart(void **state) {
    struct ninesd *n = *state;
    char module[512], v2[600], want[1200];
    start_copy(n, NULL, module, sizeof module);
    snprintf(v2, sizeof v2, "%s/apps/counter-2.so", n->dir);
    replace(BUILD_PATH("examples/counter-2.so"), v2);
    assert_int_equal(control_ask_once(n->socket, &a, "upgrade", "counter", v2, NULL), 0);
    assert_int_equal(a.status, CTL_ST_OK);
    assert_string_equal(call(n, "version"), "2.0.0");
    usleep(1200 * 1000); /* past the rollback window: a crash is 2.0.0's own */
    assert_int_equal(control_ask_once(n->socket, &a, "status", "counter", NULL), 0);
    char pid[16];
    assert_true(status_field(&a, "counter", "pid", pid, sizeof pid));
    replace(BUILD_PATH("examples/echo-2.so"), v2);
    snprintf(want, sizeof want, "module refused: %s: is application 'echo', this child ran 'counter'", v2);
    restart_refused(n, (pid_t)atoi(pid), want);
}

/* Only the application counts: a newer build of it at the path runs. */
static void a_newer_build_of_the_same_application_runs(void **state) {
    struct ninesd *n = *state;
    char module[512];
    pid_t pid = start_copy(n, NULL, module, sizeof module);
    replace(BUILD_PATH("examples/counter-2.so"), module);
    kill(pid, SIGKILL);
    assert_true(ninesd_wait_started(n, "counter", WAIT_MS) > 0);
    assert_string_equal(call(n, "version"), "2.0.0");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(a_module_replaced_by_another_application_is_refused_at_restart,
                                        harness_setup, harness_teardown),
        cmocka_unit_test_setup_teardown(the_same_without_the_spare_host, harness_setup, harness_teardown),
        cmocka_unit_test_setup_teardown(a_module_replaced_by_another_abi_is_refused_at_restart, harness_setup,
                                        harness_teardown),
        cmocka_unit_test_setup_teardown(a_module_upgraded_to_then_replaced_is_refused_at_restart, harness_setup,
                                        harness_teardown),
        cmocka_unit_test_setup_teardown(a_newer_build_of_the_same_application_runs, harness_setup,
                                        harness_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
