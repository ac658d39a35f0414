/*
 * Integration: `upgrade SUPERVISOR MODULE` on a dynamic supervisor through
 * the real ninesd (issue 15) — every running child swapped live, one after
 * the other, each keeping its state and its process; a child whose
 * code_change refuses sends the ones already swapped back, so that every
 * child runs the old version with its state; children started afterwards
 * run the supervisor's module; what ninesctl prints for each child, as
 * text and --json.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "control_client.h"
#include "harness.h"
#include "harness_run.h"

#define WAIT_MS 5000
#define V1 BUILD_PATH("examples/counter.so")
#define V2 BUILD_PATH("examples/counter-2.so")
#define PICKY BUILD_PATH("tests/apps/counter_cc_picky.so") /* refuses the value 13 */

static struct answer a;
static char out[65536];

static void start_tenants(struct ninesd *n) {
    ninesd_start(n, harness_write_tree(n,
        "supervisor:\n  children:\n"
        "    - id: tenants\n      supervisor:\n        strategy: dynamic\n"
        "        child: {id: t, module: @BUILD@/examples/counter.so}\n"
        "    - id: solo\n      module: @BUILD@/examples/counter.so\n"), NULL);
    assert_non_null(ninesd_wait(n, WAIT_MS, "event=tree_started", NULL));
}

static void ask(struct ninesd *n, enum ctl_status want, const char *fragment, ...) {
    const char *argv[8] = {0};
    va_list ap;
    va_start(ap, fragment);
    for (int i = 0; i < 7 && (argv[i] = va_arg(ap, const char *)); i++)
        ;
    va_end(ap);
    assert_int_equal(control_ask_once(n->socket, &a, argv[0], argv[1], argv[2], argv[3], argv[4], argv[5], NULL), 0);
    if (a.status != want || (fragment && !strstr(a.message, fragment)))
        fail_msg("%s %s: expected %s \"%s\", got %s \"%s\"", argv[0], argv[1] ? argv[1] : "", ctl_status_name(want),
                 fragment ? fragment : "", ctl_status_name(a.status), a.message);
}

static void tenant(struct ninesd *n, const char *id, const char *start) {
    char arg[64];
    snprintf(arg, sizeof arg, "start=%s", start);
    ask(n, CTL_ST_OK, NULL, "start-child", "tenants", "--id", id, arg, NULL);
}

static const char *call(struct ninesd *n, const char *path, const char *request) {
    assert_int_equal(control_ask_once(n->socket, &a, "call", path, request, NULL), 0);
    if (a.status != CTL_ST_OK)
        fail_msg("call %s %s: %s %s", path, request, ctl_status_name(a.status), a.message);
    return a.data;
}

static const char *field(struct ninesd *n, const char *path, const char *key) {
    static char v[256];
    assert_int_equal(control_ask_once(n->socket, &a, "status", path, NULL), 0);
    assert_true(status_field(&a, path, key, v, sizeof v));
    return v;
}

static int ctl(struct ninesd *n, const char *args) { return harness_ctl(n, args, out, sizeof out); }

/* Four tenants with their own values, upgraded in one command: each on
 * 2.0.0 with its value, in the same process; a tenant started afterwards
 * runs 2.0.0; the static counter of the same module is left alone; then
 * all of them back down in one command. */
static void every_child_swaps_keeping_its_state(void **state) {
    struct ninesd *n = *state;
    start_tenants(n);
    static const char *const ids[] = {"a", "b", "c", "d"}, *const starts[] = {"10", "20", "30", "40"};
    char pids[4][16], path[32];
    for (int i = 0; i < 4; i++) {
        tenant(n, ids[i], starts[i]);
        snprintf(path, sizeof path, "tenants/%s", ids[i]);
        call(n, path, "incr");
        snprintf(pids[i], sizeof pids[i], "%s", field(n, path, "pid"));
    }
    ask(n, CTL_ST_OK, "upgraded 4 children of tenants from 1.0.0 to 2.0.0", "upgrade", "tenants", V2, NULL);
    assert_non_null(strstr(a.message, "children started from now on run " V2));
    assert_non_null(strstr(a.data, "phase=begin supervisor=tenants children=4"));
    assert_null(strstr(a.data, "phase=undo"));
    static char records[sizeof a.data];
    memcpy(records, a.data, sizeof records);
    for (int i = 0; i < 4; i++) {
        char want[160], value[16];
        snprintf(want, sizeof want, "phase=child n=%d of=4 child=tenants/%s from=1.0.0 to=2.0.0 result=ok", i + 1,
                 ids[i]);
        if (!strstr(records, want))
            fail_msg("no '%s' in %s", want, records);
        snprintf(path, sizeof path, "tenants/%s", ids[i]);
        snprintf(value, sizeof value, "%d", atoi(starts[i]) + 1);
        assert_string_equal(call(n, path, "get"), value);
        assert_string_equal(call(n, path, "version"), "2.0.0");
        assert_string_equal(field(n, path, "pid"), pids[i]); /* swapped in place, not restarted */
    }
    assert_non_null(ninesd_wait(n, WAIT_MS, "event=upgrade_children_done", "supervisor=tenants", "children=4", NULL));
    assert_string_equal(field(n, "solo", "version"), "1.0.0");
    tenant(n, "e", "7");
    assert_string_equal(field(n, "tenants/e", "version"), "2.0.0");
    assert_string_equal(field(n, "tenants/e", "module"), V2);
    call(n, "tenants/a", "add 100");
    /* and all five back down in one command, with ninesctl */
    assert_int_equal(ctl(n, "upgrade tenants --module " V1), 0);
    assert_non_null(strstr(out, "  1/5 tenants/a: 2.0.0 -> 1.0.0 ... ok (paused "));
    assert_non_null(strstr(out, "  5/5 tenants/e: 2.0.0 -> 1.0.0 ... ok"));
    assert_non_null(strstr(out, "upgraded 5 children of tenants from 2.0.0 to 1.0.0"));
    assert_string_equal(call(n, "tenants/a", "get"), "111");
    assert_string_equal(call(n, "tenants/e", "get"), "7");
    assert_string_equal(call(n, "tenants/d", "version"), "1.0.0");
    /* nothing left to swap: a no-op that still succeeds */
    ask(n, CTL_ST_OK, "upgraded 0 children of tenants", "upgrade", "tenants", V1, NULL);
}

