/*
 * Integration: live upgrades of running workers through the real ninesd —
 * state migrated by code_change, connections kept open, every refusal
 * leaving the running version exactly as it was, the version remembered
 * across a restart, upgrades of one child serialized.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "control_client.h"
#include "harness.h"

#define WAIT_MS 5000
#define V1 BUILD_PATH("examples/counter.so")
#define V2 BUILD_PATH("examples/counter-2.so")

static struct answer a;

static void start_counter(struct ninesd *n) {
    ninesd_start(n, harness_write_tree(n,
        "supervisor:\n  intensity: 10\n  children:\n"
        "    - id: counter\n      module: @BUILD@/examples/counter.so\n      args: {start: 40}\n"), NULL);
    assert_true(ninesd_wait_started(n, "counter", WAIT_MS) > 0);
}

static const char *call(struct ninesd *n, const char *path, const char *request) {
    assert_int_equal(control_ask_once(n->socket, &a, "call", path, request, NULL), 0);
    if (a.status != CTL_ST_OK)
        fail_msg("call %s %s: %s %s", path, request, ctl_status_name(a.status), a.message);
    return a.data;
}

static void upgrade(struct ninesd *n, const char *path, const char *module, enum ctl_status want,
                    const char *fragment) {
    assert_int_equal(control_ask_once(n->socket, &a, "upgrade", path, module, NULL), 0);
    if (a.status != want || (fragment && !strstr(a.message, fragment)))
        fail_msg("upgrade %s to %s: expected %s \"%s\", got %s \"%s\"", path, module, ctl_status_name(want),
                 fragment ? fragment : "", ctl_status_name(a.status), a.message);
}

static void version_is(struct ninesd *n, const char *path, const char *version) {
    char v[64];
    assert_int_equal(control_ask_once(n->socket, &a, "status", path, NULL), 0);
    assert_true(status_field(&a, path, "version", v, sizeof v));
    assert_string_equal(v, version);
}

static void counter_goes_up_and_down_keeping_its_state(void **state) {
    struct ninesd *n = *state;
    start_counter(n);
    call(n, "counter", "incr");
    upgrade(n, "counter", V2, CTL_ST_OK, "upgraded counter from 1.0.0 to 2.0.0");
    version_is(n, "counter", "2.0.0");
    assert_string_equal(call(n, "counter", "get"), "41");
    assert_string_equal(call(n, "counter", "version"), "2.0.0");
    call(n, "counter", "add 9");
    assert_string_equal(call(n, "counter", "history"), "add 9");
    assert_non_null(ninesd_wait(n, WAIT_MS, "event=upgrade_done", "child=counter ", "from=1.0.0 to=2.0.0",
                                "pause_us=", NULL));
    /* and down again: the number stays, the history goes */
    upgrade(n, "counter", V1, CTL_ST_OK, "from 2.0.0 to 1.0.0");
    assert_string_equal(call(n, "counter", "get"), "50");
    assert_string_equal(call(n, "counter", "version"), "1.0.0");
    /* the same process all along: no restart */
    assert_int_equal(ninesd_count(n, "event=child_started", "child=counter ", NULL), 1);
}

static void a_restart_runs_the_version_upgraded_to(void **state) {
    struct ninesd *n = *state;
    start_counter(n);
    upgrade(n, "counter", V2, CTL_ST_OK, NULL);
    /* Past the rollback window: a crash now is the new version's own. */
    usleep(1200 * 1000);
    char v[32];
    assert_int_equal(control_ask_once(n->socket, &a, "status", "counter", NULL), 0);
    assert_true(status_field(&a, "counter", "pid", v, sizeof v));
    kill((pid_t)atoi(v), SIGKILL);
    assert_true(ninesd_wait_started(n, "counter", WAIT_MS) > 0);
    assert_string_equal(call(n, "counter", "version"), "2.0.0");
    version_is(n, "counter", "2.0.0");
    char module[512];
    assert_int_equal(control_ask_once(n->socket, &a, "status", "counter", NULL), 0);
    assert_true(status_field(&a, "counter", "module", module, sizeof module));
    assert_string_equal(module, V2);
}

/* Each refusal: the command says why, and the state is exactly as it was. */
static void refused(struct ninesd *n, const char *module, enum ctl_status st, const char *fragment) {
    upgrade(n, "counter", module, st, fragment);
    assert_string_equal(call(n, "counter", "get"), "41");
    assert_string_equal(call(n, "counter", "version"), "1.0.0");
    version_is(n, "counter", "1.0.0");
}

