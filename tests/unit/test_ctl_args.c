/* Unit tests of ninesctl's command line: every command with good and bad
 * arguments, options before and after the command, and the REQUEST argv
 * each one sends (doc/control-protocol.md). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "args.h"

static struct ctl_args a;

/* Parse a NULL-terminated list of words (without the program name). */
#define PARSE(...) parse((const char *[]){"ninesctl", __VA_ARGS__, NULL})

static int parse(const char **words) {
    int argc = 0;
    while (words[argc])
        argc++;
    return ctl_args_parse(&a, argc, (char *const *)words);
}

/* The request of the last parse, joined with '|' for one comparison. */
static const char *request(void) {
    static char joined[1024];
    const char *req[CTL_MAX_ARGS];
    char num[16];
    int n = ctl_args_request(&a, req, num);
    joined[0] = '\0';
    for (int i = 0; i < n; i++) {
        if (i)
            strcat(joined, "|");
        strcat(joined, req[i]);
    }
    return joined;
}

static void expect_usage(int r, const char *error) {
    assert_int_equal(r, -EINVAL);
    assert_string_equal(a.error, error);
}

static void test_status(void **state) {
    assert_int_equal(PARSE("status"), 0);
    assert_string_equal(request(), "status");
    assert_false(a.json);
    assert_int_equal(PARSE("status", "web/listener"), 0);
    assert_string_equal(request(), "status|web/listener");
    expect_usage(PARSE("status", "a", "b"), "unexpected argument 'b'");
    expect_usage(PARSE("status", "--timeout", "5"), "status does not take --timeout");
    expect_usage(PARSE("status", "--follow"), "status does not take --follow");
}

static void test_global_options_anywhere(void **state) {
    assert_int_equal(PARSE("--json", "--socket", "/x.sock", "status"), 0);
    assert_true(a.json);
    assert_string_equal(a.socket, "/x.sock");
    assert_int_equal(PARSE("status", "web", "--json", "--no-color", "--socket=/y.sock"), 0);
    assert_true(a.json);
    assert_true(a.no_color);
    assert_string_equal(a.socket, "/y.sock");
    assert_string_equal(request(), "status|web");
    expect_usage(PARSE("status", "--socket"), "--socket needs a value");
    expect_usage(PARSE("--socket=", "status"), "--socket needs a path");
    expect_usage(PARSE("--json=yes", "status"), "--json takes no value");
}

static void test_call(void **state) {
    assert_int_equal(PARSE("call", "web/echo", "ping"), 0);
    assert_string_equal(request(), "call|web/echo|ping|5000");
    assert_int_equal(PARSE("call", "web/echo", "ping", "--timeout", "250"), 0);
    assert_string_equal(request(), "call|web/echo|ping|250");
    assert_int_equal(PARSE("--timeout=7", "call", "web/echo", "ping"), 0);
    assert_string_equal(request(), "call|web/echo|ping|7");
    /* "--" lets a request start with a dash. */
    assert_int_equal(PARSE("call", "web/echo", "--", "-1"), 0);
    assert_string_equal(request(), "call|web/echo|-1|5000");
    assert_int_equal(PARSE("call", "web/echo", "-"), 0);
    assert_string_equal(request(), "call|web/echo|-|5000");
    expect_usage(PARSE("call"), "missing CHILD");
    expect_usage(PARSE("call", "web/echo"), "missing REQUEST");
    expect_usage(PARSE("call", "a", "b", "c"), "unexpected argument 'c'");
    expect_usage(PARSE("call", "a", "b", "--timeout", "soon"), "--timeout 'soon' is not a number of milliseconds");
    expect_usage(PARSE("call", "a", "b", "--timeout", "-5"), "--timeout '-5' is not a number of milliseconds");
    expect_usage(PARSE("call", "a", "b", "--timeout", "1.5"), "--timeout '1.5' is not a number of milliseconds");
    expect_usage(PARSE("call", "a", "b", "--timeout="), "--timeout needs a number of milliseconds");
    expect_usage(PARSE("call", "a", "b", "--timeout", "0"), "--timeout must be at least 1 ms");
    expect_usage(PARSE("call", "a", "b", "--timeout", "99999999999"),
                 "--timeout '99999999999' is over 2147483647 ms");
    expect_usage(PARSE("call", "a", "b", "--timeout"), "--timeout needs a value");
}

