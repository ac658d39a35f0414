/*
 * Integration: the warm worker host (supervisord/spare.h). A restart is
 * served by the spare with the child's module, path and args; the spare is
 * replaced; killing it disturbs nothing; --no-spare never has one; none is
 * left behind when ninesd stops.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"

#define WAIT_MS 5000

static const char *counter_tree(struct ninesd *n) {
    return harness_write_tree(n,
        "supervisor:\n  intensity: 10\n  period: 10s\n  children:\n"
        "    - id: a\n      module: @BUILD@/examples/counter.so\n      args: {start: 5}\n"
        "    - id: b\n      exec: [/bin/sleep, '1000']\n");
}

/* /proc/PID/cmdline with NULs turned into spaces. */
static void cmdline(pid_t pid, char *buf, size_t size) {
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/cmdline", (int)pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    assert_true(fd >= 0);
    ssize_t r = read(fd, buf, size - 1);
    close(fd);
    assert_true(r > 0);
    for (ssize_t i = 0; i < r; i++)
        if (buf[i] == '\0')
            buf[i] = ' ';
    buf[r] = '\0';
}

static void a_restart_is_served_by_the_spare(void **state) {
    struct ninesd *n = *state;
    ninesd_start(n, counter_tree(n), NULL);
    pid_t a = ninesd_wait_started(n, "a", WAIT_MS);
    assert_true(a > 0);
    pid_t spare = find_spare_host(n->pid, WAIT_MS);
    assert_true(spare > 0);
    kill(a, SIGSEGV);
    pid_t again = ninesd_wait_started(n, "a", WAIT_MS);
    assert_int_equal(again, spare);
    /* It runs the child's module with the child's args, and says so in ps. */
    ninesd_pump(n, 100); /* its output came before its start */
    assert_int_equal(ninesd_count(n, "event=output", "child=a ", "counter: starting at 5", NULL), 2);
    char cmd[1024];
    cmdline(again, cmd, sizeof cmd);
    assert_non_null(strstr(cmd, "nines-worker --module "));
    assert_non_null(strstr(cmd, "counter.so --child a"));
    /* ... and a new spare takes its place. */
    pid_t next = find_spare_host(n->pid, WAIT_MS);
    assert_true(next > 0 && next != spare);
}

static void killing_the_spare_disturbs_nothing(void **state) {
    struct ninesd *n = *state;
    ninesd_start(n, counter_tree(n), NULL);
    pid_t a = ninesd_wait_started(n, "a", WAIT_MS);
    pid_t b = ninesd_wait_started(n, "b", WAIT_MS);
    pid_t spare = find_spare_host(n->pid, WAIT_MS);
    assert_true(a > 0 && b > 0 && spare > 0);
    kill(spare, SIGKILL);
    assert_true(wait_process_gone(spare, WAIT_MS));
    ninesd_pump(n, 200);
    assert_int_equal(ninesd_count(n, "event=child_terminated", NULL), 0);
    assert_true(process_alive(a) && process_alive(b));
    assert_int_equal(count_zombie_children(n->pid), 0);
    /* Without a spare, the next restart spawns from scratch, then one is made. */
    kill(a, SIGKILL);
    pid_t again = ninesd_wait_started(n, "a", WAIT_MS);
    assert_true(again > 0);
    assert_true(find_spare_host(n->pid, WAIT_MS) > 0);
}

static void no_spare_means_none(void **state) {
    struct ninesd *n = *state;
    ninesd_start(n, counter_tree(n), "--no-spare", NULL);
    pid_t a = ninesd_wait_started(n, "a", WAIT_MS);
    assert_true(a > 0);
    kill(a, SIGKILL);
    assert_true(ninesd_wait_started(n, "a", WAIT_MS) > 0);
    assert_int_equal(find_spare_host(n->pid, 300), -1);
}

static void the_spare_goes_when_ninesd_stops(void **state) {
    struct ninesd *n = *state;
    ninesd_start(n, counter_tree(n), NULL);
    assert_true(ninesd_wait_started(n, "b", WAIT_MS) > 0);
    pid_t spare = find_spare_host(n->pid, WAIT_MS);
    assert_true(spare > 0);
    kill(n->pid, SIGTERM);
    assert_true(ninesd_wait_exit(n, WAIT_MS));
    assert_int_equal(WEXITSTATUS(n->status), 0);
    assert_true(wait_process_gone(spare, WAIT_MS));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(a_restart_is_served_by_the_spare, harness_setup, harness_teardown),
        cmocka_unit_test_setup_teardown(killing_the_spare_disturbs_nothing, harness_setup, harness_teardown),
        cmocka_unit_test_setup_teardown(no_spare_means_none, harness_setup, harness_teardown),
        cmocka_unit_test_setup_teardown(the_spare_goes_when_ninesd_stops, harness_setup, harness_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
