/*
 * Integration: the example applications under the real ninesd. The echo
 * server with hundreds of real TCP clients (every fd registered through
 * the runtime API of one worker), lines split across writes, clients
 * leaving while others stay; flaky's failure modes as exit reasons.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "harness.h"

#define WAIT_MS 5000
#define CLIENTS 300

/* Start echo on an ephemeral port; its log line says which. */
static int start_echo(struct ninesd *n) {
    const char *tree = harness_write_tree(n,
        "supervisor:\n  children:\n"
        "    - id: echo\n      module: @BUILD@/examples/echo.so\n      args: {port: 0}\n");
    ninesd_start(n, tree, NULL);
    const char *line = ninesd_wait(n, WAIT_MS, "event=output", "child=echo ", "listening on 127.0.0.1:", NULL);
    assert_non_null(line);
    int port = atoi(strstr(line, "127.0.0.1:") + strlen("127.0.0.1:"));
    assert_true(port > 0);
    /* Its stderr and its channel are read apart: child_started (READY on
     * the channel) may come before the line (stderr), or after it. */
    n->cursor = 0;
    assert_true(ninesd_wait_started(n, "echo", WAIT_MS) > 0);
    return port;
}

static int connect_to(int port) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    return fd;
}

static void send_all(int fd, const char *s, size_t len) {
    while (len) {
        ssize_t w = write(fd, s, len);
        assert_true(w > 0);
        s += w, len -= (size_t)w;
    }
}

/* Read exactly len bytes within WAIT_MS. */
static void expect_bytes(int fd, const char *want, size_t len) {
    char buf[256];
    size_t got = 0;
    assert_true(len <= sizeof buf);
    while (got < len) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        assert_int_equal(poll(&p, 1, WAIT_MS), 1);
        ssize_t r = read(fd, buf + got, len - got);
        assert_true(r > 0);
        got += (size_t)r;
    }
    assert_memory_equal(buf, want, len);
}

static void echo_serves_hundreds_of_clients_at_once(void **state) {
    struct ninesd *n = *state;
    int port = start_echo(n);
    static int fds[CLIENTS];
    for (int i = 0; i < CLIENTS; i++)
        fds[i] = connect_to(port);
    /* Every client speaks before any reads: all are open at once. */
    char line[64];
    for (int i = 0; i < CLIENTS; i++) {
        int len = snprintf(line, sizeof line, "hello from %d\n", i);
        send_all(fds[i], line, (size_t)len);
    }
    for (int i = 0; i < CLIENTS; i++) {
        int len = snprintf(line, sizeof line, "hello from %d\n", i);
        expect_bytes(fds[i], line, (size_t)len);
    }
    /* Half leave; the others are still served. */
    for (int i = 0; i < CLIENTS; i += 2)
        close(fds[i]);
    for (int i = 1; i < CLIENTS; i += 2) {
        send_all(fds[i], "again\n", 6);
        expect_bytes(fds[i], "again\n", 6);
    }
    for (int i = 1; i < CLIENTS; i += 2)
        close(fds[i]);
    /* The worker never restarted. */
    ninesd_pump(n, 50);
    assert_int_equal(ninesd_count(n, "event=child_terminated", NULL), 0);
}

static void echo_reassembles_lines_split_across_writes(void **state) {
    struct ninesd *n = *state;
    int fd = connect_to(start_echo(n));
    send_all(fd, "par", 3);
    usleep(20000);
    send_all(fd, "tial\nsecond ", 12);
    expect_bytes(fd, "partial\n", 8);
    send_all(fd, "line\n", 5);
    expect_bytes(fd, "second line\n", 12);
    close(fd);
}

/* A client that shuts down its sending side still gets its last echo:
 * a half-close is end of input, not a hang-up. */
static void echo_answers_a_half_closed_client(void **state) {
    struct ninesd *n = *state;
    int fd = connect_to(start_echo(n));
    send_all(fd, "last words\n", 11);
    assert_int_equal(shutdown(fd, SHUT_WR), 0);
    expect_bytes(fd, "last words\n", 11);
    char c;
    struct pollfd p = {.fd = fd, .events = POLLIN};
    assert_int_equal(poll(&p, 1, WAIT_MS), 1);
    assert_int_equal(read(fd, &c, 1), 0); /* then the server closes */
    close(fd);
}