static void test_cast(void **state) {
    assert_int_equal(PARSE("cast", "web/echo", "hello world"), 0);
    assert_string_equal(request(), "cast|web/echo|hello world");
    expect_usage(PARSE("cast", "web/echo"), "missing MESSAGE");
    expect_usage(PARSE("cast"), "missing CHILD");
    expect_usage(PARSE("cast", "a", "b", "--timeout", "5"), "cast does not take --timeout");
}

static void test_one_child_commands(void **state) {
    const char *names[] = {"restart", "terminate", "delete"};
    for (size_t i = 0; i < 3; i++) {
        char want[64];
        assert_int_equal(PARSE(names[i], "web/listener"), 0);
        snprintf(want, sizeof want, "%s|web/listener", names[i]);
        assert_string_equal(request(), want);
        expect_usage(PARSE(names[i]), "missing CHILD");
        expect_usage(PARSE(names[i], "a", "b"), "unexpected argument 'b'");
    }
}

static void test_start(void **state) {
    assert_int_equal(PARSE("start", "web", "{id: cache, module: /srv/cache.so}"), 0);
    assert_string_equal(request(), "start|web|{id: cache, module: /srv/cache.so}");
    expect_usage(PARSE("start", "web"), "missing SPEC");
    expect_usage(PARSE("start"), "missing SUPERVISOR");
}

static void test_start_child(void **state) {
    assert_int_equal(PARSE("start-child", "pool"), 0);
    assert_string_equal(request(), "start-child|pool");
    assert_int_equal(PARSE("start-child", "pool", "size=64", "name=a b", "empty="), 0);
    assert_string_equal(request(), "start-child|pool|size=64|name=a b|empty=");
    expect_usage(PARSE("start-child"), "missing SUPERVISOR");
    expect_usage(PARSE("start-child", "pool", "size"), "'size' is not KEY=VALUE");
    expect_usage(PARSE("start-child", "pool", "=64"), "'=64' is not KEY=VALUE");
}

static void test_events(void **state) {
    assert_int_equal(PARSE("events"), 0);
    assert_string_equal(request(), "events");
    assert_int_equal(PARSE("events", "--follow"), 0);
    assert_string_equal(request(), "events|follow");
    assert_int_equal(PARSE("--follow", "--json", "events"), 0);
    assert_string_equal(request(), "events|follow");
    expect_usage(PARSE("events", "follow"), "unexpected argument 'follow'");
    expect_usage(PARSE("events", "--timeout", "5"), "events does not take --timeout");
}

static void test_no_argument_commands(void **state) {
    assert_int_equal(PARSE("stop"), 0);
    assert_string_equal(request(), "stop");
    assert_int_equal(PARSE("version"), 0);
    assert_string_equal(request(), "version");
    expect_usage(PARSE("stop", "now"), "unexpected argument 'now'");
    expect_usage(PARSE("version", "--follow"), "version does not take --follow");
}

static void test_bad_lines(void **state) {
    expect_usage(parse((const char *[]){"ninesctl", NULL}), "missing COMMAND");
    assert_null(a.cmd);
    expect_usage(PARSE("--json"), "missing COMMAND");
    assert_true(a.json);
    expect_usage(PARSE("stauts"), "unknown command 'stauts'");
    expect_usage(PARSE("status", "--verbose"), "unknown option '--verbose'");
    expect_usage(PARSE("-x", "status"), "unknown option '-x'");
    /* --json is known even when the error comes before it. */
    expect_usage(PARSE("status", "--bogus", "--json"), "unknown option '--bogus'");
    assert_true(a.json);
    /* ... but not after "--", where it is an argument. */
    expect_usage(PARSE("status", "--", "a", "--json"), "unexpected argument '--json'");
    assert_false(a.json);
}

