/*
 * Integration: `ninesctl reload` and SIGHUP on the real ninesd — the tree
 * file rewritten and read again: children added, removed, changed and a
 * supervisor's flags applied to the running tree with the untouched
 * children left running; a bad file refused with FILE:LINE:COLUMN and
 * nothing changed; a change that fails undone; SIGHUP reloads and never
 * stops the tree.
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

#define WAIT_MS 5000

static struct answer a;

static const char *TREE =
    "supervisor:\n  children:\n"
    "    - id: keep\n      module: @BUILD@/examples/counter.so\n"
    "    - id: changed\n      exec: [/bin/sleep, '1000']\n"
    "    - id: gone\n      exec: [/bin/sleep, '1001']\n"
    "    - id: web\n      supervisor:\n        intensity: 1\n        children:\n"
    "          - id: x\n            exec: [/bin/sleep, '1002']\n";

/* keep and web/x as they were; changed runs a new argv; gone leaves;
 * fresh and web/y arrive; web may now restart 5 times in 5 s. */
static const char *CHANGED =
    "supervisor:\n  children:\n"
    "    - id: keep\n      module: @BUILD@/examples/counter.so\n"
    "    - id: changed\n      exec: [/bin/sleep, '2000']\n"
    "    - id: fresh\n      exec: [/bin/sleep, '2001']\n"
    "    - id: web\n      supervisor:\n        intensity: 5\n        children:\n"
    "          - id: x\n            exec: [/bin/sleep, '1002']\n"
    "          - id: y\n            exec: [/bin/sleep, '2002']\n";

static void expect(enum ctl_status st, const char *fragment) {
    if (a.status != st || (fragment && !strstr(a.message, fragment)))
        fail_msg("expected %s \"%s\", got %s \"%s\"", ctl_status_name(st), fragment ? fragment : "",
                 ctl_status_name(a.status), a.message);
}

static void start_tree(struct ninesd *n) {
    ninesd_start(n, harness_write_tree(n, TREE), NULL);
    assert_non_null(ninesd_wait(n, WAIT_MS, "event=tree_started", NULL));
}

/* The pid status shows for `path`, 0 when it has none, -1 when absent. */
static long pid_of(struct ninesd *n, const char *path) {
    assert_int_equal(control_ask_once(n->socket, &a, "status", NULL), 0);
    char v[64];
    if (!status_field(&a, path, "state", v, sizeof v))
        return -1;
    return status_field(&a, path, "pid", v, sizeof v) ? atol(v) : 0;
}

/* argv[1] of process `pid` is `arg` (read until it is, for up to 2 s: a
 * child just spawned may not have exec'd its program yet). */
static void cmdline_is(long pid, const char *arg) {
    char path[64], buf[256] = "";
    snprintf(path, sizeof path, "/proc/%ld/cmdline", pid);
    for (int i = 0; i < 200; i++, usleep(10000)) {
        memset(buf, 0, sizeof buf);
        FILE *f = fopen(path, "r");
        if (!f)
            continue;
        size_t len = fread(buf, 1, sizeof buf - 1, f);
        fclose(f);
        if (len > 0 && strlen(buf) + 1 < len && strcmp(buf + strlen(buf) + 1, arg) == 0)
            return;
    }
    fail_msg("process %ld: argv[1] is not '%s' (argv[0] '%s')", pid, arg, buf);
}

static void reload_applies_the_difference(void **state) {
    struct ninesd *n = *state;
    start_tree(n);
    long keep = pid_of(n, "keep"), changed = pid_of(n, "changed"), gone = pid_of(n, "gone"), x = pid_of(n, "web/x");
    assert_true(keep > 0 && changed > 0 && gone > 0 && x > 0);
    harness_write_tree(n, CHANGED);
    assert_int_equal(control_ask_once(n->socket, &a, "reload", NULL), 0);
    expect(CTL_ST_OK, "reloaded ");
    if (!strstr(a.message, "remove gone, change changed, add fresh, flags web, add web/y"))
        fail_msg("got \"%s\"", a.message);
    assert_int_equal(pid_of(n, "keep"), keep); /* untouched: not restarted */
    assert_int_equal(pid_of(n, "web/x"), x);
    long now = pid_of(n, "changed");
    assert_true(now > 0 && now != changed);
    cmdline_is(now, "2000");
    assert_int_equal(pid_of(n, "gone"), -1);
    assert_true(wait_process_gone((pid_t)gone, WAIT_MS));
    cmdline_is(pid_of(n, "fresh"), "2001");
    cmdline_is(pid_of(n, "web/y"), "2002");
    /* The new intensity is in force: web survives 2 crashes in a row now. */
    for (int i = 0; i < 2; i++) {
        long y = pid_of(n, "web/y");
        kill((pid_t)y, SIGKILL);
        assert_non_null(ninesd_wait(n, WAIT_MS, "event=child_started", "child=web/y", NULL));
    }
    assert_int_equal(pid_of(n, "web/x"), x);
    /* Read again, the same file changes nothing. */
    assert_int_equal(control_ask_once(n->socket, &a, "reload", NULL), 0);
    expect(CTL_ST_OK, "nothing to change");
}

