/*
 * Integration: the real ninesd's life — boot failures, escalation to the
 * root and the exit status, shutdown order and grace, no orphans, no
 * zombies, captured output, systemd notifications, --check.
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
#include <sys/wait.h>
#include <unistd.h>

#include <systemd/sd-daemon.h>

#include "harness.h"
#include "harness_run.h"

#define WAIT_MS 5000

static void crash_loop_escalates_to_the_root_and_exits_1(void **state) {
    struct ninesd *n = *state;
    const char *tree = harness_write_tree(n,
        "supervisor:\n  intensity: 1\n  period: 30s\n  children:\n"
        "    - id: steady\n      module: @BUILD@/examples/counter.so\n"
        "    - id: web\n      supervisor:\n        intensity: 2\n        period: 30s\n        children:\n"
        "          - id: crasher\n            module: @BUILD@/examples/flaky.so\n"
        "            args: {crash_after_ms: 20, how: segv}\n");
    ninesd_start(n, tree, NULL);
    pid_t steady = ninesd_wait_started(n, "steady", WAIT_MS);
    assert_true(steady > 0);
    assert_true(ninesd_wait_exit(n, 20000));
    assert_true(WIFEXITED(n->status));
    assert_int_equal(WEXITSTATUS(n->status), 1);
    /* web gave up twice (the root restarted it once), then the root gave up. */
    assert_int_equal(ninesd_count(n, "event=shutdown ", "supervisor=web ", NULL), 2);
    assert_int_equal(ninesd_count(n, "event=shutdown ", "supervisor=/ ", NULL), 1);
    assert_int_equal(ninesd_count(n, "event=child_terminated", "child=web ", "action=restart", NULL), 1);
    /* crasher: 3 starts per round of web (intensity 2), 2 rounds. */
    assert_int_equal(ninesd_count(n, "event=child_started", "child=web/crasher ", NULL), 6);
    assert_int_equal(ninesd_count(n, "event=child_stopped", "child=steady ", NULL), 1);
    assert_true(ninesd_count(n, "event=tree_stopped", "reached_max_restart_intensity", NULL) == 1);
    assert_false(process_alive(steady));
}

static void boot_failure_stops_started_children_and_exits_1(void **state) {
    struct ninesd *n = *state;
    const char *tree = harness_write_tree(n,
        "supervisor:\n  children:\n"
        "    - id: first\n      module: @BUILD@/examples/counter.so\n"
        "    - id: refuses\n      module: @BUILD@/examples/flaky.so\n      args: {init_fails: true}\n"
        "    - id: never\n      module: @BUILD@/examples/counter.so\n");
    ninesd_start(n, tree, NULL);
    pid_t first = ninesd_wait_started(n, "first", WAIT_MS);
    assert_true(first > 0);
    const char *line = ninesd_wait_event(n, "start_error", "refuses", WAIT_MS);
    assert_non_null(line);
    assert_non_null(strstr(line, "flaky: init refused as configured"));
    assert_non_null(ninesd_wait_event(n, "child_stopped", "first", WAIT_MS));
    assert_true(ninesd_wait_exit(n, WAIT_MS));
    assert_int_equal(WEXITSTATUS(n->status), 1);
    assert_int_equal(ninesd_count(n, "child=never ", NULL), 0);
    assert_int_equal(ninesd_count(n, "event=tree_started", NULL), 0);
}

/* Every module is load-checked before anything starts: a refused one is an
 * error of the tree file, at the child's position, and nothing runs. */
static void refused_module_is_a_tree_error_and_nothing_starts(void **state) {
    struct ninesd *n = *state;
    const char *tree = harness_write_tree(n,
        "supervisor:\n  children:\n"
        "    - id: fine\n      module: @BUILD@/examples/counter.so\n"
        "    - id: nested\n      supervisor:\n        children:\n"
        "          - id: old\n            module: @BUILD@/tests/apps/bad_abi.so\n");
    ninesd_start(n, tree, NULL);
    assert_true(ninesd_wait_exit(n, WAIT_MS));
    assert_int_equal(WEXITSTATUS(n->status), 2);
    assert_int_equal(ninesd_count(n, "tree.yaml:8:13: child 'old': module refused: ",
                                  "bad_abi.so: ABI version 7, this host supports 1", NULL), 1);
    assert_int_equal(ninesd_count(n, "event=child_started", NULL), 0);
}

static void a_module_that_crashes_while_loading_is_refused(void **state) {
    struct ninesd *n = *state;
    const char *tree = harness_write_tree(n,
        "supervisor:\n  children:\n    - id: boom\n      module: @BUILD@/tests/apps/ctor_crash.so\n");
    ninesd_start(n, tree, NULL);
    assert_true(ninesd_wait_exit(n, WAIT_MS));
    assert_int_equal(WEXITSTATUS(n->status), 2);
    assert_int_equal(ninesd_count(n, "tree.yaml:3:7: child 'boom': module refused: crashed while loading (killed by SIGSEGV)", NULL), 1);
}

