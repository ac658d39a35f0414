/*
 * Integration: a child is its whole process tree. A program that forks and
 * one that double-forks an orphan are stopped, restarted and left behind by
 * a ninesd that stops: no process of theirs survives, and no orphan stays
 * a zombie (ninesd is a subreaper and reaps them). A ninesd that is
 * SIGKILLed takes them with it too: the leader by its parent-death
 * signal, the rest of its group by the warden (warden.h). One rule for SIGTERM:
 * an exec child killed by SIGTERM from outside has shut down, as a worker
 * host has.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"

#define WAIT_MS 5000

/* The family: sh forks `sleep` (kid), a subshell forks another and exits
 * (grandkid: an orphan, adopted by ninesd), then sh becomes sleep (the
 * leader). Each writes its pid under $PT_DIR. */
static const char family_tree[] =
    "supervisor:\n  intensity: 5\n  period: 30s\n  children:\n"
    "    - id: fam\n      exec: [/bin/sh, -c, 'sleep 1001 & echo $! > $PT_DIR/kid; "
    "(sleep 1002 & echo $! > $PT_DIR/grandkid); exec sleep 1000']\n";

/* The pid in DIR/name once it is written (the file is removed after). */
static pid_t read_pid(struct ninesd *n, const char *name) {
    char path[400];
    snprintf(path, sizeof path, "%s/%s", n->dir, name);
    for (int i = 0; i < WAIT_MS / 10; i++) {
        FILE *f = fopen(path, "r");
        long v = 0;
        if (f) {
            int ok = fscanf(f, "%ld", &v);
            fclose(f);
            if (ok == 1 && v > 0) {
                unlink(path);
                return (pid_t)v;
            }
        }
        struct timespec ts = {0, 10 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    return -1;
}

struct family {
    pid_t leader, kid, grandkid;
};

static void start_family(struct ninesd *n, struct family *f) {
    const char *tree = harness_write_tree(n, family_tree);
    setenv("PT_DIR", n->dir, 1);
    ninesd_start(n, tree, NULL);
    f->leader = ninesd_wait_started(n, "fam", WAIT_MS);
    f->kid = read_pid(n, "kid");
    f->grandkid = read_pid(n, "grandkid");
    assert_true(f->leader > 0 && f->kid > 0 && f->grandkid > 0);
    assert_true(process_alive(f->kid) && process_alive(f->grandkid));
}

static void assert_family_gone(const struct family *f) {
    assert_true(wait_process_gone(f->leader, WAIT_MS));
    assert_true(wait_process_gone(f->kid, WAIT_MS));
    assert_true(wait_process_gone(f->grandkid, WAIT_MS));
}

/* Leftovers of a failed run must not outlive the test. */
static void kill_family(const struct family *f) {
    pid_t all[] = {f->leader, f->kid, f->grandkid};
    for (size_t i = 0; i < 3; i++)
        if (all[i] > 0 && process_alive(all[i]))
            kill(all[i], SIGKILL);
}

static void a_restart_leaves_nothing_of_the_old_tree(void **state) {
    struct ninesd *n = *state;
    struct family f;
    start_family(n, &f);
    kill(f.leader, SIGKILL);
    pid_t again = ninesd_wait_started(n, "fam", WAIT_MS);
    assert_true(again > 0 && again != f.leader);
    struct family g = {again, read_pid(n, "kid"), read_pid(n, "grandkid")};
    assert_family_gone(&f);
    kill_family(&f);
    /* The adopted grandkid was reaped, not left a zombie of ninesd's. */
    for (int i = 0; i < 100 && count_zombie_children(n->pid) > 0; i++)
        ninesd_pump(n, 10);
    assert_int_equal(count_zombie_children(n->pid), 0);
    ninesd_stop(n);
    assert_family_gone(&g);
    kill_family(&g);
}

static void a_stop_leaves_nothing(void **state) {
    struct ninesd *n = *state;
    struct family f;
    start_family(n, &f);
    kill(n->pid, SIGTERM);
    assert_true(ninesd_wait_exit(n, WAIT_MS));
    assert_true(WIFEXITED(n->status));
    assert_int_equal(WEXITSTATUS(n->status), 0);
    assert_family_gone(&f);
    kill_family(&f);
}

/* ninesd SIGKILLed: nothing can stop the tree in order, yet nothing of
 * it stays — the leader dies of its parent-death signal, the kid and the
 * adopted grandkid (in the leader's group) are killed by the warden, and
 * the warden ends. */
static void a_sigkilled_ninesd_leaves_nothing(void **state) {
    struct ninesd *n = *state;
    struct family f;
    start_family(n, &f);
    pid_t kids[16], warden = -1;
    int k = list_children(n->pid, kids, 16);
    for (int i = 0; i < k; i++)
        if (is_warden(kids[i]))
            warden = kids[i];
    assert_true(warden > 0);
    kill(n->pid, SIGKILL);
    assert_true(ninesd_wait_exit(n, WAIT_MS));
    assert_family_gone(&f);
    assert_true(wait_process_gone(warden, WAIT_MS));
    kill_family(&f);
}

/* A program's leader dying of SIGTERM from outside is a shutdown: a
 * transient child is not restarted, as a module worker would not be. */
static void sigterm_from_outside_is_a_shutdown(void **state) {
    struct ninesd *n = *state;
    const char *tree = harness_write_tree(n,
        "supervisor:\n  children:\n"
        "    - id: prog\n      restart: transient\n      exec: [/bin/sleep, '1000']\n"
        "    - id: worker\n      restart: transient\n      module: @BUILD@/examples/counter.so\n");
    ninesd_start(n, tree, NULL);
    pid_t prog = ninesd_wait_started(n, "prog", WAIT_MS);
    pid_t worker = ninesd_wait_started(n, "worker", WAIT_MS);
    assert_true(prog > 0 && worker > 0);
    kill(prog, SIGTERM);
    kill(worker, SIGTERM);
    const char *line = ninesd_wait_event(n, "child_terminated", "prog", WAIT_MS);
    assert_non_null(line);
    assert_non_null(strstr(line, "reason=shutdown"));
    n->cursor = 0; /* the two ends come in either order */
    line = ninesd_wait_event(n, "child_terminated", "worker", WAIT_MS);
    assert_non_null(line);
    assert_non_null(strstr(line, "reason=shutdown"));
    ninesd_pump(n, 300);
    assert_int_equal(ninesd_count(n, "event=child_started", "child=prog ", NULL), 1);
    assert_int_equal(ninesd_count(n, "event=child_started", "child=worker ", NULL), 1);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(a_restart_leaves_nothing_of_the_old_tree, harness_setup, harness_teardown),
        cmocka_unit_test_setup_teardown(a_stop_leaves_nothing, harness_setup, harness_teardown),
        cmocka_unit_test_setup_teardown(a_sigkilled_ninesd_leaves_nothing, harness_setup, harness_teardown),
        cmocka_unit_test_setup_teardown(sigterm_from_outside_is_a_shutdown, harness_setup, harness_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
