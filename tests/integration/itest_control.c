/*
 * Integration: the control socket of the real ninesd, spoken to with the
 * protocol's own codec — status, calls and casts, OTP's supervisor calls
 * and their refusals, dynamic children, events, stop, and the protocol's
 * limits (a bad client never disturbs the daemon).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "control_client.h"
#include "harness.h"

#define WAIT_MS 5000

static struct answer a;

static const char *TREE =
    "supervisor:\n  intensity: 20\n  period: 10s\n  children:\n"
    "    - id: counter\n      module: @BUILD@/examples/counter.so\n      args: {start: 10}\n"
    "    - id: relay\n      module: @BUILD@/examples/relay.so\n"
    "    - id: flaky\n      module: @BUILD@/examples/flaky.so\n"
    "    - id: once\n      module: @BUILD@/examples/counter.so\n      restart: temporary\n"
    "    - id: tool\n      exec: [/bin/sleep, '1000']\n"
    "    - id: sessions\n      supervisor:\n        strategy: dynamic\n        max_children: 2\n"
    "        child:\n          id: session\n          module: @BUILD@/examples/counter.so\n"
    "          restart: transient\n";

static void start_tree(struct ninesd *n) {
    ninesd_start(n, harness_write_tree(n, TREE), NULL);
    assert_non_null(ninesd_wait(n, WAIT_MS, "event=tree_started", NULL));
}

static void expect(enum ctl_status st, const char *fragment) {
    if (a.status != st || (fragment && !strstr(a.message, fragment)))
        fail_msg("expected %s \"%s\", got %s \"%s\"", ctl_status_name(st), fragment ? fragment : "",
                 ctl_status_name(a.status), a.message);
}

static void status_describes_every_node(void **state) {
    struct ninesd *n = *state;
    start_tree(n);
    assert_int_equal(control_ask_once(n->socket, &a, "status", NULL), 0);
    expect(CTL_ST_OK, NULL);
    char v[256];
    assert_true(status_field(&a, "/", "kind", v, sizeof v));
    assert_string_equal(v, "supervisor");
    assert_true(status_field(&a, "counter", "state", v, sizeof v));
    assert_string_equal(v, "running");
    assert_true(status_field(&a, "counter", "version", v, sizeof v));
    assert_string_equal(v, "1.0.0");
    assert_true(status_field(&a, "counter", "pid", v, sizeof v));
    assert_true(process_alive((pid_t)atoi(v)));
    assert_true(status_field(&a, "tool", "kind", v, sizeof v));
    assert_string_equal(v, "exec");
    assert_true(status_field(&a, "sessions", "strategy", v, sizeof v));
    assert_string_equal(v, "dynamic");
    assert_true(status_field(&a, "sessions", "max_children", v, sizeof v));
    assert_string_equal(v, "2");
    /* A subtree, and a path that does not exist. */
    assert_int_equal(control_ask_once(n->socket, &a, "status", "sessions", NULL), 0);
    expect(CTL_ST_OK, NULL);
    assert_false(status_field(&a, "counter", "state", v, sizeof v));
    assert_int_equal(control_ask_once(n->socket, &a, "status", "nope", NULL), 0);
    expect(CTL_ST_NOT_FOUND, "no child 'nope'");
}

