/*
 * Integration: ends whose SIGCHLD the kernel merged into another's
 * (supervisord/reaper.h). ninesd is stopped (SIGSTOP) while several of its
 * children are killed, so that their SIGCHLDs merge into one, then let go
 * on. A worker's end is found by its pid (its channel closed at its end:
 * expected), and so is an exec child's (looked at always), not by the
 * walk over every child that waitid(P_ALL) is; an end nothing made
 * expected (an orphan ninesd adopted) is still found, by that walk. Which
 * call found each end is read from the real ninesd's system calls (strace
 * attached to it).
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
#include <unistd.h>

#include "harness.h"
#include "harness_run.h"

#define WAIT_MS 10000
#define WORKERS 16

/* Stop ninesd, SIGKILL every pid, wait until each is a zombie (their
 * SIGCHLDs now merged into one pending), let ninesd go on. */
static void kill_while_stopped(struct ninesd *n, const pid_t *pids, int count) {
    assert_int_equal(kill(n->pid, SIGSTOP), 0);
    usleep(100000); /* stopped, also under strace */
    for (int i = 0; i < count; i++)
        assert_int_equal(kill(pids[i], SIGKILL), 0);
    for (int i = 0; i < count; i++)
        for (int t = 0; t < 500 && !process_zombie(pids[i]); t++)
            usleep(10000);
    for (int i = 0; i < count; i++)
        assert_true(process_zombie(pids[i]));
    assert_int_equal(kill(n->pid, SIGCONT), 0);
}

/* Which call first saw pid's end: 'p' a waitid by its pid, 'a' the walk
 * (waitid P_ALL), 0 none. */
static char first_seen_by(const char *trace, pid_t pid) {
    char field[32], line[4096];
    snprintf(field, sizeof field, "si_pid=%d,", (int)pid);
    FILE *f = fopen(trace, "r");
    char by = 0;
    while (f && !by && fgets(line, sizeof line, f))
        if (strstr(line, field) && strstr(line, "WNOWAIT"))
            by = strncmp(line, "waitid(P_PID", 12) == 0 ? 'p' : strncmp(line, "waitid(P_ALL", 12) == 0 ? 'a' : 0;
    if (f)
        fclose(f);
    return by;
}

static pid_t start_traced(struct ninesd *n, const char *yaml, char *trace, size_t size) {
    ninesd_start(n, harness_write_tree(n, yaml), NULL);
    assert_non_null(ninesd_wait(n, WAIT_MS, "event=tree_started", NULL));
    usleep(300000); /* the spares are made */
    snprintf(trace, size, "%s/strace.out", n->dir);
    pid_t tracer = harness_strace(n, "waitid", trace);
    assert_true(tracer > 0);
    return tracer;
}

static void stop_tracer(pid_t tracer) {
    kill(tracer, SIGTERM);
    waitpid(tracer, NULL, 0);
}

static void merged_worker_ends_are_found_by_their_pid(void **state) {
    struct ninesd *n = *state;
    if (access(STRACE_PATH, X_OK) != 0)
        skip();
    char yaml[4096], trace[400], id[16];
    size_t len = (size_t)snprintf(yaml, sizeof yaml, "supervisor:\n  intensity: 1000\n  period: 1s\n  children:\n");
    for (int i = 0; i < WORKERS; i++)
        len += (size_t)snprintf(yaml + len, sizeof yaml - len,
                                "    - {id: w%d, module: @BUILD@/tests/apps/trivial.so}\n", i);
    pid_t old[WORKERS];
    ninesd_start(n, harness_write_tree(n, yaml), NULL);
    for (int i = 0; i < WORKERS; i++) {
        snprintf(id, sizeof id, "w%d", i);
        assert_true((old[i] = ninesd_wait_started(n, id, WAIT_MS)) > 0);
    }
    assert_non_null(ninesd_wait(n, WAIT_MS, "event=tree_started", NULL));
    usleep(300000);
    snprintf(trace, sizeof trace, "%s/strace.out", n->dir);
    pid_t tracer = harness_strace(n, "waitid", trace);
    assert_true(tracer > 0);
    size_t mark = n->len; /* the restarts from here, in any order */
    kill_while_stopped(n, old, WORKERS);
    for (int i = 0; i < WORKERS; i++) {
        snprintf(id, sizeof id, "w%d", i);
        n->cursor = mark;
        pid_t next = ninesd_wait_started(n, id, WAIT_MS);
        assert_true(next > 0 && next != old[i]);
    }
    assert_true(wait_no_zombie_children(n->pid, WAIT_MS));
    ninesd_pump(n, 200);
    stop_tracer(tracer);
    /* One SIGCHLD names one of them; before, every other end was found by
     * a walk (15 of 16). Now by its pid: a slow turn of the loop may let
     * the first walk (5 ms after the named end) see a few first. */
    int by_pid = 0, by_walk = 0;
    for (int i = 0; i < WORKERS; i++) {
        char by = first_seen_by(trace, old[i]);
        assert_true(by != 0);
        by_pid += by == 'p', by_walk += by == 'a';
    }
    assert_true(by_walk <= WORKERS / 4);
    assert_true(by_pid >= WORKERS - WORKERS / 4);
}

/* The orphans `sh` leaves (a subshell starts a sleep and exits): ninesd
 * adopts them (a subreaper) and expects nothing of them. */
