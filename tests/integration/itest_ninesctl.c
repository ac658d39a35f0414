/*
 * Integration: the ninesctl program against the real ninesd — what an
 * operator or a health check sees: the output, the one-line errors and
 * the exit codes.
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
#include <unistd.h>

#include "harness.h"
#include "harness_run.h"

#define WAIT_MS 5000

static char out[65536];

/* Run ninesctl with the test's socket and `args` (shell words); its
 * stdout and stderr in `out`, its exit code returned. */
static int ctl(struct ninesd *n, const char *args) { return harness_ctl(n, args, out, sizeof out); }

static void start(struct ninesd *n) {
    ninesd_start(n, harness_write_tree(n,
        "supervisor:\n  children:\n"
        "    - id: counter\n      module: @BUILD@/examples/counter.so\n      args: {start: 10}\n"
        "    - id: web\n      supervisor:\n        children:\n"
        "          - id: relay\n            module: @BUILD@/examples/relay.so\n"), NULL);
    assert_non_null(ninesd_wait(n, WAIT_MS, "event=tree_started", NULL));
}

static void status_is_a_health_check(void **state) {
    struct ninesd *n = *state;
    start(n);
    assert_int_equal(ctl(n, "status"), 0);
    assert_non_null(strstr(out, "├─ counter"));
    assert_non_null(strstr(out, "└─ web"));
    assert_non_null(strstr(out, "   └─ relay"));
    assert_non_null(strstr(out, "all permanent children running"));
    assert_int_equal(ctl(n, "terminate counter"), 0);
    assert_non_null(strstr(out, "terminated counter"));
    assert_int_equal(ctl(n, "status"), 3);
    assert_non_null(strstr(out, "1 permanent child not running"));
    assert_int_equal(ctl(n, "--json status"), 3);
    assert_non_null(strstr(out, "\"healthy\":false"));
    assert_int_equal(ctl(n, "restart counter"), 0);
    assert_int_equal(ctl(n, "status web"), 0);
}

static void calls_print_the_reply(void **state) {
    struct ninesd *n = *state;
    start(n);
    assert_int_equal(ctl(n, "call counter incr"), 0);
    assert_string_equal(out, "11");
    assert_int_equal(ctl(n, "call web/relay 'ask counter get'"), 0);
    assert_string_equal(out, "reply: 11");
    assert_int_equal(ctl(n, "--json call counter get"), 0);
    assert_non_null(strstr(out, "\"reply\":\"11\""));
    assert_int_equal(ctl(n, "cast counter 'set 3'"), 0);
    assert_int_equal(ctl(n, "call counter get --timeout 1000"), 0);
    assert_string_equal(out, "3");
}

static void errors_are_one_line_with_stable_exit_codes(void **state) {
    struct ninesd *n = *state;
    start(n);
    assert_int_equal(ctl(n, "restart counter"), 1);
    assert_string_equal(out, "ninesctl: restart counter: refused: running\n");
    assert_int_equal(ctl(n, "call nowhere get"), 1);
    assert_non_null(strstr(out, "ninesctl: call nowhere: not found: no child 'nowhere' in the tree"));
    assert_int_equal(ctl(n, "call"), 2);
    assert_int_equal(ctl(n, "frobnicate"), 2);
    assert_int_equal(ctl(n, "call counter get --timeout soon"), 2);
    assert_int_equal(harness_run(out, sizeof out, "%s --socket %s/none.sock status", BUILD_PATH("ninesctl"), n->dir), 5);
    assert_non_null(strstr(out, "is ninesd running?"));
}

static void every_command_has_help(void **state) {
    struct ninesd *n = *state;
    start(n);
    const char *commands[] = {"status", "call", "cast", "restart", "terminate", "delete",
                              "start", "start-child", "events", "stop", "version"};
    for (size_t i = 0; i < sizeof commands / sizeof *commands; i++) {
        char args[64];
        snprintf(args, sizeof args, "%s --help", commands[i]);
        assert_int_equal(ctl(n, args), 0);
        if (!strstr(out, commands[i]))
            fail_msg("help of %s does not name it: %s", commands[i], out);
    }
    assert_int_equal(ctl(n, "stop"), 0);
    assert_true(ninesd_wait_exit(n, WAIT_MS));
    assert_int_equal(WEXITSTATUS(n->status), 0);
}

int main(void) {
    signal(SIGPIPE, SIG_IGN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(status_is_a_health_check, harness_setup, harness_teardown),
        cmocka_unit_test_setup_teardown(calls_print_the_reply, harness_setup, harness_teardown),
        cmocka_unit_test_setup_teardown(errors_are_one_line_with_stable_exit_codes, harness_setup, harness_teardown),
        cmocka_unit_test_setup_teardown(every_command_has_help, harness_setup, harness_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
