/*
 * Integration: ends whose SIGCHLD the kernel merged into another's
 * (supervisord/reaper.h). ninesd is stopped (SIGSTOP) while several of its
 * children are killed, so that their SIGCHLDs merge into one, then let go
 * on. A worker's end is found by its pid (its channel closed at its end:
 * expected), not by the walk over every child that waitid(P_ALL) is; an
 * end nothing made expected (an exec child whose outputs a process of its
 * own still holds) is still found, by that walk. Which call found each end
 * is read from the real ninesd's system calls (strace attached to it).
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

static bool is_zombie(pid_t pid) {
    char path[64], buf[512];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "r");
    size_t len = f ? fread(buf, 1, sizeof buf - 1, f) : 0;
    if (f)
        fclose(f);
    buf[len] = '\0';
    const char *end = strrchr(buf, ')');
    return end && end[1] == ' ' && end[2] == 'Z';
}

/* Stop ninesd, SIGKILL every pid, wait until each is a zombie (their
 * SIGCHLDs now merged into one pending), let ninesd go on. */
static void kill_while_stopped(struct ninesd *n, const pid_t *pids, int count) {
    assert_int_equal(kill(n->pid, SIGSTOP), 0);
    usleep(100000); /* stopped, also under strace */
    for (int i = 0; i < count; i++)
        assert_int_equal(kill(pids[i], SIGKILL), 0);
    for (int i = 0; i < count; i++)
        for (int t = 0; t < 500 && !is_zombie(pids[i]); t++)
            usleep(10000);
    for (int i = 0; i < count; i++)
        assert_true(is_zombie(pids[i]));
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

/* The main process exec'd by sh keeps its pipes, and so does the sleep it
 * left in the background: the main's end closes nothing ninesd reads. */
static void a_merged_end_nothing_expected_is_still_reaped(void **state) {
    struct ninesd *n = *state;
    if (access(STRACE_PATH, X_OK) != 0)
        skip();
    char trace[400];
    pid_t tracer = start_traced(n,
        "supervisor:\n  intensity: 100\n  period: 1s\n  children:\n"
        "    - {id: e1, exec: [/bin/sh, -c, 'sleep 1000 & exec sleep 1000'], shutdown: brutal_kill}\n"
        "    - {id: e2, exec: [/bin/sh, -c, 'sleep 1000 & exec sleep 1000'], shutdown: brutal_kill}\n",
        trace, sizeof trace);
    n->cursor = 0; /* the pids of the boot's child_started lines */
    pid_t old[2] = {ninesd_wait_started(n, "e1", WAIT_MS), ninesd_wait_started(n, "e2", WAIT_MS)};
    assert_true(old[0] > 0 && old[1] > 0);
    size_t mark = n->len;
    kill_while_stopped(n, old, 2);
    n->cursor = mark;
    pid_t next1 = ninesd_wait_started(n, "e1", WAIT_MS);
    n->cursor = mark;
    pid_t next2 = ninesd_wait_started(n, "e2", WAIT_MS);
    assert_true(next1 > 0 && next1 != old[0]);
    assert_true(next2 > 0 && next2 != old[1]);
    assert_true(wait_no_zombie_children(n->pid, WAIT_MS));
    ninesd_pump(n, 200);
    stop_tracer(tracer);
    /* One was named by the SIGCHLD, the other found by the walk. */
    char a = first_seen_by(trace, old[0]), b = first_seen_by(trace, old[1]);
    assert_true((a == 'p' && b == 'a') || (a == 'a' && b == 'p'));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(merged_worker_ends_are_found_by_their_pid, harness_setup, harness_teardown),
        cmocka_unit_test_setup_teardown(a_merged_end_nothing_expected_is_still_reaped, harness_setup,
                                        harness_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