static void copy_file(const char *from, const char *to) {
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "cp '%s' '%s.tmp' && mv '%s.tmp' '%s'", from, to, to, to);
    assert_int_equal(system(cmd), 0);
}

/* A .so replaced on disk by a bad one after boot: the restart is refused
 * with the host's reason, as a start error of that child. */
static void a_module_refused_at_restart_is_a_start_error(void **state) {
    struct ninesd *n = *state;
    harness_write_tree(n, "unused: true\n");
    char so[512], yaml[1024];
    snprintf(so, sizeof so, "%s/app.so", n->dir);
    copy_file(BUILD_PATH("examples/counter.so"), so);
    snprintf(yaml, sizeof yaml,
             "supervisor:\n  intensity: 1\n  children:\n    - id: app\n      module: %s\n", so);
    const char *tree = harness_write_tree(n, yaml);
    ninesd_start(n, tree, NULL);
    pid_t app = ninesd_wait_started(n, "app", WAIT_MS);
    assert_true(app > 0);
    copy_file(BUILD_PATH("tests/apps/bad_abi.so"), so);
    kill(app, SIGKILL);
    assert_true(ninesd_wait_exit(n, WAIT_MS));
    assert_int_equal(WEXITSTATUS(n->status), 1);
    assert_int_equal(ninesd_count(n, "event=child_terminated", "child=app ", "reason=\"killed by SIGKILL\"", NULL), 1);
    assert_int_equal(ninesd_count(n, "event=start_error", "child=app ", "module refused: ",
                                  "app.so: ABI version 7, this host supports 1", NULL), 1);
    assert_int_equal(ninesd_count(n, "event=shutdown", "reached_max_restart_intensity", NULL), 1);
}

static void sigterm_stops_in_reverse_order_and_exits_0(void **state) {
    struct ninesd *n = *state;
    const char *tree = harness_write_tree(n,
        "supervisor:\n  children:\n"
        "    - id: a\n      module: @BUILD@/examples/counter.so\n"
        "    - id: b\n      exec: [/bin/sleep, '1000']\n"
        "    - id: c\n      module: @BUILD@/examples/counter.so\n");
    ninesd_start(n, tree, NULL);
    pid_t a = ninesd_wait_started(n, "a", WAIT_MS), b = ninesd_wait_started(n, "b", WAIT_MS),
          c = ninesd_wait_started(n, "c", WAIT_MS);
    assert_true(a > 0 && b > 0 && c > 0);
    assert_non_null(ninesd_wait(n, WAIT_MS, "event=tree_started", NULL));
    kill(n->pid, SIGTERM);
    assert_non_null(ninesd_wait_event(n, "child_stopped", "c", WAIT_MS));
    assert_non_null(ninesd_wait_event(n, "child_stopped", "b", WAIT_MS));
    assert_non_null(ninesd_wait_event(n, "child_stopped", "a", WAIT_MS));
    assert_true(ninesd_wait_exit(n, WAIT_MS));
    assert_true(WIFEXITED(n->status));
    assert_int_equal(WEXITSTATUS(n->status), 0);
    assert_false(process_alive(a) || process_alive(b) || process_alive(c));
    assert_int_equal(ninesd_count(n, "event=shutdown_error", NULL), 0);
}

static void stop_ignored_is_killed_after_grace(void **state) {
    struct ninesd *n = *state;
    const char *tree = harness_write_tree(n,
        "supervisor:\n  children:\n"
        "    - id: stubborn\n      module: @BUILD@/examples/flaky.so\n"
        "      args: {ignore_shutdown: true}\n      shutdown: 300ms\n"
        "    - id: quick\n      module: @BUILD@/examples/counter.so\n      shutdown: brutal_kill\n");
    ninesd_start(n, tree, NULL);
    pid_t stubborn = ninesd_wait_started(n, "stubborn", WAIT_MS);
    assert_true(ninesd_wait_started(n, "quick", WAIT_MS) > 0);
    kill(n->pid, SIGINT);
    /* brutal_kill: killed at once, and that is a clean stop for it. */
    assert_non_null(ninesd_wait_event(n, "child_stopped", "quick", WAIT_MS));
    const char *line = ninesd_wait_event(n, "shutdown_error", "stubborn", WAIT_MS);
    assert_non_null(line);
    assert_non_null(strstr(line, "killed by SIGKILL"));
    assert_true(ninesd_wait_exit(n, WAIT_MS));
    assert_int_equal(WEXITSTATUS(n->status), 0);
    assert_false(process_alive(stubborn));
}