static int orphans_of(struct ninesd *n, const pid_t *mains, int n_mains, pid_t *out, int max) {
    pid_t kids[64];
    int k = list_children(n->pid, kids, 64), found = 0;
    for (int i = 0; i < k && found < max; i++) {
        char path[64], cmd[256] = "";
        snprintf(path, sizeof path, "/proc/%d/cmdline", (int)kids[i]);
        FILE *f = fopen(path, "r");
        size_t len = f ? fread(cmd, 1, sizeof cmd - 1, f) : 0;
        if (f)
            fclose(f);
        cmd[len] = '\0';
        bool main_pid = false;
        for (int j = 0; j < n_mains; j++)
            main_pid |= kids[i] == mains[j];
        if (!main_pid && strcmp(cmd, "sleep") == 0 && strcmp(cmd + 6, "999") == 0)
            out[found++] = kids[i];
    }
    return found;
}

static void merged_ends_nothing_expected_are_still_reaped(void **state) {
    struct ninesd *n = *state;
    if (access(STRACE_PATH, X_OK) != 0)
        skip();
    char trace[400];
    pid_t tracer = start_traced(n,
        "supervisor:\n  intensity: 100\n  period: 1s\n  children:\n"
        "    - {id: e1, exec: [/bin/sh, -c, '(sleep 999 &); exec sleep 1000'], shutdown: brutal_kill}\n"
        "    - {id: e2, exec: [/bin/sh, -c, '(sleep 999 &); exec sleep 1000'], shutdown: brutal_kill}\n",
        trace, sizeof trace);
    n->cursor = 0; /* the pids of the boot's child_started lines */
    pid_t mains[2] = {ninesd_wait_started(n, "e1", WAIT_MS), ninesd_wait_started(n, "e2", WAIT_MS)};
    assert_true(mains[0] > 0 && mains[1] > 0);
    pid_t orphans[2];
    int found = 0;
    for (int t = 0; t < 200 && (found = orphans_of(n, mains, 2, orphans, 2)) < 2; t++)
        usleep(10000);
    assert_int_equal(found, 2);
    kill_while_stopped(n, orphans, 2);
    for (int i = 0; i < 2; i++)
        assert_true(wait_process_gone(orphans[i], WAIT_MS)); /* reaped: no zombie left */
    ninesd_pump(n, 200);
    stop_tracer(tracer);
    /* One was named by the SIGCHLD, the other found by the walk. */
    char a = first_seen_by(trace, orphans[0]), b = first_seen_by(trace, orphans[1]);
    assert_true((a == 'p' && b == 'a') || (a == 'a' && b == 'p'));
    /* The children themselves ran on. */
    assert_true(process_alive(mains[0]) && process_alive(mains[1]));
}

/* An exec child's end says nothing (ninesd's ends of its pipes are
 * read-write): it is looked at by its pid at every SIGCHLD all the same. */
static void merged_exec_child_ends_are_found_by_their_pid(void **state) {
    struct ninesd *n = *state;
    if (access(STRACE_PATH, X_OK) != 0)
        skip();
    char trace[400];
    pid_t tracer = start_traced(n,
        "supervisor:\n  intensity: 100\n  period: 1s\n  children:\n"
        "    - {id: e1, exec: [/bin/sleep, '1000'], shutdown: brutal_kill}\n"
        "    - {id: e2, exec: [/bin/sleep, '1000'], shutdown: brutal_kill}\n"
        "    - {id: e3, exec: [/bin/sleep, '1000'], shutdown: brutal_kill}\n",
        trace, sizeof trace);
    n->cursor = 0;
    pid_t old[3] = {ninesd_wait_started(n, "e1", WAIT_MS), ninesd_wait_started(n, "e2", WAIT_MS),
                    ninesd_wait_started(n, "e3", WAIT_MS)};
    assert_true(old[0] > 0 && old[1] > 0 && old[2] > 0);
    const char *ids[3] = {"e1", "e2", "e3"};
    /* Once each, one at a time: the next ones run in exec-ready
     * processes, whose pipes' ends in ninesd are read-write. */
    for (int i = 0; i < 3; i++) {
        size_t at = n->len;
        kill(old[i], SIGKILL);
        n->cursor = at;
        pid_t next = ninesd_wait_started(n, ids[i], WAIT_MS);
        assert_true(next > 0 && next != old[i]);
        old[i] = next;
        usleep(20000); /* the next exec-ready process is made */
    }
    size_t mark = n->len;
    kill_while_stopped(n, old, 3);
    for (int i = 0; i < 3; i++) {
        n->cursor = mark;
        pid_t next = ninesd_wait_started(n, ids[i], WAIT_MS);
        assert_true(next > 0 && next != old[i]);
    }
    ninesd_pump(n, 200);
    stop_tracer(tracer);
    for (int i = 0; i < 3; i++)
        assert_int_equal(first_seen_by(trace, old[i]), 'p');
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(merged_worker_ends_are_found_by_their_pid, harness_setup, harness_teardown),
        cmocka_unit_test_setup_teardown(merged_ends_nothing_expected_are_still_reaped, harness_setup,
                                        harness_teardown),
        cmocka_unit_test_setup_teardown(merged_exec_child_ends_are_found_by_their_pid, harness_setup,
                                        harness_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