/* The third of four tenants refuses (its value is 13): it stays on 1.0.0,
 * the two swapped before it go back, latest first, the fourth is never
 * asked; every tenant runs 1.0.0 with its value, and a tenant started
 * afterwards runs the template's module. */
static void a_refusal_sends_the_swapped_children_back(void **state) {
    struct ninesd *n = *state;
    start_tenants(n);
    tenant(n, "a", "10");
    tenant(n, "b", "20");
    tenant(n, "c", "13");
    tenant(n, "d", "40");
    call(n, "tenants/a", "add 5");
    ask(n, CTL_ST_FAILED, "tenants/c stays on 1.0.0", "upgrade", "tenants", PICKY, NULL);
    assert_non_null(strstr(a.message, "2 children sent back: every child runs 1.0.0"));
    assert_non_null(strstr(a.data, "phase=child n=1 of=4 child=tenants/a from=1.0.0 to=5.0.0 result=ok"));
    assert_non_null(strstr(a.data, "phase=child n=2 of=4 child=tenants/b from=1.0.0 to=5.0.0 result=ok"));
    assert_non_null(strstr(a.data, "phase=child n=3 of=4 child=tenants/c from=1.0.0 to=5.0.0 result=failed"));
    const char *back_b = strstr(a.data, "phase=undo n=2 of=4 child=tenants/b from=5.0.0 to=1.0.0 result=ok");
    const char *back_a = strstr(a.data, "phase=undo n=1 of=4 child=tenants/a from=5.0.0 to=1.0.0 result=ok");
    assert_non_null(back_b);
    assert_non_null(back_a);
    assert_true(back_b < back_a); /* latest first */
    assert_null(strstr(a.data, "child=tenants/d"));
    static const char *const ids[] = {"a", "b", "c", "d"}, *const values[] = {"15", "20", "13", "40"};
    for (int i = 0; i < 4; i++) {
        char path[32];
        snprintf(path, sizeof path, "tenants/%s", ids[i]);
        assert_string_equal(call(n, path, "version"), "1.0.0");
        assert_string_equal(call(n, path, "get"), values[i]);
        assert_string_equal(field(n, path, "module"), V1);
    }
    assert_non_null(ninesd_wait(n, WAIT_MS, "event=upgrade_children_failed", "supervisor=tenants", NULL));
    tenant(n, "e", "1");
    assert_string_equal(field(n, "tenants/e", "version"), "1.0.0");
    /* ninesctl --json: one object, a record per child and per swap back */
    assert_int_equal(ctl(n, "--json upgrade tenants --module " PICKY), 1);
    assert_non_null(strstr(out, "\"ok\":false,\"status\":\"failed\""));
    assert_non_null(strstr(out, "\"supervisor\":\"tenants\""));
    assert_non_null(strstr(out, "\"result\":\"failed\""));
    assert_non_null(strstr(out, "\"children\":[{\"n\":1,\"of\":5,\"child\":\"tenants/a\",\"from\":\"1.0.0\","
                                "\"to\":\"5.0.0\",\"result\":\"ok\""));
    assert_non_null(strstr(out, "\"undone\":[{\"n\":2,\"of\":5,\"child\":\"tenants/b\""));
    assert_string_equal(call(n, "tenants/b", "version"), "1.0.0");
}

/* Only module workers are upgraded: a static supervisor, a dynamic one of
 * programs, a missing module are refused and change nothing. */
static void what_cannot_be_upgraded_is_refused(void **state) {
    struct ninesd *n = *state;
    ninesd_start(n, harness_write_tree(n,
        "supervisor:\n  children:\n"
        "    - id: progs\n      supervisor:\n        strategy: dynamic\n"
        "        child: {id: p, exec: [/bin/sleep, '100']}\n"
        "    - id: web\n      supervisor:\n        children:\n"
        "          - {id: c, module: @BUILD@/examples/counter.so}\n"), NULL);
    assert_non_null(ninesd_wait(n, WAIT_MS, "event=tree_started", NULL));
    ask(n, CTL_ST_REFUSED, "the children of 'progs' are not module workers", "upgrade", "progs", V2, NULL);
    ask(n, CTL_ST_REFUSED, "'web' is not a worker nor a dynamic supervisor", "upgrade", "web", V2, NULL);
    assert_int_equal(ctl(n, "upgrade progs --module /nonexistent/x.so"), 1);
    assert_string_equal(field(n, "web/c", "version"), "1.0.0");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(every_child_swaps_keeping_its_state, harness_setup, harness_teardown),
        cmocka_unit_test_setup_teardown(a_refusal_sends_the_swapped_children_back, harness_setup, harness_teardown),
        cmocka_unit_test_setup_teardown(what_cannot_be_upgraded_is_refused, harness_setup, harness_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