static void no_orphans_when_ninesd_is_killed(void **state) {
    struct ninesd *n = *state;
    const char *tree = harness_write_tree(n,
        "supervisor:\n  children:\n"
        "    - id: a\n      module: @BUILD@/examples/counter.so\n"
        "    - id: b\n      exec: [/bin/sleep, '1000']\n"
        "    - id: c\n      module: @BUILD@/examples/echo.so\n      args: {port: 0}\n");
    ninesd_start(n, tree, NULL);
    pid_t pids[3] = {ninesd_wait_started(n, "a", WAIT_MS), ninesd_wait_started(n, "b", WAIT_MS),
                     ninesd_wait_started(n, "c", WAIT_MS)};
    for (int i = 0; i < 3; i++)
        assert_true(pids[i] > 0);
    /* Every process ninesd has: the three workers, the spare hosts (a
     * plain one and one preloading a module: supervisord/spare.h), the
     * launcher (supervisord/launcher.h), the exec-ready process made for
     * b's next start (exec_ready.h) and the warden (warden.h), which ends
     * once ninesd is gone. */
    assert_true(find_spare_host(n->pid, WAIT_MS) > 0);
    assert_true(find_launcher(n->pid, WAIT_MS) > 0);
    assert_true(find_exec_ready(n->pid, WAIT_MS) > 0);
    pid_t all[16];
    int n_all, wardens = 0;
    for (int tries = 0; (n_all = list_children(n->pid, all, 16)) < 8 && tries < 500; tries++)
        usleep(10000);
    assert_int_equal(n_all, 8);
    for (int i = 0; i < n_all; i++)
        wardens += is_warden(all[i]);
    assert_int_equal(wardens, 1);
    kill(n->pid, SIGKILL);
    assert_true(ninesd_wait_exit(n, WAIT_MS));
    for (int i = 0; i < n_all; i++)
        assert_true(wait_process_gone(all[i], 3000));
}

static void crashes_leave_no_zombies(void **state) {
    struct ninesd *n = *state;
    const char *tree = harness_write_tree(n,
        "supervisor:\n  intensity: 100\n  period: 60s\n  children:\n"
        "    - id: victim\n      module: @BUILD@/examples/counter.so\n"
        "    - id: sleeper\n      exec: [/bin/sleep, '1000']\n");
    ninesd_start(n, tree, NULL);
    pid_t victim = ninesd_wait_started(n, "victim", WAIT_MS);
    pid_t sleeper = ninesd_wait_started(n, "sleeper", WAIT_MS);
    for (int i = 0; i < 10; i++) {
        kill(victim, i % 2 ? SIGKILL : SIGSEGV);
        victim = ninesd_wait_started(n, "victim", WAIT_MS);
        assert_true(victim > 0);
        kill(sleeper, SIGTERM);
        sleeper = ninesd_wait_started(n, "sleeper", WAIT_MS);
        assert_true(sleeper > 0);
    }
    ninesd_pump(n, 100);
    assert_int_equal(count_zombie_children(n->pid), 0);
    assert_int_equal(count_children(n->pid), 2);
}

static void worker_output_is_captured_per_child(void **state) {
    struct ninesd *n = *state;
    const char *tree = harness_write_tree(n,
        "supervisor:\n  children:\n"
        "    - id: talker\n      exec: [/bin/sh, -c, 'echo hello out; echo \"<3>bad news\" >&2; exec sleep 1000']\n");
    ninesd_start(n, tree, NULL);
    const char *out = ninesd_wait(n, WAIT_MS, "event=output", "child=talker ", "stream=stdout", NULL);
    assert_non_null(out);
    assert_non_null(strstr(out, "msg=\"hello out\""));
    assert_non_null(strstr(out, "level=info"));
    n->cursor = 0; /* two pipes: the stderr line may have been read first */
    const char *err = ninesd_wait(n, WAIT_MS, "event=output", "child=talker ", "stream=stderr", NULL);
    assert_non_null(err);
    assert_non_null(strstr(err, "msg=\"bad news\""));
    assert_non_null(strstr(err, "level=error"));
}

/* A NOTIFY_SOCKET of our own sees READY=1, then STOPPING=1. */
static int notify_socket(const char *path) {
    int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    snprintf(sa.sun_path, sizeof sa.sun_path, "%.100s", path);
    assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    return fd;
}

static bool receive_containing(int fd, const char *what, int timeout_ms) {
    char buf[1024];
    struct pollfd p = {.fd = fd, .events = POLLIN};
    while (poll(&p, 1, timeout_ms) > 0) {
        ssize_t r = recv(fd, buf, sizeof buf - 1, 0);
        if (r <= 0)
            return false;
        buf[r] = '\0';
        if (strstr(buf, what))
            return true;
    }
    return false;
}