static void every_refusal_changes_nothing(void **state) {
    struct ninesd *n = *state;
    start_counter(n);
    call(n, "counter", "incr");
    refused(n, BUILD_PATH("examples/missing.so"), CTL_ST_NOT_FOUND, "missing.so: No such file or directory");
    refused(n, "/", CTL_ST_NOT_FOUND, "module /: not a regular file (a folder)"); /* not a stale errno */
    refused(n, NINES_SOURCE_DIR "/README.md", CTL_ST_FAILED, "invalid ELF header");
    refused(n, BUILD_PATH("tests/apps/no_descriptor.so"), CTL_ST_FAILED, "not a Nines module");
    refused(n, BUILD_PATH("tests/apps/bad_abi.so"), CTL_ST_FAILED, "ABI version 7, this host supports 1");
    refused(n, BUILD_PATH("tests/apps/counter_wrong_name.so"), CTL_ST_FAILED,
            "is application 'counterx', this worker runs 'counter'");
    refused(n, BUILD_PATH("tests/apps/counter_no_cc.so"), CTL_ST_FAILED, "the new version has no code_change");
    refused(n, BUILD_PATH("tests/apps/counter_cc_error.so"), CTL_ST_FAILED, "code_change of 3.0.0 refused");
    refused(n, "relative.so", CTL_ST_BAD_REQUEST, "must be absolute");
    ninesd_pump(n, 100);
    assert_int_equal(ninesd_count(n, "event=upgrade_failed", "child=counter ", NULL), 6);
    assert_int_equal(ninesd_count(n, "event=child_started", "child=counter ", NULL), 1);
    /* and it still upgrades after all that */
    upgrade(n, "counter", V2, CTL_ST_OK, NULL);
    assert_string_equal(call(n, "counter", "get"), "41");
}

static void restarts_of(struct ninesd *n, const char *path, const char *want) {
    char v[32];
    assert_int_equal(control_ask_once(n->socket, &a, "status", path, NULL), 0);
    assert_true(status_field(&a, path, "restarts", v, sizeof v));
    assert_string_equal(v, want);
}

/* The new code dies inside code_change: the worker comes back on the old
 * code with the state it had, and that is no failure of the child. */
static void a_crash_in_code_change_rolls_back_with_the_state(void **state) {
    struct ninesd *n = *state;
    start_counter(n);
    call(n, "counter", "incr");
    upgrade(n, "counter", BUILD_PATH("tests/apps/counter_cc_crash.so"), CTL_ST_FAILED,
            "during the upgrade, the worker ended: killed by SIGSEGV; rolled back to the previous version");
    assert_non_null(ninesd_wait(n, WAIT_MS, "event=upgrade_rolled_back", "child=counter ", "restored", NULL));
    assert_string_equal(call(n, "counter", "get"), "41");
    assert_string_equal(call(n, "counter", "version"), "1.0.0");
    version_is(n, "counter", "1.0.0");
    restarts_of(n, "counter", "0");
    assert_int_equal(ninesd_count(n, "event=child_terminated", NULL), 0);
    ninesd_pump(n, 300); /* a second report of the one rollback would be here by now (issue 10) */
    assert_int_equal(ninesd_count(n, "event=upgrade_rolled_back", NULL), 1);
    /* and a later upgrade works */
    upgrade(n, "counter", V2, CTL_ST_OK, NULL);
    assert_string_equal(call(n, "counter", "get"), "41");
}

/* The swap succeeds, and the new code dies on its first call: it took
 * input, so the pre-swap snapshot is stale (doc/design.md §4 step 6) and
 * this is an ordinary crash of the new version: restarted from init on
 * 3.0.2 by its supervisor, counted, and logged as right after the swap. */
static void a_crash_after_the_new_code_took_input_is_its_own(void **state) {
    struct ninesd *n = *state;
    start_counter(n);
    call(n, "counter", "incr");
    upgrade(n, "counter", BUILD_PATH("tests/apps/counter_crash_later.so"), CTL_ST_OK, "to 3.0.2");
    assert_int_equal(control_ask_once(n->socket, &a, "call", "counter", "get", NULL), 0);
    assert_int_equal(a.status, CTL_ST_FAILED); /* that call died with the new code */
    assert_non_null(ninesd_wait(n, WAIT_MS, "event=upgrade_crashed_after_swap", "child=counter ", NULL));
    assert_true(ninesd_wait_started(n, "counter", WAIT_MS) > 0);
    assert_string_equal(call(n, "counter", "version"), "3.0.2");
    assert_string_equal(call(n, "counter", "get"), "0"); /* from init: nothing reverted */
    restarts_of(n, "counter", "1");
    assert_int_equal(ninesd_count(n, "event=upgrade_rolled_back", NULL), 0);
}