static void calls_and_casts_reach_workers(void **state) {
    struct ninesd *n = *state;
    start_tree(n);
    int fd = control_connect(n->socket);
    assert_true(fd >= 0);
    /* Several requests on one connection. */
    assert_int_equal(control_ask(fd, &a, "call", "counter", "get", NULL), 0);
    expect(CTL_ST_OK, NULL);
    assert_string_equal(a.data, "10");
    assert_int_equal(control_ask(fd, &a, "cast", "counter", "add 5", NULL), 0);
    expect(CTL_ST_OK, NULL);
    assert_int_equal(control_ask(fd, &a, "call", "counter", "incr", NULL), 0);
    assert_string_equal(a.data, "16");
    assert_int_equal(control_ask(fd, &a, "call", "nope", "get", NULL), 0);
    expect(CTL_ST_NOT_FOUND, "no child 'nope'");
    assert_int_equal(control_ask(fd, &a, "call", "tool", "get", NULL), 0);
    expect(CTL_ST_FAILED, "not a worker");
    assert_int_equal(control_ask(fd, &a, "call", "flaky", "hang", "200", NULL), 0);
    expect(CTL_ST_TIMEOUT, "no reply from 'flaky' in time");
    assert_int_equal(control_ask(fd, &a, "call", "counter", "get", "soon", NULL), 0);
    expect(CTL_ST_BAD_REQUEST, "timeout must be milliseconds");
    close(fd);
}

static void a_call_to_a_crashing_child_fails_with_the_reason(void **state) {
    struct ninesd *n = *state;
    start_tree(n);
    assert_int_equal(control_ask_once(n->socket, &a, "call", "flaky", "crash segv", NULL), 0);
    expect(CTL_ST_FAILED, "'flaky' ended before replying: killed by SIGSEGV");
    /* It is restarted, and answers again. */
    assert_true(ninesd_wait_started(n, "flaky", WAIT_MS) > 0);
    assert_int_equal(control_ask_once(n->socket, &a, "call", "flaky", "ping", NULL), 0);
    expect(CTL_ST_OK, NULL);
    assert_string_equal(a.data, "pong");
}

static void workers_call_each_other_without_blocking(void **state) {
    struct ninesd *n = *state;
    start_tree(n);
    assert_int_equal(control_ask_once(n->socket, &a, "call", "relay", "ask counter incr", NULL), 0);
    expect(CTL_ST_OK, NULL);
    assert_string_equal(a.data, "reply: 11");
    assert_int_equal(control_ask_once(n->socket, &a, "call", "relay", "tell counter set 40", NULL), 0);
    assert_string_equal(a.data, "sent");
    assert_int_equal(control_ask_once(n->socket, &a, "call", "relay", "ask counter get", NULL), 0);
    assert_string_equal(a.data, "reply: 40");
    assert_int_equal(control_ask_once(n->socket, &a, "call", "relay", "ask ghost get", NULL), 0);
    assert_string_equal(a.data, "error: no such child: no child 'ghost' in the tree");
    assert_int_equal(control_ask_once(n->socket, &a, "call", "relay", "ask sessions get", NULL), 0);
    assert_non_null(strstr(a.data, "error: not a worker"));
    /* While relay waits on a hanging callee, it still answers others. */
    int waiting = control_connect(n->socket);
    static uint8_t req[256];
    const char *argv[] = {"call", "relay", "ask flaky hang"};
    int len = ctl_argv_encode(req, sizeof req, 3, argv);
    assert_int_equal(ctl_send(waiting, CTL_REQUEST, CTL_ST_OK, req, (size_t)len), 0);
    for (int i = 0; i < 50; i++) {
        assert_int_equal(control_ask_once(n->socket, &a, "call", "relay", "waiting", NULL), 0);
        if (strcmp(a.data, "1") == 0)
            break;
        usleep(10000);
    }
    assert_string_equal(a.data, "1");
    assert_int_equal(control_ask_once(n->socket, &a, "call", "relay", "ping", NULL), 0);
    assert_string_equal(a.data, "pong");
    /* The callee crashes: the waiting call fails back with the reason. */
    assert_int_equal(control_ask_once(n->socket, &a, "call", "flaky", "crash abort", NULL), 0);
    struct ctl_decoder d;
    ctl_decoder_init(&d, CTL_MAX_RESPONSE);
    struct ctl_frame f;
    assert_int_equal(ctl_recv(waiting, &d, &f), 1);
    assert_int_equal(f.type, CTL_DATA);
    char text[512];
    snprintf(text, sizeof text, "%.*s", (int)f.length, (const char *)f.payload);
    assert_string_equal(text, "error: ended before replying: 'flaky' ended before replying: killed by SIGABRT");
    ctl_decoder_free(&d);
    close(waiting);
}

