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

/* What print (ctl_print_error or ctl_print_error_lines) writes, against
 * what it should. */
static void expect_printed(void (*print)(FILE *, const char *, const char *, const char *), const char *what,
                           const char *status, const char *message, const char *want) {
    char *text = NULL;
    size_t size = 0;
    FILE *f = open_memstream(&text, &size);
    print(f, what, status, message);
    fclose(f);
    assert_string_equal(text, want);
    free(text);
}

static void test_error_line(void **state) {
    expect_printed(ctl_print_error, "restart web/listener", "refused", "running",
                   "ninesctl: restart web/listener: refused: running\n");
    expect_printed(ctl_print_error, "status web/x", "not_found", "no child 'web/x' in the tree",
                   "ninesctl: status web/x: not found: no child 'web/x' in the tree\n");
    expect_printed(ctl_print_error, "stop", "shutting_down", "", "ninesctl: stop: shutting down\n");
    expect_printed(ctl_print_error, "", "usage", "missing COMMAND", "ninesctl: usage: missing COMMAND\n");
    /* One line, whatever the message holds. */
    expect_printed(ctl_print_error, "call web/echo", "failed", "crashed\nbefore replying\r",
                   "ninesctl: call web/echo: failed: crashed before replying \n");
}

/* A list of problems: the first line is the error line, each further one
 * indented on its own; no control bytes, no empty lines. */
static void test_error_lines(void **state) {
    expect_printed(ctl_print_error_lines, "release unpack /srv/myapp-1.1.0.tar.gz", "refused",
                   "myapp-1.1.0 does not verify:\nechoo.so: no such file\n\n\x1b[2Jtree.yaml:3:5: bad\r\n",
                   "ninesctl: release unpack /srv/myapp-1.1.0.tar.gz: refused: myapp-1.1.0 does not verify:\n"
                   "  echoo.so: no such file\n"
                   "   [2Jtree.yaml:3:5: bad \n");
    /* One line: as ctl_print_error. */
    expect_printed(ctl_print_error_lines, "release remove 1.0.0", "refused", "1.0.0 is the permanent release",
                   "ninesctl: release remove 1.0.0: refused: 1.0.0 is the permanent release\n");
    expect_printed(ctl_print_error_lines, "release list", "refused", "", "ninesctl: release list: refused\n");
    /* A message that starts with its list. */
    expect_printed(ctl_print_error_lines, "upgrade 1.1.0", "failed", "\nfirst\nsecond",
                   "ninesctl: upgrade 1.1.0: failed\n  first\n  second\n");
    /* A line longer than a line's buffer is cut, not overflowed. */
    char *big = malloc(5000), *want = malloc(3000);
    memset(big, 'x', 4999);
    big[0] = '\n';
    big[4999] = '\0';
    int n = snprintf(want, 3000, "ninesctl: upgrade 1.1.0: failed\n  ");
    memset(want + n, 'x', 2044);
    strcpy(want + n + 2044, "\n");
    expect_printed(ctl_print_error_lines, "upgrade 1.1.0", "failed", big, want);
    free(big);
    free(want);
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
        cmocka_unit_test(test_error_lines),
        cmocka_unit_test(test_strerror),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