/* Copy a file to `to` (a module at another path is another load). */
static void copy_module(const char *from, const char *to) {
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "cp '%s' '%s'", from, to);
    assert_int_equal(system(cmd), 0);
}

/* Three upgrades asked at once, of a worker whose swap takes a while (a
 * large state): ninesd sends the next only when the previous is done, so
 * the log alternates started/done, and every one succeeds. */
static void upgrades_of_one_child_are_serialized(void **state) {
    struct ninesd *n = *state;
    ninesd_start(n, harness_write_tree(n,
        "supervisor:\n  children:\n"
        "    - id: kv\n      module: @BUILD@/examples/kv.so\n      args: {preload: 100000}\n"), NULL);
    assert_true(ninesd_wait_started(n, "kv", WAIT_MS) > 0);
    char sum[64], modules[3][300];
    snprintf(sum, sizeof sum, "%s", call(n, "kv", "checksum"));
    /* Three different paths, so that any order of arrival is a change. */
    snprintf(modules[0], sizeof modules[0], "%s", BUILD_PATH("examples/kv-2.so"));
    snprintf(modules[1], sizeof modules[1], "%s/kv-1b.so", n->dir);
    snprintf(modules[2], sizeof modules[2], "%s/kv-2b.so", n->dir);
    copy_module(BUILD_PATH("examples/kv.so"), modules[1]);
    copy_module(BUILD_PATH("examples/kv-2.so"), modules[2]);
    int fds[3];
    static uint8_t req[1024];
    for (int i = 0; i < 3; i++) {
        fds[i] = control_connect(n->socket);
        const char *argv[] = {"upgrade", "kv", modules[i]};
        int len = ctl_argv_encode(req, sizeof req, 3, argv);
        assert_int_equal(ctl_send(fds[i], CTL_REQUEST, CTL_ST_OK, req, (size_t)len), 0);
    }
    for (int i = 0; i < 3; i++) {
        struct ctl_decoder d;
        ctl_decoder_init(&d, CTL_MAX_RESPONSE);
        struct ctl_frame f;
        do
            assert_int_equal(ctl_recv(fds[i], &d, &f), 1);
        while (f.type != CTL_END);
        if (f.status != CTL_ST_OK)
            fail_msg("upgrade %d: %.*s", i, (int)f.length, (const char *)f.payload);
        ctl_decoder_free(&d);
        close(fds[i]);
    }
    ninesd_pump(n, 100);
    /* started, done, started, done, started, done: never two at once */
    const char *at = n->log;
    for (int i = 0; i < 3; i++) {
        const char *started = strstr(at, "event=upgrade_started");
        assert_non_null(started);
        const char *done = strstr(started, "event=upgrade_done");
        assert_non_null(done);
        const char *next = strstr(started + 1, "event=upgrade_started");
        assert_true(next == NULL || next > done);
        at = done;
    }
    assert_string_equal(call(n, "kv", "checksum"), sum);
}

/* --- echo with real clients -------------------------------------------------- */

static int connect_port(int port) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    return fd;
}

/* Send a line and read one line back. */
static void exchange(int fd, const char *line, char *reply, size_t size) {
    size_t len = strlen(line);
    assert_int_equal(write(fd, line, len), (ssize_t)len);
    size_t got = 0;
    while (got < size - 1) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        assert_int_equal(poll(&p, 1, WAIT_MS), 1);
        ssize_t r = read(fd, reply + got, 1);
        assert_int_equal(r, 1);
        if (reply[got++] == '\n')
            break;
    }
    reply[got] = '\0';
}

#define CLIENTS 50

