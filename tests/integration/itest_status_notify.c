/*
 * Integration: STATUS= says what is wrong. ninesd runs with NOTIFY_SOCKET
 * pointing at a datagram socket of the test's, as systemd's would: READY=1
 * and "running N children" once the tree is up; a child that ended in
 * trouble is named ("degraded"), one that keeps crashing is
 * "crash-looping", and the line clears once the crash no longer counts in
 * its supervisor's period.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"

#define WAIT_MS 8000

static uint64_t now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* The test's NOTIFY_SOCKET, in ninesd's environment from now on. */
static int notify_socket(struct ninesd *n) {
    int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    assert_true(fd >= 0);
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    int len = snprintf(sa.sun_path, sizeof sa.sun_path, "%.90s/notify.sock", n->dir);
    assert_true(len > 0 && (size_t)len < sizeof sa.sun_path);
    assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    setenv("NOTIFY_SOCKET", sa.sun_path, 1);
    return fd;
}

/* The next STATUS= whose text starts with `prefix`: its text (static), or
 * NULL. ninesd's log is read meanwhile, so its pipe never fills. */
static const char *wait_status(struct ninesd *n, int fd, const char *prefix, int timeout_ms) {
    static char text[1024];
    uint64_t end = now_ms() + (uint64_t)timeout_ms;
    while (now_ms() < end) {
        struct pollfd p = {fd, POLLIN, 0};
        if (poll(&p, 1, 20) <= 0) {
            ninesd_pump(n, 1);
            continue;
        }
        char buf[1024];
        ssize_t len = recv(fd, buf, sizeof buf - 1, 0);
        if (len <= 0)
            continue;
        buf[len] = '\0';
        for (char *line = strtok(buf, "\n"); line; line = strtok(NULL, "\n")) {
            if (strncmp(line, "STATUS=", 7) == 0 && strncmp(line + 7, prefix, strlen(prefix)) == 0) {
                snprintf(text, sizeof text, "%s", line + 7);
                return text;
            }
        }
    }
    return NULL;
}

static void healthy_tree_is_running(void **state) {
    struct ninesd *n = *state;
    const char *tree = harness_write_tree(n,
        "supervisor:\n  children:\n"
        "    - id: a\n      exec: [/bin/sleep, '1000']\n"
        "    - id: b\n      module: @BUILD@/examples/counter.so\n");
    int fd = notify_socket(n);
    ninesd_start(n, tree, NULL);
    const char *s = wait_status(n, fd, "", WAIT_MS);
    assert_non_null(s);
    assert_string_equal(s, "running 2 children");
    unsetenv("NOTIFY_SOCKET");
    close(fd);
}

/* One crash: degraded, named with its reason; cleared after the period. */
static void one_crash_is_degraded_then_clears(void **state) {
    struct ninesd *n = *state;
    const char *tree = harness_write_tree(n,
        "supervisor:\n  intensity: 5\n  period: 1s\n  children:\n"
        "    - id: a\n      exec: [/bin/sleep, '1000']\n"
        "    - id: b\n      module: @BUILD@/examples/counter.so\n");
    int fd = notify_socket(n);
    ninesd_start(n, tree, NULL);
    pid_t a = ninesd_wait_started(n, "a", WAIT_MS);
    assert_true(a > 0);
    assert_non_null(wait_status(n, fd, "running 2 children", WAIT_MS));
    kill(a, SIGKILL);
    const char *s = wait_status(n, fd, "degraded", WAIT_MS);
    assert_non_null(s);
    assert_string_equal(s, "degraded: a degraded (killed by SIGKILL); 1 of 2 children in trouble");
    uint64_t t0 = now_ms();
    assert_non_null(wait_status(n, fd, "running 2 children", WAIT_MS));
    uint64_t took = now_ms() - t0;
    assert_true(took >= 800 && took <= 3000); /* the 1 s period, checked once a second */
    unsetenv("NOTIFY_SOCKET");
    close(fd);
}

/* A program that keeps exiting 3: crash-looping, named first. */
static void a_crash_loop_says_so(void **state) {
    struct ninesd *n = *state;
    const char *tree = harness_write_tree(n,
        "supervisor:\n  intensity: 1000\n  period: 10s\n  children:\n"
        "    - id: fine\n      exec: [/bin/sleep, '1000']\n"
        "    - id: web\n      supervisor:\n        intensity: 1000\n        period: 10s\n        children:\n"
        "          - id: loop\n            exec: [/bin/sh, -c, 'sleep 0.2; exit 3']\n");
    int fd = notify_socket(n);
    ninesd_start(n, tree, NULL);
    const char *s = wait_status(n, fd, "crash-looping", WAIT_MS);
    assert_non_null(s);
    assert_string_equal(s, "crash-looping: web/loop crash-looping (exit status 3); 1 of 3 children in trouble");
    unsetenv("NOTIFY_SOCKET");
    close(fd);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(healthy_tree_is_running, harness_setup, harness_teardown),
        cmocka_unit_test_setup_teardown(one_crash_is_degraded_then_clears, harness_setup, harness_teardown),
        cmocka_unit_test_setup_teardown(a_crash_loop_says_so, harness_setup, harness_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