static void echo_refuses_a_port_in_use_with_a_clear_reason(void **state) {
    struct ninesd *n = *state;
    int busy = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(busy, (struct sockaddr *)&sa, sizeof sa), 0);
    assert_int_equal(listen(busy, 1), 0);
    socklen_t len = sizeof sa;
    getsockname(busy, (struct sockaddr *)&sa, &len);
    char yaml[512];
    snprintf(yaml, sizeof yaml,
             "supervisor:\n  children:\n"
             "    - id: echo\n      module: @BUILD@/examples/echo.so\n      args: {port: %d}\n",
             ntohs(sa.sin_port));
    ninesd_start(n, harness_write_tree(n, yaml), NULL);
    const char *line = ninesd_wait_event(n, "start_error", "echo", WAIT_MS);
    assert_non_null(line);
    assert_non_null(strstr(line, "init failed: echo: cannot listen on 127.0.0.1:"));
    assert_non_null(strstr(line, "Address already in use"));
    assert_true(ninesd_wait_exit(n, WAIT_MS));
    assert_int_equal(WEXITSTATUS(n->status), 1);
    close(busy);
}

/* flaky's ways to fail, each seen as its own exit reason. */
static void flaky_failure_modes_are_reported_as_they_happened(void **state) {
    struct ninesd *n = *state;
    const char *tree = harness_write_tree(n,
        "supervisor:\n  intensity: 100\n  children:\n"
        "    - id: segv\n      module: @BUILD@/examples/flaky.so\n      args: {crash_after_ms: 30, how: segv}\n      restart: temporary\n"
        "    - id: abort\n      module: @BUILD@/examples/flaky.so\n      args: {crash_after_ms: 30, how: abort}\n      restart: temporary\n"
        "    - id: exit\n      module: @BUILD@/examples/flaky.so\n      args: {crash_after_ms: 30, how: exit}\n      restart: temporary\n"
        "    - id: error\n      module: @BUILD@/examples/flaky.so\n      args: {crash_after_ms: 30, how: error}\n      restart: temporary\n"
        "    - id: normal\n      module: @BUILD@/examples/flaky.so\n      args: {crash_after_ms: 30, how: normal}\n      restart: transient\n"
        "    - id: keeper\n      module: @BUILD@/examples/counter.so\n");
    ninesd_start(n, tree, NULL);
    static const struct {
        const char *id, *reason;
    } want[] = {
        {"segv", "reason=\"killed by SIGSEGV"}, {"abort", "reason=\"killed by SIGABRT"},
        {"exit", "reason=\"exit status 3\""},   {"error", "reason=\"error: flaky: scheduled failure\""},
        {"normal", "reason=normal"},
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        char child[32];
        snprintf(child, sizeof child, "child=%s ", want[i].id);
        ninesd_pump(n, 0);
        for (int t = 0; t < 100 && ninesd_count(n, "event=child_terminated", child, NULL) == 0; t++)
            ninesd_pump(n, 50);
        assert_int_equal(ninesd_count(n, "event=child_terminated", child, want[i].reason, NULL), 1);
    }
    /* A transient child ending normally is not restarted and, unlike a
     * temporary one, keeps its place in the tree (OTP). */
    assert_int_equal(ninesd_count(n, "event=child_terminated", "child=normal ", "action=none", NULL), 1);
    assert_int_equal(ninesd_count(n, "event=child_terminated", "child=segv ", "action=remove", NULL), 1);
    assert_int_equal(ninesd_count(n, "event=child_started", "child=normal ", NULL), 1);
}

int main(void) {
    signal(SIGPIPE, SIG_IGN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(echo_serves_hundreds_of_clients_at_once, harness_setup, harness_teardown),
        cmocka_unit_test_setup_teardown(echo_reassembles_lines_split_across_writes, harness_setup, harness_teardown),
        cmocka_unit_test_setup_teardown(echo_answers_a_half_closed_client, harness_setup, harness_teardown),
        cmocka_unit_test_setup_teardown(echo_refuses_a_port_in_use_with_a_clear_reason, harness_setup, harness_teardown),
        cmocka_unit_test_setup_teardown(flaky_failure_modes_are_reported_as_they_happened, harness_setup, harness_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
