/*
 * Integration: what ninesd leaves in its runtime folder. The socket its
 * module workers' output reaches (supervisord/output_sock.h) is bound in
 * a private folder under $RUNTIME_DIRECTORY and unlinked at once, so a
 * ninesd killed with SIGKILL leaves nothing there (before, one
 * `ninesd-output-XXXXXX` folder per killed ninesd piled up in /tmp); the
 * output of a worker started later still arrives, and a clean stop
 * leaves nothing either. Nobody but ninesd's user and root reaches the
 * socket then: through /proc/PID/fd, the one way left, another user's
 * connect fails.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"

#define WAIT_MS 5000

/* The names in `dir` (not . and ..), space-separated, into buf; their count. */
static int list_dir(const char *dir, char *buf, size_t size) {
    DIR *d = opendir(dir);
    assert_non_null(d);
    int count = 0;
    size_t len = 0;
    buf[0] = '\0';
    for (struct dirent *e; (e = readdir(d));) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        count++;
        int w = snprintf(buf + len, size - len, "%s ", e->d_name);
        if (w > 0 && (size_t)w < size - len)
            len += (size_t)w;
    }
    closedir(d);
    return count;
}

/* A ninesd whose $RUNTIME_DIRECTORY is a fresh folder `run` of the test's
 * (its control socket stays where the harness puts it). */
static void start_with_runtime_dir(struct ninesd *n, char *run, size_t size) {
    const char *tree = harness_write_tree(n,
        "supervisor:\n  intensity: 10\n  period: 10s\n  children:\n"
        "    - id: talker\n      module: @BUILD@/examples/counter.so\n      args: {start: 7}\n");
    snprintf(run, size, "%s/run", n->dir);
    assert_int_equal(mkdir(run, 0700), 0);
    setenv("RUNTIME_DIRECTORY", run, 1);
    ninesd_start(n, tree, NULL);
    unsetenv("RUNTIME_DIRECTORY");
}

/* The worker's output reaches the log: the socket works, for the first
 * worker and for one spawned after ninesd's start was done. (A worker's
 * output may be logged before its child_started.) */
static void output_arrives(struct ninesd *n) {
    for (int round = 0; round < 2; round++) {
        size_t mark = n->cursor;
        pid_t talker = ninesd_wait_started(n, "talker", WAIT_MS);
        assert_true(talker > 0);
        n->cursor = mark;
        assert_non_null(ninesd_wait(n, WAIT_MS, "event=output", "child=talker ", "counter: starting at 7", NULL));
        if (round == 0)
            kill(talker, SIGKILL);
    }
}

static void a_killed_ninesd_leaves_nothing(void **state) {
    struct ninesd *n = *state;
    char run[300], names[1024];
    start_with_runtime_dir(n, run, sizeof run);
    output_arrives(n);
    /* Nothing on disk even while it runs: nothing for a kill to leave. */
    assert_int_equal(list_dir(run, names, sizeof names), 0);
    pid_t all[64];
    int n_all = list_children(n->pid, all, 64);
    kill(n->pid, SIGKILL);
    assert_true(ninesd_wait_exit(n, WAIT_MS));
    for (int i = 0; i < n_all; i++)
        assert_true(wait_process_gone(all[i], 3000));
    int left = list_dir(run, names, sizeof names);
    if (left)
        fail_msg("a SIGKILLed ninesd left %d entries in its runtime folder: %s", left, names);
}

static void a_stopped_ninesd_leaves_nothing(void **state) {
    struct ninesd *n = *state;
    char run[300], names[1024];
    start_with_runtime_dir(n, run, sizeof run);
    output_arrives(n);
    ninesd_stop(n);
    assert_true(n->exited);
    int left = list_dir(run, names, sizeof names);
    if (left)
        fail_msg("a stopped ninesd left %d entries in its runtime folder: %s", left, names);
}

/* How many of `pid`'s descriptors a datagram socket can connect to through
 * /proc/PID/fd/N: a socket bound to a file that is open there (not a
 * socket's own descriptor, whose inode no bound name has). */
static int reachable_through_proc(pid_t pid) {
    int count = 0;
    for (int fd = 0; fd < 128; fd++) {
        struct sockaddr_un sa = {.sun_family = AF_UNIX};
        snprintf(sa.sun_path, sizeof sa.sun_path, "/proc/%d/fd/%d", (int)pid, fd);
        int s = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (s >= 0 && connect(s, (struct sockaddr *)&sa, sizeof sa) == 0)
            count++;
        if (s >= 0)
            close(s);
    }
    return count;
}

static void another_user_cannot_reach_the_output_socket(void **state) {
    struct ninesd *n = *state;
    char run[300];
    start_with_runtime_dir(n, run, sizeof run);
    output_arrives(n);
    if (getuid() != 0) {
        print_message("not root: no other user to try as\n");
        skip();
    }
    /* ninesd's user (root here) reaches it: the test can see the way. */
    assert_true(reachable_through_proc(n->pid) >= 1);
    pid_t kid = fork();
    assert_true(kid >= 0);
    if (kid == 0) {
        if (setgid(65534) < 0 || setuid(65534) < 0)
            _exit(100);
        _exit(reachable_through_proc(n->pid));
    }
    int status;
    assert_int_equal(waitpid(kid, &status, 0), kid);
    assert_true(WIFEXITED(status));
    if (WEXITSTATUS(status) != 0)
        fail_msg("uid 65534 reached %d of ninesd's sockets through /proc (100: could not become it)",
                 WEXITSTATUS(status));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(a_killed_ninesd_leaves_nothing, harness_setup, harness_teardown),
        cmocka_unit_test_setup_teardown(a_stopped_ninesd_leaves_nothing, harness_setup, harness_teardown),
        cmocka_unit_test_setup_teardown(another_user_cannot_reach_the_output_socket, harness_setup, harness_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