static void supervisor_calls_follow_otps_rules(void **state) {
    struct ninesd *n = *state;
    start_tree(n);
    char v[64];
    assert_int_equal(control_ask_once(n->socket, &a, "restart", "counter", NULL), 0);
    expect(CTL_ST_REFUSED, "running");
    assert_int_equal(control_ask_once(n->socket, &a, "delete", "counter", NULL), 0);
    expect(CTL_ST_REFUSED, "running");
    assert_int_equal(control_ask_once(n->socket, &a, "terminate", "counter", NULL), 0);
    expect(CTL_ST_OK, "terminated counter");
    assert_int_equal(control_ask_once(n->socket, &a, "status", "counter", NULL), 0);
    assert_true(status_field(&a, "counter", "state", v, sizeof v));
    assert_string_equal(v, "idle");
    ninesd_pump(n, 100); /* not restarted by its supervisor */
    assert_int_equal(ninesd_count(n, "event=child_started", "child=counter ", NULL), 1);
    assert_int_equal(control_ask_once(n->socket, &a, "restart", "counter", NULL), 0);
    expect(CTL_ST_OK, "restarted counter (pid ");
    assert_int_equal(control_ask_once(n->socket, &a, "call", "counter", "get", NULL), 0);
    assert_string_equal(a.data, "10");
    assert_int_equal(control_ask_once(n->socket, &a, "terminate", "counter", NULL), 0);
    assert_int_equal(control_ask_once(n->socket, &a, "delete", "counter", NULL), 0);
    expect(CTL_ST_OK, "deleted counter");
    assert_int_equal(control_ask_once(n->socket, &a, "status", "counter", NULL), 0);
    expect(CTL_ST_NOT_FOUND, NULL);
    /* A temporary child is gone once terminated: it cannot be restarted. */
    assert_int_equal(control_ask_once(n->socket, &a, "terminate", "once", NULL), 0);
    expect(CTL_ST_OK, NULL);
    assert_int_equal(control_ask_once(n->socket, &a, "restart", "once", NULL), 0);
    expect(CTL_ST_NOT_FOUND, NULL);
    assert_int_equal(control_ask_once(n->socket, &a, "restart", "/", NULL), 0);
    expect(CTL_ST_REFUSED, "root");
}

static void start_adds_a_child_from_a_yaml_spec(void **state) {
    struct ninesd *n = *state;
    start_tree(n);
    char spec[512];
    snprintf(spec, sizeof spec, "{id: extra, module: %s, args: {start: 7}}", BUILD_PATH("examples/counter.so"));
    assert_int_equal(control_ask_once(n->socket, &a, "start", "/", spec, NULL), 0);
    expect(CTL_ST_OK, "started extra (pid ");
    assert_int_equal(control_ask_once(n->socket, &a, "call", "extra", "get", NULL), 0);
    assert_string_equal(a.data, "7");
    assert_int_equal(control_ask_once(n->socket, &a, "start", "/", spec, NULL), 0);
    expect(CTL_ST_REFUSED, "already_started");
    assert_int_equal(control_ask_once(n->socket, &a, "start", "/", "{id: x, modul: y}", NULL), 0);
    expect(CTL_ST_BAD_REQUEST, "spec:1:9: unknown key 'modul' in a child");
    assert_int_equal(control_ask_once(n->socket, &a, "start", "sessions", spec, NULL), 0);
    expect(CTL_ST_REFUSED, "simple_one_for_one");
    snprintf(spec, sizeof spec, "{id: bad, module: %s}", BUILD_PATH("tests/apps/bad_abi.so"));
    assert_int_equal(control_ask_once(n->socket, &a, "start", "/", spec, NULL), 0);
    expect(CTL_ST_FAILED, "ABI version 7");
    assert_int_equal(control_ask_once(n->socket, &a, "status", "bad", NULL), 0);
    expect(CTL_ST_NOT_FOUND, NULL); /* a failed start_child adds nothing */
}

