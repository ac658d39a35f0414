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
    /* --id goes right after the supervisor, wherever it was typed. */
    assert_int_equal(PARSE("start-child", "pool", "size=1", "--id", "acme"), 0);
    assert_string_equal(request(), "start-child|pool|--id|acme|size=1");
    assert_int_equal(PARSE("start-child", "--id=acme", "pool"), 0);
    assert_string_equal(request(), "start-child|pool|--id|acme");
    expect_usage(PARSE("start-child", "pool", "--id="), "--id needs the child's id");
    expect_usage(PARSE("status", "--id", "x"), "status does not take --id");
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

/* upgrade with --module (or --extra) is a child's upgrade: --module is
 * required then, and both are sent in order. */
static void test_upgrade(void **state) {
    const char *req[CTL_MAX_ARGS];
    char num[16];
    assert_int_equal(PARSE("upgrade", "echo", "--module", "/srv/echo-2.so", "--extra", "x=1"), 0);
    assert_int_equal(a.cmd->id, CTL_CMD_UPGRADE);
    assert_int_equal(ctl_args_request(&a, req, num), 4);
    assert_string_equal(req[0], "upgrade");
    assert_string_equal(req[1], "echo");
    assert_string_equal(req[2], "/srv/echo-2.so");
    assert_string_equal(req[3], "x=1");
    assert_int_equal(PARSE("upgrade", "--module=/m.so", "echo"), 0);
    assert_int_equal(ctl_args_request(&a, req, num), 3);
    expect_usage(PARSE("upgrade", "echo", "--module"), "--module needs a value");
    expect_usage(PARSE("upgrade", "echo", "--module="), "--module needs a path");
    expect_usage(PARSE("upgrade", "echo", "--extra", "x"), "--extra goes with --module PATH (a child upgrade)");
    expect_usage(PARSE("upgrade", "--module", "/m.so"), "missing CHILD");
    expect_usage(PARSE("upgrade", "a", "b", "--module", "/m.so"), "unexpected argument 'b'");
    expect_usage(PARSE("upgrade", "echo", "--module", "/m.so", "--dry-run"),
                 "upgrade --module does not take --dry-run");
    expect_usage(PARSE("restart", "echo", "--module", "/m.so"), "restart does not take --module or --extra");
}

/* upgrade without --module is the whole tree's, to a release version. */
static void test_release_upgrade(void **state) {
    assert_int_equal(PARSE("upgrade", "1.1.0"), 0);
    assert_int_equal(a.cmd->id, CTL_CMD_RELEASE_UPGRADE);
    assert_string_equal(request(), "release-install|1.1.0|up");
    /* The plan's JSON form is the daemon's; a running one's is ours. */
    assert_int_equal(PARSE("upgrade", "1.1.0", "--json"), 0);
    assert_string_equal(request(), "release-install|1.1.0|up");
    assert_int_equal(PARSE("upgrade", "1.1.0", "--dry-run"), 0);
    assert_string_equal(request(), "release-install|1.1.0|up|dry-run");
    assert_int_equal(PARSE("--json", "--dry-run", "upgrade", "1.1.0"), 0);
    assert_string_equal(request(), "release-install|1.1.0|up|dry-run|json");
    /* Any printable version without a space or '/', as manifests allow. */
    assert_int_equal(PARSE("upgrade", "2024.05-rc1+b7"), 0);
    expect_usage(PARSE("upgrade"),
                 "missing VERSION (a release upgrade) or CHILD --module PATH (a child upgrade)");
    expect_usage(PARSE("upgrade", "1.1.0", "1.2.0"), "unexpected argument '1.2.0'");
    expect_usage(PARSE("upgrade", "web/echo"), "'web/echo' is not a release version (1 to 64 printable "
                                               "characters, no space or '/'); a child upgrade needs --module PATH");
    expect_usage(PARSE("upgrade", ""), "'' is not a release version (1 to 64 printable characters, no space or "
                                       "'/'); a child upgrade needs --module PATH");
    expect_usage(PARSE("upgrade", "1 1"), "'1 1' is not a release version (1 to 64 printable characters, no "
                                          "space or '/'); a child upgrade needs --module PATH");
    char long_version[70];
    memset(long_version, '1', 65);
    long_version[65] = '\0';
    assert_int_equal(PARSE("upgrade", long_version), -EINVAL);
    long_version[64] = '\0';
    assert_int_equal(PARSE("upgrade", long_version), 0);
    expect_usage(PARSE("upgrade", "1.1.0", "--follow"), "upgrade does not take --follow");
    expect_usage(PARSE("upgrade", "1.1.0", "--timeout", "5"), "upgrade does not take --timeout");
}