static void echo_keeps_every_connection_across_upgrades(void **state) {
    struct ninesd *n = *state;
    ninesd_start(n, harness_write_tree(n,
        "supervisor:\n  children:\n"
        "    - id: echo\n      module: @BUILD@/examples/echo.so\n      args: {port: 0}\n"), NULL);
    assert_true(ninesd_wait_started(n, "echo", WAIT_MS) > 0);
    int port = atoi(call(n, "echo", "port"));
    static int fds[CLIENTS];
    char reply[256];
    for (int i = 0; i < CLIENTS; i++) {
        fds[i] = connect_port(port);
        exchange(fds[i], "hello\n", reply, sizeof reply);
        assert_string_equal(reply, "hello\n");
    }
    upgrade(n, "echo", BUILD_PATH("examples/echo-2.so"), CTL_ST_OK, "from 1.0.0 to 2.0.0");
    for (int i = 0; i < CLIENTS; i++) {
        exchange(fds[i], "again\n", reply, sizeof reply);
        assert_string_equal(reply, "[1] again\n"); /* v2's format, on the same connection */
    }
    upgrade(n, "echo", BUILD_PATH("examples/echo.so"), CTL_ST_OK, "from 2.0.0 to 1.0.0");
    for (int i = 0; i < CLIENTS; i++) {
        exchange(fds[i], "back\n", reply, sizeof reply);
        assert_string_equal(reply, "back\n");
        close(fds[i]);
    }
    /* New clients are accepted by the listener the upgrades kept. */
    int late = connect_port(port);
    exchange(late, "late\n", reply, sizeof reply);
    assert_string_equal(reply, "late\n");
    close(late);
    assert_int_equal(ninesd_count(n, "event=child_started", "child=echo ", NULL), 1);
}

/* The new echo crashes in code_change: the worker comes back on the old
 * echo in a new process that holds the very same connections. */
static void a_rollback_keeps_every_connection(void **state) {
    struct ninesd *n = *state;
    ninesd_start(n, harness_write_tree(n,
        "supervisor:\n  children:\n"
        "    - id: echo\n      module: @BUILD@/examples/echo.so\n      args: {port: 0}\n"), NULL);
    pid_t before = ninesd_wait_started(n, "echo", WAIT_MS);
    int port = atoi(call(n, "echo", "port"));
    static int fds[CLIENTS];
    char reply[256];
    for (int i = 0; i < CLIENTS; i++) {
        fds[i] = connect_port(port);
        exchange(fds[i], "before\n", reply, sizeof reply);
    }
    /* one client with half a line in the server's buffer */
    assert_int_equal(write(fds[0], "half ", 5), 5);
    upgrade(n, "echo", BUILD_PATH("tests/apps/echo_cc_crash.so"), CTL_ST_FAILED, "rolled back");
    assert_non_null(ninesd_wait(n, WAIT_MS, "event=upgrade_rolled_back", "child=echo ", "restored", NULL));
    char v[32];
    assert_int_equal(control_ask_once(n->socket, &a, "status", "echo", NULL), 0);
    assert_true(status_field(&a, "echo", "pid", v, sizeof v));
    assert_int_not_equal(atoi(v), before); /* another process... */
    exchange(fds[0], "line\n", reply, sizeof reply);
    assert_string_equal(reply, "half line\n"); /* ...with the state */
    for (int i = 1; i < CLIENTS; i++) {
        exchange(fds[i], "after\n", reply, sizeof reply);
        assert_string_equal(reply, "after\n");
    }
    for (int i = 0; i < CLIENTS; i++)
        close(fds[i]);
    int late = connect_port(port); /* the listener came back too */
    exchange(late, "late\n", reply, sizeof reply);
    assert_string_equal(reply, "late\n");
    close(late);
    /* every line counted once: none lost, none repeated by the rollback */
    assert_non_null(strstr(call(n, "echo", "stats"), "served=101"));
}

/* Read one line; false on EOF or timeout. */
static bool read_line(int fd, char *line, size_t size) {
    size_t got = 0;
    while (got < size - 1) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (poll(&p, 1, WAIT_MS) != 1 || read(fd, line + got, 1) != 1)
            return false;
        if (line[got++] == '\n')
            break;
    }
    line[got] = '\0';
    return true;
}

/* 40 swaps back and forth with requests in flight across each: every
 * request answered (in the format of the code that answered it), every
 * connection open, the same process all along. */