static void dynamic_children_are_started_with_their_args(void **state) {
    struct ninesd *n = *state;
    start_tree(n);
    assert_int_equal(control_ask_once(n->socket, &a, "start-child", "sessions", "start=3", NULL), 0);
    expect(CTL_ST_OK, "started sessions/session-1");
    assert_non_null(strstr(a.data, "path=sessions/session-1 pid="));
    assert_int_equal(control_ask_once(n->socket, &a, "call", "sessions/session-1", "get", NULL), 0);
    assert_string_equal(a.data, "3");
    assert_int_equal(control_ask_once(n->socket, &a, "start-child", "sessions", NULL), 0);
    expect(CTL_ST_OK, "sessions/session-2");
    assert_int_equal(control_ask_once(n->socket, &a, "start-child", "sessions", NULL), 0);
    expect(CTL_ST_REFUSED, "max_children");
    assert_int_equal(control_ask_once(n->socket, &a, "start-child", "/", NULL), 0);
    expect(CTL_ST_REFUSED, "not_dynamic");
    assert_int_equal(control_ask_once(n->socket, &a, "start-child", "sessions", "novalue", NULL), 0);
    expect(CTL_ST_BAD_REQUEST, "expected KEY=VALUE");
    /* A transient dynamic child that crashes is restarted in its place. */
    char v[32];
    assert_int_equal(control_ask_once(n->socket, &a, "status", "sessions", NULL), 0);
    assert_true(status_field(&a, "sessions/session-1", "pid", v, sizeof v));
    kill((pid_t)atoi(v), SIGSEGV);
    assert_true(ninesd_wait_started(n, "sessions/session-1", WAIT_MS) > 0);
    assert_int_equal(control_ask_once(n->socket, &a, "terminate", "sessions/session-2", NULL), 0);
    expect(CTL_ST_OK, NULL);
    assert_int_equal(control_ask_once(n->socket, &a, "status", "sessions/session-2", NULL), 0);
    expect(CTL_ST_NOT_FOUND, NULL);
    assert_int_equal(control_ask_once(n->socket, &a, "start-child", "sessions", NULL), 0);
    expect(CTL_ST_OK, "sessions/session-3"); /* ids are never reused */
    /* start-child --id: a child the operator names. */
    assert_int_equal(control_ask_once(n->socket, &a, "terminate", "sessions/session-3", NULL), 0);
    expect(CTL_ST_OK, NULL);
    assert_int_equal(control_ask_once(n->socket, &a, "start-child", "sessions", "--id", "a/b", NULL), 0);
    expect(CTL_ST_FAILED, "invalid child id");
    assert_int_equal(control_ask_once(n->socket, &a, "start-child", "sessions", "--id", NULL), 0);
    expect(CTL_ST_BAD_REQUEST, "--id needs the child's id");
    assert_int_equal(control_ask_once(n->socket, &a, "start-child", "sessions", "--id", "acme", "start=7", NULL), 0);
    expect(CTL_ST_OK, "started sessions/acme");
    assert_int_equal(control_ask_once(n->socket, &a, "call", "sessions/acme", "get", NULL), 0);
    assert_string_equal(a.data, "7");
    /* status shows what a dynamic child was started with. */
    assert_int_equal(control_ask_once(n->socket, &a, "status", "sessions", NULL), 0);
    assert_true(status_field(&a, "sessions/acme", "args", v, sizeof v));
    assert_string_equal(v, "start=7");
    assert_false(status_field(&a, "sessions", "args", v, sizeof v));
    assert_int_equal(control_ask_once(n->socket, &a, "terminate", "sessions/session-1", NULL), 0);
    expect(CTL_ST_OK, NULL);
    assert_int_equal(control_ask_once(n->socket, &a, "start-child", "sessions", "--id", "acme", NULL), 0);
    expect(CTL_ST_REFUSED, "already_started");
}