static void test_help_and_version(void **state) {
    assert_int_equal(PARSE("--help"), 0);
    assert_true(a.help);
    assert_null(a.cmd);
    assert_int_equal(PARSE("-h"), 0);
    assert_true(a.help);
    /* A command's help, even without the arguments it needs. */
    assert_int_equal(PARSE("call", "--help"), 0);
    assert_true(a.help);
    assert_string_equal(a.cmd->name, "call");
    assert_int_equal(PARSE("--version"), 0);
    assert_true(a.version);
}

static void test_what(void **state) {
    char what[64];
    assert_int_equal(PARSE("restart", "web/listener", "--json"), 0);
    ctl_args_what(&a, what, sizeof what);
    assert_string_equal(what, "restart web/listener");
    assert_int_equal(PARSE("stop"), 0);
    ctl_args_what(&a, what, sizeof what);
    assert_string_equal(what, "stop");
    assert_int_equal(PARSE("status"), 0);
    ctl_args_what(&a, what, sizeof what);
    assert_string_equal(what, "status");
}

/* upgrade takes --module (required) and --extra, and sends them in order. */
static void test_upgrade(void **state) {
    const char *req[CTL_MAX_ARGS];
    char num[16];
    assert_int_equal(PARSE("upgrade", "echo", "--module", "/srv/echo-2.so", "--extra", "x=1"), 0);
    assert_int_equal(ctl_args_request(&a, req, num), 4);
    assert_string_equal(req[0], "upgrade");
    assert_string_equal(req[1], "echo");
    assert_string_equal(req[2], "/srv/echo-2.so");
    assert_string_equal(req[3], "x=1");
    assert_int_equal(PARSE("upgrade", "--module=/m.so", "echo"), 0);
    assert_int_equal(ctl_args_request(&a, req, num), 3);
    assert_int_equal(PARSE("upgrade", "echo"), -EINVAL);
    assert_non_null(strstr(a.error, "missing --module PATH"));
    assert_int_equal(PARSE("upgrade", "echo", "--module"), -EINVAL);
    assert_int_equal(PARSE("restart", "echo", "--module", "/m.so"), -EINVAL);
    assert_non_null(strstr(a.error, "does not take --module"));
}

/* Every command of the protocol is in the table, once, with its help. */
static void test_table(void **state) {
    const char *expected[] = {"status", "call", "cast", "restart", "terminate", "delete",
                              "start", "start-child", "events", "stop", "version", "upgrade"};
    assert_int_equal(ctl_n_commands, sizeof expected / sizeof expected[0]);
    for (size_t i = 0; i < ctl_n_commands; i++) {
        const struct ctl_command *c = ctl_command_find(expected[i]);
        assert_non_null(c);
        assert_string_equal(c->name, expected[i]);
        assert_true(strncmp(c->usage, c->name, strlen(c->name)) == 0);
        assert_non_null(c->summary);
        assert_non_null(c->help);
    }
    assert_null(ctl_command_find("frobnicate"));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_status),
        cmocka_unit_test(test_global_options_anywhere),
        cmocka_unit_test(test_call),
        cmocka_unit_test(test_cast),
        cmocka_unit_test(test_one_child_commands),
        cmocka_unit_test(test_start),
        cmocka_unit_test(test_start_child),
        cmocka_unit_test(test_events),
        cmocka_unit_test(test_no_argument_commands),
        cmocka_unit_test(test_bad_lines),
        cmocka_unit_test(test_help_and_version),
        cmocka_unit_test(test_what),
        cmocka_unit_test(test_table),
        cmocka_unit_test(test_upgrade),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