static void many_swaps_with_requests_in_flight(void **state) {
    struct ninesd *n = *state;
    ninesd_start(n, harness_write_tree(n,
        "supervisor:\n  children:\n"
        "    - id: echo\n      module: @BUILD@/examples/echo.so\n      args: {port: 0}\n"), NULL);
    assert_true(ninesd_wait_started(n, "echo", WAIT_MS) > 0);
    int port = atoi(call(n, "echo", "port"));
    enum { CONNS = 20, CYCLES = 40 };
    int fds[CONNS];
    for (int i = 0; i < CONNS; i++)
        fds[i] = connect_port(port);
    for (int cycle = 0; cycle < CYCLES; cycle++) {
        char line[64], reply[128];
        for (int i = 0; i < CONNS; i++) {
            int len = snprintf(line, sizeof line, "c%d r%d\n", i, cycle);
            assert_int_equal(write(fds[i], line, (size_t)len), len);
        }
        upgrade(n, "echo", cycle % 2 ? BUILD_PATH("examples/echo.so") : BUILD_PATH("examples/echo-2.so"), CTL_ST_OK,
                NULL);
        for (int i = 0; i < CONNS; i++) {
            snprintf(line, sizeof line, "c%d r%d\n", i, cycle);
            if (!read_line(fds[i], reply, sizeof reply))
                fail_msg("cycle %d: connection %d lost its reply", cycle, i);
            const char *body = reply[0] == '[' ? strchr(reply, ' ') + 1 : reply;
            assert_string_equal(body, line);
        }
    }
    for (int i = 0; i < CONNS; i++)
        close(fds[i]);
    assert_int_equal(ninesd_count(n, "event=child_started", "child=echo ", NULL), 1);
    ninesd_pump(n, 100);
    assert_int_equal(ninesd_count(n, "event=upgrade_done", "child=echo ", NULL), CYCLES);
}

/* A state of about 1 MB goes through a memfd and comes out the same. */
static void a_megabyte_of_state_survives_up_and_down(void **state) {
    struct ninesd *n = *state;
    ninesd_start(n, harness_write_tree(n,
        "supervisor:\n  children:\n"
        "    - id: kv\n      module: @BUILD@/examples/kv.so\n      args: {preload: 8000}\n"), NULL);
    assert_true(ninesd_wait_started(n, "kv", WAIT_MS) > 0);
    call(n, "kv", "put extra value with spaces");
    char sum[64];
    snprintf(sum, sizeof sum, "%s", call(n, "kv", "checksum"));
    upgrade(n, "kv", BUILD_PATH("examples/kv-2.so"), CTL_ST_OK, "to 2.0.0");
    assert_non_null(strstr(a.message, "state "));
    long bytes = atol(strstr(a.message, "state ") + 6);
    assert_true(bytes > 500 * 1000); /* keys and values: about 640 KB */
    assert_string_equal(call(n, "kv", "checksum"), sum);
    assert_string_equal(call(n, "kv", "count"), "8001");
    assert_string_equal(call(n, "kv", "get extra"), "value with spaces");
    upgrade(n, "kv", BUILD_PATH("examples/kv.so"), CTL_ST_OK, "to 1.0.0");
    assert_string_equal(call(n, "kv", "checksum"), sum);
}

static void a_state_over_the_limit_is_refused(void **state) {
    struct ninesd *n = *state;
    ninesd_start(n, harness_write_tree(n,
        "supervisor:\n  children:\n"
        "    - id: counter\n      module: @BUILD@/examples/counter.so\n      args: {start: 40}\n"),
        "--max-snapshot", "4", NULL);
    assert_true(ninesd_wait_started(n, "counter", WAIT_MS) > 0);
    upgrade(n, "counter", V2, CTL_ST_FAILED, "over the limit of 4 (ninesd --max-snapshot)");
    assert_string_equal(call(n, "counter", "version"), "1.0.0");
    assert_string_equal(call(n, "counter", "get"), "40");
}

int main(void) {
    signal(SIGPIPE, SIG_IGN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(counter_goes_up_and_down_keeping_its_state, harness_setup, harness_teardown),
        cmocka_unit_test_setup_teardown(a_restart_runs_the_version_upgraded_to, harness_setup, harness_teardown),
        cmocka_unit_test_setup_teardown(every_refusal_changes_nothing, harness_setup, harness_teardown),
        cmocka_unit_test_setup_teardown(a_crash_in_code_change_rolls_back_with_the_state, harness_setup, harness_teardown),
        cmocka_unit_test_setup_teardown(a_crash_after_the_new_code_took_input_is_its_own, harness_setup, harness_teardown),
        cmocka_unit_test_setup_teardown(upgrades_of_one_child_are_serialized, harness_setup, harness_teardown),
        cmocka_unit_test_setup_teardown(echo_keeps_every_connection_across_upgrades, harness_setup, harness_teardown),
        cmocka_unit_test_setup_teardown(a_rollback_keeps_every_connection, harness_setup, harness_teardown),
        cmocka_unit_test_setup_teardown(a_state_over_the_limit_is_refused, harness_setup, harness_teardown),
        cmocka_unit_test_setup_teardown(many_swaps_with_requests_in_flight, harness_setup, harness_teardown),
        cmocka_unit_test_setup_teardown(a_megabyte_of_state_survives_up_and_down, harness_setup, harness_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