static void events_show_history_and_follow(void **state) {
    struct ninesd *n = *state;
    start_tree(n);
    assert_int_equal(control_ask_once(n->socket, &a, "events", NULL), 0);
    expect(CTL_ST_OK, NULL);
    assert_non_null(strstr(a.data, "event=child_started supervisor=/ child=counter "));
    assert_null(strstr(a.data, "event=output"));
    int fd = control_connect(n->socket);
    static uint8_t req[64];
    const char *argv[] = {"events", "follow"};
    int len = ctl_argv_encode(req, sizeof req, 2, argv);
    assert_int_equal(ctl_send(fd, CTL_REQUEST, CTL_ST_OK, req, (size_t)len), 0);
    struct ctl_decoder d;
    ctl_decoder_init(&d, CTL_MAX_RESPONSE);
    struct ctl_frame f;
    assert_int_equal(ctl_recv(fd, &d, &f), 1); /* the history */
    assert_int_equal(f.type, CTL_DATA);
    assert_int_equal(control_ask_once(n->socket, &a, "call", "flaky", "crash kill", NULL), 0);
    bool seen = false;
    for (int i = 0; i < 10 && !seen; i++) {
        assert_int_equal(ctl_recv(fd, &d, &f), 1);
        seen = f.type == CTL_DATA && memmem(f.payload, f.length, "event=child_terminated", 22) &&
               memmem(f.payload, f.length, "killed by SIGKILL", 17);
    }
    assert_true(seen);
    ctl_decoder_free(&d);
    close(fd);
}

static void stop_shuts_the_tree_down(void **state) {
    struct ninesd *n = *state;
    start_tree(n);
    assert_int_equal(control_ask_once(n->socket, &a, "stop", NULL), 0);
    expect(CTL_ST_OK, "stopping the tree");
    assert_true(ninesd_wait_exit(n, WAIT_MS));
    assert_int_equal(WEXITSTATUS(n->status), 0);
    struct stat st;
    assert_int_equal(stat(n->socket, &st), -1); /* removed */
}

/* --- the protocol's limits ---------------------------------------------------- */

static void still_serves(struct ninesd *n) {
    assert_int_equal(control_ask_once(n->socket, &a, "version", NULL), 0);
    expect(CTL_ST_OK, "ninesd ");
}

/* Send raw bytes; the END's status, or -1 if the connection just closed. */
static int send_raw(struct ninesd *n, const void *bytes, size_t len) {
    int fd = control_connect(n->socket);
    assert_true(fd >= 0);
    assert_int_equal(send(fd, bytes, len, MSG_NOSIGNAL), (ssize_t)len);
    struct ctl_decoder d;
    ctl_decoder_init(&d, CTL_MAX_RESPONSE);
    struct ctl_frame f;
    int r = ctl_recv(fd, &d, &f);
    int st = r == 1 && f.type == CTL_END ? (int)f.status : -1;
    /* Then the daemon hangs up. */
    if (r == 1)
        assert_int_equal(ctl_recv(fd, &d, &f), -ECONNRESET);
    ctl_decoder_free(&d);
    close(fd);
    return st;
}

