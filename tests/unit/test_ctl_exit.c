/* Unit tests of ninesctl's exit codes (doc/control-protocol.md's table)
 * and of its one-line error format. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"

static void test_every_status(void **state) {
    static const struct {
        enum ctl_status status;
        const char *name;
        int code;
    } table[] = {
        {CTL_ST_OK, "ok", 0},
        {CTL_ST_BAD_REQUEST, "bad_request", 2},
        {CTL_ST_DENIED, "denied", 4},
        {CTL_ST_NOT_FOUND, "not_found", 1},
        {CTL_ST_REFUSED, "refused", 1},
        {CTL_ST_FAILED, "failed", 1},
        {CTL_ST_TIMEOUT, "timeout", 1},
        {CTL_ST_TOO_BIG, "too_big", 1},
        {CTL_ST_SHUTTING_DOWN, "shutting_down", 1},
        {CTL_ST_INTERNAL, "internal", 1},
    };
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++) {
        assert_int_equal(ctl_exit_for_status(table[i].status), table[i].code);
        assert_string_equal(ctl_status_name(table[i].status), table[i].name);
    }
    /* A status from a newer daemon is still not success. */
    assert_int_equal(ctl_exit_for_status((enum ctl_status)42), CTL_EXIT_FAILED);
}

static void test_connect_errors(void **state) {
    assert_int_equal(ctl_exit_for_connect_error(-EACCES), CTL_EXIT_DENIED);
    assert_int_equal(ctl_exit_for_connect_error(-EPERM), CTL_EXIT_DENIED);
    assert_int_equal(ctl_exit_for_connect_error(-ENOENT), CTL_EXIT_UNREACHABLE);
    assert_int_equal(ctl_exit_for_connect_error(-ECONNREFUSED), CTL_EXIT_UNREACHABLE);
    assert_int_equal(ctl_exit_for_connect_error(-ENOTDIR), CTL_EXIT_UNREACHABLE);
    assert_int_equal(ctl_exit_for_connect_error(-ENAMETOOLONG), CTL_EXIT_UNREACHABLE);
    assert_int_equal(ctl_exit_for_connect_error(EACCES), CTL_EXIT_DENIED); /* either sign */
}

/* The codes themselves are the contract. */
static void test_code_values(void **state) {
    assert_int_equal(CTL_EXIT_OK, 0);
    assert_int_equal(CTL_EXIT_FAILED, 1);
    assert_int_equal(CTL_EXIT_USAGE, 2);
    assert_int_equal(CTL_EXIT_UNHEALTHY, 3);
    assert_int_equal(CTL_EXIT_DENIED, 4);
    assert_int_equal(CTL_EXIT_UNREACHABLE, 5);
    assert_int_equal(CTL_EXIT_PROTOCOL, 6);
}

static char *line_of(const char *what, const char *status, const char *message) {
    char *text = NULL;
    size_t size = 0;
    FILE *f = open_memstream(&text, &size);
    ctl_print_error(f, what, status, message);
    fclose(f);
    return text;
}

static void test_error_line(void **state) {
    char *s = line_of("restart web/listener", "refused", "running");
    assert_string_equal(s, "ninesctl: restart web/listener: refused: running\n");
    free(s);
    s = line_of("status web/x", "not_found", "no child 'web/x' in the tree");
    assert_string_equal(s, "ninesctl: status web/x: not found: no child 'web/x' in the tree\n");
    free(s);
    s = line_of("stop", "shutting_down", "");
    assert_string_equal(s, "ninesctl: stop: shutting down\n");
    free(s);
    s = line_of("", "usage", "missing COMMAND");
    assert_string_equal(s, "ninesctl: usage: missing COMMAND\n");
    free(s);
    /* One line, whatever the message holds. */
    s = line_of("call web/echo", "failed", "crashed\nbefore replying\r");
    assert_string_equal(s, "ninesctl: call web/echo: failed: crashed before replying \n");
    free(s);
}

static void test_strerror(void **state) {
    char buf[64];
    assert_string_equal(ctl_strerror(-ENOENT, buf), "no such file or directory");
    assert_string_equal(ctl_strerror(ECONNREFUSED, buf), "connection refused");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_status),
        cmocka_unit_test(test_connect_errors),
        cmocka_unit_test(test_code_values),
        cmocka_unit_test(test_error_line),
        cmocka_unit_test(test_strerror),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