static void test_downgrade(void **state) {
    assert_int_equal(PARSE("downgrade", "1.0.0"), 0);
    assert_int_equal(a.cmd->id, CTL_CMD_RELEASE_DOWNGRADE);
    assert_string_equal(request(), "release-install|1.0.0|down");
    assert_int_equal(PARSE("downgrade", "1.0.0", "--dry-run", "--json"), 0);
    assert_string_equal(request(), "release-install|1.0.0|down|dry-run|json");
    expect_usage(PARSE("downgrade"), "missing VERSION");
    expect_usage(PARSE("downgrade", "a/b"), "'a/b' is not a release version (1 to 64 printable characters, no "
                                            "space or '/')");
    expect_usage(PARSE("downgrade", "1.0.0", "--module", "/m.so"), "downgrade does not take --module or --extra");
    expect_usage(PARSE("downgrade", "1.0.0", "x"), "unexpected argument 'x'");
}

/* release SUBCOMMAND: two words, sent as one command of the protocol. */
static void test_release_commands(void **state) {
    assert_int_equal(PARSE("release", "list"), 0);
    assert_int_equal(a.cmd->id, CTL_CMD_RELEASE_LIST);
    assert_string_equal(request(), "release-list");
    assert_int_equal(PARSE("--json", "release", "--no-color", "list"), 0);
    assert_true(a.json);
    assert_string_equal(request(), "release-list");
    assert_int_equal(PARSE("release", "unpack", "/srv/myapp-1.1.0.tar.gz"), 0);
    assert_string_equal(request(), "release-unpack|/srv/myapp-1.1.0.tar.gz");
    assert_int_equal(PARSE("release", "make-permanent", "1.1.0"), 0);
    assert_string_equal(request(), "release-make-permanent|1.1.0");
    assert_int_equal(PARSE("release", "remove", "1.0.0"), 0);
    assert_string_equal(request(), "release-remove|1.0.0");
    expect_usage(PARSE("release", "list", "x"), "unexpected argument 'x'");
    expect_usage(PARSE("release", "unpack"), "missing PATH");
    expect_usage(PARSE("release", "unpack", "a", "b"), "unexpected argument 'b'");
    expect_usage(PARSE("release", "make-permanent"), "missing VERSION");
    expect_usage(PARSE("release", "remove"), "missing VERSION");
    expect_usage(PARSE("release", "remove", "x/y"), "'x/y' is not a release version (1 to 64 printable "
                                                    "characters, no space or '/')");
    expect_usage(PARSE("release", "list", "--dry-run"), "release list does not take --dry-run");
    expect_usage(PARSE("release", "unpack", "/x", "--follow"), "release unpack does not take --follow");
    expect_usage(PARSE("release"), "missing release command (list, unpack, make-permanent, remove)");
    assert_null(a.cmd);
    assert_string_equal(a.group, "release");
    expect_usage(PARSE("release", "install", "1.1.0"),
                 "unknown release command 'install' (list, unpack, make-permanent, remove)");
    /* The group is only a first word: "list" alone is no command. */
    expect_usage(PARSE("list"), "unknown command 'list'");
    assert_false(ctl_command_is_group("release list"));
    assert_false(ctl_command_is_group("status"));
    assert_false(ctl_command_is_group("rel"));
    assert_true(ctl_command_is_group("release"));
}