static void a_bad_file_is_refused_and_nothing_changes(void **state) {
    struct ninesd *n = *state;
    start_tree(n);
    long keep = pid_of(n, "keep"), gone = pid_of(n, "gone");
    harness_write_tree(n, "supervisor:\n  children:\n    - id: keep\n      modul: /x.so\n");
    assert_int_equal(control_ask_once(n->socket, &a, "reload", NULL), 0);
    expect(CTL_ST_REFUSED, "reload refused, nothing changed: ");
    assert_non_null(strstr(a.message, "/tree.yaml:4:7: "));
    /* A module the worker host refuses is a bad file too (preflight). */
    harness_write_tree(n, "supervisor:\n  children:\n    - id: keep\n      module: @BUILD@/tests/apps/bad_magic.so\n");
    assert_int_equal(control_ask_once(n->socket, &a, "reload", NULL), 0);
    expect(CTL_ST_REFUSED, "/tree.yaml:3:7: ");
    assert_int_equal(pid_of(n, "keep"), keep);
    assert_int_equal(pid_of(n, "gone"), gone);
    assert_non_null(ninesd_wait(n, WAIT_MS, "event=reload_refused", NULL));
}

/* A new child that does not start: the changes made before it are undone,
 * the tree runs the old file, and a later reload starts from it. */
static void a_change_that_fails_is_undone(void **state) {
    struct ninesd *n = *state;
    start_tree(n);
    long keep = pid_of(n, "keep");
    harness_write_tree(n, "supervisor:\n  children:\n"
                          "    - id: keep\n      module: @BUILD@/examples/counter.so\n"
                          "    - id: changed\n      exec: [/bin/sleep, '1000']\n"
                          "    - id: web\n      supervisor:\n        intensity: 1\n        children:\n"
                          "          - id: x\n            exec: [/bin/sleep, '1002']\n"
                          "    - id: fresh\n      exec: [/bin/sleep, '2001']\n"
                          "    - id: broken\n      module: @BUILD@/tests/apps/init_crash.so\n");
    assert_int_equal(control_ask_once(n->socket, &a, "reload", NULL), 0);
    expect(CTL_ST_FAILED, "every change undone: add broken: start_failed");
    assert_int_equal(pid_of(n, "fresh"), -1);
    assert_int_equal(pid_of(n, "broken"), -1);
    long gone = pid_of(n, "gone");
    assert_true(gone > 0); /* removed, then put back */
    cmdline_is(gone, "1001");
    assert_int_equal(pid_of(n, "keep"), keep);
    harness_write_tree(n, TREE);
    assert_int_equal(control_ask_once(n->socket, &a, "reload", NULL), 0);
    expect(CTL_ST_OK, "nothing to change");
}

static void sighup_reloads_and_never_stops_the_tree(void **state) {
    struct ninesd *n = *state;
    start_tree(n);
    long keep = pid_of(n, "keep");
    kill(n->pid, SIGHUP); /* the same file: nothing to do, nothing stops */
    assert_non_null(ninesd_wait(n, WAIT_MS, "event=reloading", "origin=SIGHUP", NULL));
    harness_write_tree(n, CHANGED);
    kill(n->pid, SIGHUP);
    assert_non_null(ninesd_wait(n, WAIT_MS, "event=reloaded", NULL));
    assert_true(process_alive(n->pid));
    assert_int_equal(pid_of(n, "keep"), keep);
    cmdline_is(pid_of(n, "fresh"), "2001");
    /* A bad file on SIGHUP is logged and refused; ninesd goes on. */
    harness_write_tree(n, "supervisor: [\n");
    kill(n->pid, SIGHUP);
    assert_non_null(ninesd_wait(n, WAIT_MS, "event=reload_refused", "tree.yaml:", NULL));
    assert_true(process_alive(n->pid));
    assert_int_equal(pid_of(n, "keep"), keep);
}

int main(int argc, char **argv) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(reload_applies_the_difference, harness_setup, harness_teardown),
        cmocka_unit_test_setup_teardown(a_bad_file_is_refused_and_nothing_changes, harness_setup, harness_teardown),
        cmocka_unit_test_setup_teardown(a_change_that_fails_is_undone, harness_setup, harness_teardown),
        cmocka_unit_test_setup_teardown(sighup_reloads_and_never_stops_the_tree, harness_setup, harness_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
