/*
 * Integration: what a child gets from ninesd's spawn, and nothing more
 * (issue 11 follow-ups).
 *
 *   - Spawned by ninesd itself (--no-launcher), a child gets stdin,
 *     stdout, stderr, its channel and its sockets: not a descriptor
 *     ninesd inherited without close-on-exec from whoever started it.
 *   - An exec child with `ready: notify` that never sends READY=1 is
 *     killed at its start_timeout, as a module worker whose init hangs:
 *     a failed start naming the limit, and its supervisor goes on.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <systemd/sd-daemon.h>

#include "harness.h"

#define WAIT_MS 10000
#define STRAY_FD 47

/* Started through `nines-worker --exec` (no launcher): the program is
 * the child's only once that host has exec'd it; until then it is the
 * host, which may hold a descriptor of its own (ASan's, say). */
static bool wait_running_program(pid_t pid, const char *program, int timeout_ms) {
    char path[64], target[256];
    snprintf(path, sizeof path, "/proc/%d/exe", (int)pid);
    for (int waited = 0; waited < timeout_ms; waited++) {
        ssize_t len = readlink(path, target, sizeof target - 1);
        if (len > 0 && (target[len] = '\0', strcmp(target, program) == 0))
            return true;
        usleep(1000);
    }
    return false;
}

static bool has_fd(pid_t pid, int fd) {
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/fd/%d", (int)pid, fd);
    return access(path, F_OK) == 0;
}

/* ninesd started with STRAY_FD open, not close-on-exec. */
static void start_with_stray_fd(struct ninesd *n, const char *tree, const char *flag) {
    int fd = open("/dev/null", O_RDONLY);
    assert_true(fd >= 0);
    assert_int_equal(dup2(fd, STRAY_FD), STRAY_FD);
    close(fd);
    ninesd_start(n, tree, flag, NULL);
    close(STRAY_FD);
}

static void a_child_gets_no_descriptor_ninesd_inherited(void **state) {
    struct ninesd *n = *state;
    const char *tree = harness_write_tree(n,
        "supervisor:\n  children:\n"
        "    - {id: prog, exec: [/bin/sleep, '100']}\n"
        "    - {id: counter, module: @BUILD@/examples/counter.so}\n");
    start_with_stray_fd(n, tree, "--no-launcher");
    pid_t prog = ninesd_wait_started(n, "prog", WAIT_MS), counter = ninesd_wait_started(n, "counter", WAIT_MS);
    assert_true(prog > 1 && counter > 1);
    char sleep_program[PATH_MAX];
    assert_non_null(realpath("/bin/sleep", sleep_program));
    assert_true(wait_running_program(prog, sleep_program, WAIT_MS));
    assert_true(has_fd(n->pid, STRAY_FD)); /* ninesd has it: the children must not */
    if (has_fd(prog, STRAY_FD) || has_fd(counter, STRAY_FD))
        fail_msg("descriptor %d leaked into prog (%d) or counter (%d)", STRAY_FD, has_fd(prog, STRAY_FD),
                 has_fd(counter, STRAY_FD));
    assert_true(has_fd(prog, 2) && !has_fd(prog, 3)); /* an exec child: 0, 1, 2 only */
    assert_true(has_fd(counter, 3));                   /* a worker: its channel */
}

/* READY=1 never comes: killed after 300 ms, a failed start of the tree. */
static void an_exec_child_that_never_says_ready_is_killed_at_its_start_timeout(void **state) {
    struct ninesd *n = *state;
    const char *tree = harness_write_tree(n,
        "supervisor:\n  children:\n"
        "    - id: quiet\n      exec: [/bin/sleep, '100']\n      ready: notify\n      start_timeout: 300ms\n");
    ninesd_start(n, tree, NULL);
    const char *line = ninesd_wait(n, WAIT_MS, "event=start_timeout", "child=quiet ", NULL);
    assert_non_null(line);
    assert_non_null(strstr(line, "start_timeout_ms=300"));
    assert_non_null(strstr(line, "it did not send READY=1 within the child's start_timeout"));
    assert_non_null(ninesd_wait(n, WAIT_MS, "it did not send READY=1 within 300 ms (a limit: raise the child's "
                                            "start_timeout)", NULL));
    assert_true(ninesd_wait_exit(n, WAIT_MS));
    assert_true(WIFEXITED(n->status) && WEXITSTATUS(n->status) != 0);
}

/* One that says READY=1 in time is started, and not killed later. */
static void an_exec_child_that_says_ready_in_time_stays(void **state) {
    struct ninesd *n = *state;
    const char *tree = harness_write_tree(n,
        "supervisor:\n  children:\n"
        "    - id: prompt\n      exec: [@BUILD@/tests/itest_spawn_leaks, notify-child]\n"
        "      ready: notify\n      start_timeout: 2s\n");
    ninesd_start(n, tree, NULL);
    pid_t pid = ninesd_wait_started(n, "prompt", WAIT_MS);
    assert_true(pid > 1);
    ninesd_pump(n, 2500);
    assert_int_equal(ninesd_count(n, "event=start_timeout", NULL), 0);
    assert_true(process_alive(pid));
}

int main(int argc, char **argv) {
    if (argc > 1 && strcmp(argv[1], "notify-child") == 0) { /* the child above */
        usleep(100 * 1000);
        sd_notify(0, "READY=1");
        pause();
        return 0;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(a_child_gets_no_descriptor_ninesd_inherited, harness_setup, harness_teardown),
        cmocka_unit_test_setup_teardown(an_exec_child_that_never_says_ready_is_killed_at_its_start_timeout,
                                        harness_setup, harness_teardown),
        cmocka_unit_test_setup_teardown(an_exec_child_that_says_ready_in_time_stays, harness_setup,
                                        harness_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