static void test_release_help_and_what(void **state) {
    char what[64];
    assert_int_equal(PARSE("release", "--help"), 0);
    assert_true(a.help);
    assert_null(a.cmd);
    assert_string_equal(a.group, "release");
    assert_int_equal(PARSE("release", "unpack", "--help"), 0);
    assert_string_equal(a.cmd->name, "release unpack");
    assert_int_equal(PARSE("release", "make-permanent", "1.1.0"), 0);
    ctl_args_what(&a, what, sizeof what);
    assert_string_equal(what, "release make-permanent 1.1.0");
    assert_int_equal(PARSE("release", "list"), 0);
    ctl_args_what(&a, what, sizeof what);
    assert_string_equal(what, "release list");
    assert_int_equal(PARSE("upgrade", "1.1.0", "--dry-run"), 0);
    ctl_args_what(&a, what, sizeof what);
    assert_string_equal(what, "upgrade 1.1.0");
}

/* Every command of the protocol is in the table, once per form, with its
 * help; the two forms of upgrade are told apart by --module. */
static void test_table(void **state) {
    static const struct {
        const char *name;
        enum ctl_command_id id;
        const char *request;
    } expected[] = {
        {"status", CTL_CMD_STATUS, "status"},
        {"top", CTL_CMD_TOP, "status"},
        {"metrics", CTL_CMD_METRICS, "metrics"},
        {"dashboard", CTL_CMD_DASHBOARD, "status"},
        {"call", CTL_CMD_CALL, "call"},
        {"cast", CTL_CMD_CAST, "cast"},
        {"restart", CTL_CMD_RESTART, "restart"},
        {"signal", CTL_CMD_SIGNAL, "signal"},
        {"terminate", CTL_CMD_TERMINATE, "terminate"},
        {"delete", CTL_CMD_DELETE, "delete"},
        {"start", CTL_CMD_START, "start"},
        {"start-child", CTL_CMD_START_CHILD, "start-child"},
        {"events", CTL_CMD_EVENTS, "events"},
        {"stop", CTL_CMD_STOP, "stop"},
        {"reload", CTL_CMD_RELOAD, "reload"},
        {"upgrade", CTL_CMD_UPGRADE, "upgrade"},
        {"upgrade", CTL_CMD_RELEASE_UPGRADE, "release-install"},
        {"downgrade", CTL_CMD_RELEASE_DOWNGRADE, "release-install"},
        {"release list", CTL_CMD_RELEASE_LIST, "release-list"},
        {"release unpack", CTL_CMD_RELEASE_UNPACK, "release-unpack"},
        {"release make-permanent", CTL_CMD_RELEASE_MAKE_PERMANENT, "release-make-permanent"},
        {"release remove", CTL_CMD_RELEASE_REMOVE, "release-remove"},
        {"version", CTL_CMD_VERSION, "version"},
    };
    assert_int_equal(ctl_n_commands, sizeof expected / sizeof expected[0]);
    for (size_t i = 0; i < ctl_n_commands; i++) {
        const struct ctl_command *c = &ctl_commands[i];
        assert_string_equal(c->name, expected[i].name);
        assert_int_equal(c->id, expected[i].id);
        assert_string_equal(ctl_command_request(c), expected[i].request);
        assert_true(strncmp(c->usage, c->name, strlen(c->name)) == 0);
        assert_non_null(c->summary);
        assert_non_null(c->help);
        assert_ptr_equal(ctl_command_form(c, (c->options & CTL_OPT_MODULE) != 0), c);
    }
    const struct ctl_command *child = ctl_command_find("upgrade");
    assert_int_equal(child->id, CTL_CMD_UPGRADE);
    assert_int_equal(ctl_command_form(child, false)->id, CTL_CMD_RELEASE_UPGRADE);
    assert_ptr_equal(ctl_command_form(ctl_command_form(child, false), true), child);
    /* One form only: the same command, whatever is asked. */
    assert_ptr_equal(ctl_command_form(ctl_command_find("status"), true), ctl_command_find("status"));
    assert_null(ctl_command_find("frobnicate"));
    assert_null(ctl_command_find("release"));
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
        cmocka_unit_test(test_release_upgrade),
        cmocka_unit_test(test_downgrade),
        cmocka_unit_test(test_release_commands),
        cmocka_unit_test(test_release_help_and_what),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