static void tells_systemd_ready_and_stopping(void **state) {
    struct ninesd *n = *state;
    const char *tree = harness_write_tree(n,
        "supervisor:\n  children:\n    - id: a\n      module: @BUILD@/examples/counter.so\n");
    char path[300];
    snprintf(path, sizeof path, "%s/notify", n->dir);
    int fd = notify_socket(path);
    setenv("NOTIFY_SOCKET", path, 1);
    ninesd_start(n, tree, NULL);
    unsetenv("NOTIFY_SOCKET");
    assert_true(receive_containing(fd, "READY=1", WAIT_MS));
    /* READY=1 comes only after every child has started: ninesd logged the
     * start before it sent READY=1, so the line is already in the pipe. */
    ninesd_pump(n, 100);
    assert_int_equal(ninesd_count(n, "event=child_started", "child=a ", NULL), 1);
    kill(n->pid, SIGTERM);
    assert_true(receive_containing(fd, "STOPPING=1", WAIT_MS));
    assert_true(ninesd_wait_exit(n, WAIT_MS));
    close(fd);
}

/* This test program doubles as an exec child that notifies readiness late
 * (libuv's trick): `itest_lifecycle notify-child MS`. */
static _Noreturn void notify_child(int delay_ms) {
    usleep((useconds_t)delay_ms * 1000);
    printf("notifying now\n");
    fflush(stdout);
    sd_notify(0, "STATUS=warming up\nREADY=1");
    for (;;)
        pause();
}

static void exec_child_with_notify_is_started_at_ready(void **state) {
    struct ninesd *n = *state;
    const char *tree = harness_write_tree(n,
        "supervisor:\n  children:\n"
        "    - id: slow\n      exec: [@BUILD@/tests/itest_lifecycle, notify-child, '300']\n"
        "      ready: notify\n"
        "    - id: next\n      module: @BUILD@/examples/counter.so\n");
    ninesd_start(n, tree, NULL);
    /* Started only after it said so: its output comes first, then the start. */
    assert_non_null(ninesd_wait(n, WAIT_MS, "event=output", "child=slow ", "notifying now", NULL));
    assert_non_null(ninesd_wait_event(n, "child_started", "slow", WAIT_MS));
    assert_non_null(ninesd_wait_event(n, "child_started", "next", WAIT_MS));
}

static void check_validates_without_starting(void **state) {
    struct ninesd *n = *state;
    char out[2048];
    const char *good = harness_write_tree(n,
        "supervisor:\n  children:\n    - id: a\n      module: @BUILD@/examples/counter.so\n");
    assert_int_equal(harness_check(good, out, sizeof out), 0);
    const char *bad = harness_write_tree(n,
        "supervisor:\n  strategy: one_for_two\n  children: []\n");
    assert_int_equal(harness_check(bad, out, sizeof out), 2);
    assert_non_null(strstr(out, "tree.yaml:2:13:"));
    assert_non_null(strstr(out, "one_for_two"));
}

int main(int argc, char **argv) {
    if (argc == 3 && strcmp(argv[1], "notify-child") == 0)
        notify_child(atoi(argv[2]));
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(exec_child_with_notify_is_started_at_ready, harness_setup, harness_teardown),
        cmocka_unit_test_setup_teardown(crash_loop_escalates_to_the_root_and_exits_1, harness_setup, harness_teardown),
        cmocka_unit_test_setup_teardown(boot_failure_stops_started_children_and_exits_1, harness_setup, harness_teardown),
        cmocka_unit_test_setup_teardown(refused_module_is_a_tree_error_and_nothing_starts, harness_setup, harness_teardown),
        cmocka_unit_test_setup_teardown(a_module_that_crashes_while_loading_is_refused, harness_setup, harness_teardown),
        cmocka_unit_test_setup_teardown(a_module_refused_at_restart_is_a_start_error, harness_setup, harness_teardown),
        cmocka_unit_test_setup_teardown(sigterm_stops_in_reverse_order_and_exits_0, harness_setup, harness_teardown),
        cmocka_unit_test_setup_teardown(stop_ignored_is_killed_after_grace, harness_setup, harness_teardown),
        cmocka_unit_test_setup_teardown(no_orphans_when_ninesd_is_killed, harness_setup, harness_teardown),
        cmocka_unit_test_setup_teardown(crashes_leave_no_zombies, harness_setup, harness_teardown),
        cmocka_unit_test_setup_teardown(worker_output_is_captured_per_child, harness_setup, harness_teardown),
        cmocka_unit_test_setup_teardown(tells_systemd_ready_and_stopping, harness_setup, harness_teardown),
        cmocka_unit_test_setup_teardown(check_validates_without_starting, harness_setup, harness_teardown),
    };
    return cmocka_run_group_tests_name("lifecycle", tests, NULL, NULL);
}