static void malformed_and_oversized_requests_are_refused(void **state) {
    struct ninesd *n = *state;
    start_tree(n);
    struct ctl_header h;
    ctl_header_make(&h, CTL_REQUEST, CTL_ST_OK, CTL_MAX_REQUEST + 1);
    assert_int_equal(send_raw(n, &h, sizeof h), CTL_ST_TOO_BIG);
    ctl_header_make(&h, CTL_REQUEST, CTL_ST_OK, 4);
    h.magic = 0x12345678;
    assert_int_equal(send_raw(n, &h, sizeof h), CTL_ST_BAD_REQUEST);
    ctl_header_make(&h, CTL_REQUEST, CTL_ST_OK, 4);
    h.version = 9;
    assert_int_equal(send_raw(n, &h, sizeof h), CTL_ST_BAD_REQUEST);
    uint8_t frame[sizeof h + 4];
    ctl_header_make(&h, CTL_REQUEST, CTL_ST_OK, 4);
    memcpy(frame, &h, sizeof h);
    memcpy(frame + sizeof h, "abcd", 4); /* not NUL-terminated */
    assert_int_equal(send_raw(n, frame, sizeof frame), CTL_ST_BAD_REQUEST);
    ctl_header_make(&h, CTL_DATA, CTL_ST_OK, 0);
    assert_int_equal(send_raw(n, &h, sizeof h), CTL_ST_BAD_REQUEST);
    assert_int_equal(control_ask_once(n->socket, &a, "frobnicate", NULL), 0);
    expect(CTL_ST_BAD_REQUEST, "unknown command 'frobnicate'");
    assert_int_equal(control_ask_once(n->socket, &a, "restart", NULL), 0);
    expect(CTL_ST_BAD_REQUEST, "usage: restart PATH");
    /* The largest request the protocol allows is still answered. */
    static char big[CTL_MAX_REQUEST - 32];
    memset(big, 'x', sizeof big - 1);
    assert_int_equal(control_ask_once(n->socket, &a, "cast", "counter", big, NULL), 0);
    expect(CTL_ST_OK, NULL);
    /* A client that connects and says nothing, or half a header, disturbs nobody. */
    int idle = control_connect(n->socket);
    assert_int_equal(send(idle, &h, 3, MSG_NOSIGNAL), 3);
    still_serves(n);
    close(idle);
    still_serves(n);
    assert_int_equal(ninesd_count(n, "event=child_terminated", NULL), 0);
}

static void a_second_ninesd_on_the_same_socket_is_refused(void **state) {
    struct ninesd *n = *state;
    start_tree(n);
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "%s --socket %s %s/tree.yaml 2>&1", BUILD_PATH("ninesd"), n->socket, n->dir);
    FILE *p = popen(cmd, "r");
    char line[512] = "";
    while (fgets(line, sizeof line, p) && !strstr(line, "control socket"))
        ;
    int status = pclose(p);
    assert_int_equal(WEXITSTATUS(status), 1);
    assert_non_null(strstr(line, "another ninesd serves"));
    still_serves(n);
}

int main(void) {
    signal(SIGPIPE, SIG_IGN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(status_describes_every_node, harness_setup, harness_teardown),
        cmocka_unit_test_setup_teardown(calls_and_casts_reach_workers, harness_setup, harness_teardown),
        cmocka_unit_test_setup_teardown(a_call_to_a_crashing_child_fails_with_the_reason, harness_setup, harness_teardown),
        cmocka_unit_test_setup_teardown(workers_call_each_other_without_blocking, harness_setup, harness_teardown),
        cmocka_unit_test_setup_teardown(supervisor_calls_follow_otps_rules, harness_setup, harness_teardown),
        cmocka_unit_test_setup_teardown(start_adds_a_child_from_a_yaml_spec, harness_setup, harness_teardown),
        cmocka_unit_test_setup_teardown(dynamic_children_are_started_with_their_args, harness_setup, harness_teardown),
        cmocka_unit_test_setup_teardown(events_show_history_and_follow, harness_setup, harness_teardown),
        cmocka_unit_test_setup_teardown(stop_shuts_the_tree_down, harness_setup, harness_teardown),
        cmocka_unit_test_setup_teardown(malformed_and_oversized_requests_are_refused, harness_setup, harness_teardown),
        cmocka_unit_test_setup_teardown(a_second_ninesd_on_the_same_socket_is_refused, harness_setup, harness_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
