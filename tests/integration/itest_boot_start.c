/*
 * Integration: ninesd's own start (daemon_prestart, doc/design.md §6).
 * Its launcher is started before the tree file is read, so that its exec
 * and linking go on meanwhile; the boot's first starts are asked of it
 * before the spares the boot calls for, which it would clone first (it
 * answers in order): an exec child at the head of the tree is not queued
 * behind them. A tree refused once the launcher runs (a file that does
 * not parse, a module the check refuses) still exits 2 with its error,
 * and leaves no process behind. The warden (warden.h) is forked and not
 * waited for: a child started before it has exec'd is covered all the
 * same; the first launcher is forked likewise, the requests asked of it
 * before its exec answered once it runs; either, when it cannot be
 * exec'd, is said once with the reason.
 * Modules are checked while the rest of the start is made, their verdict
 * said before any failure of it. A child's output and channel block (made so without a system call
 * more than they need: open_spawn_fds).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"
#include "harness_run.h"

#define WAIT_MS 20000
#define STRACE "/usr/bin/strace"
#define WORKERS 20

/* An exec child, then WORKERS module workers. */
static const char *exec_first_tree(struct ninesd *n) {
    static char yaml[WORKERS * 100 + 512];
    size_t len = (size_t)snprintf(yaml, sizeof yaml,
                                  "supervisor:\n  intensity: 100\n  period: 10s\n  children:\n"
                                  "    - {id: x, exec: [/bin/sleep, '1000'], shutdown: brutal_kill}\n");
    for (int i = 0; i < WORKERS; i++)
        len += (size_t)snprintf(yaml + len, sizeof yaml - len, "    - {id: w%d, module: @BUILD@/tests/apps/trivial.so}\n",
                                i);
    return harness_write_tree(n, yaml);
}

/* The bytes of a strace -xx line's strings ("\x2d\x2d..."), decoded. */
static size_t decode(const char *line, char *out, size_t size) {
    size_t n = 0;
    for (const char *p = line; (p = strstr(p, "\\x")) && n < size - 1; p += 4) {
        unsigned v;
        if (sscanf(p + 2, "%2x", &v) == 1)
            out[n++] = v ? (char)v : ' ';
    }
    out[n] = '\0';
    return n;
}

/* ninesd's requests to its launcher, in the order sent: 'S' for a spare
 * host, 'X' for the exec child, into order[]. */
static int read_requests(const char *trace, char *order, int max) {
    FILE *f = fopen(trace, "r");
    static char line[20000], bytes[8000];
    int k = 0;
    while (f && k < max - 1 && fgets(line, sizeof line, f)) {
        if (strncmp(line, "sendmsg(", 8) != 0)
            continue;
        decode(line, bytes, sizeof bytes);
        if (strstr(bytes, "--spare"))
            order[k++] = 'S';
        else if (strstr(bytes, "/bin/sleep"))
            order[k++] = 'X';
    }
    order[k] = '\0';
    if (f)
        fclose(f);
    return k;
}

/* The exec child at the head of the tree is asked of the launcher before
 * the spares of the boot (after at most the one made as ninesd started):
 * the launcher does not clone eight hosts before it. */
static void an_exec_child_first_is_not_queued_behind_the_boot_spares(void **state) {
    struct ninesd *n = *state;
    const char *tree = exec_first_tree(n);
    char trace[400];
    snprintf(trace, sizeof trace, "%s/strace.out", n->dir);
    char *wrapper[] = {STRACE, "-qq", "-xx", "-s", "4000", "-e", "trace=sendmsg", "-o", trace, "--", NULL};
    if (access(STRACE, X_OK) != 0)
        skip();
    ninesd_start_wrapped(n, wrapper, tree, NULL);
    assert_non_null(ninesd_wait(n, WAIT_MS, "event=tree_started", NULL));
    /* n->pid is strace's: ninesd is its child, stopped first. */
    pid_t traced[4];
    assert_int_equal(list_children(n->pid, traced, 4), 1);
    kill(traced[0], SIGTERM);
    assert_true(ninesd_wait_exit(n, WAIT_MS));
    char order[256];
    int k = read_requests(trace, order, sizeof order);
    const char *x = strchr(order, 'X');
    if (!x || k < 3)
        fail_msg("requests to the launcher: '%s'", order);
    int spares_before = 0;
    for (const char *p = order; p < x; p++)
        spares_before += *p == 'S';
    if (spares_before > 1)
        fail_msg("the exec child was asked after %d spares: '%s'", spares_before, order);
    /* The boot's spares come after it all the same. */
    assert_true(strchr(x, 'S') != NULL);
}

/* Every process of this test's ninesd that outlived it (this test is
 * their subreaper) and is still alive after ms; the others are reaped. */
static int survivors(pid_t ninesd, int ms) {
    usleep((useconds_t)ms * 1000);
    int alive = 0;
    for (pid_t p; (p = waitpid(-1, NULL, WNOHANG)) != 0;)
        if (p < 0 && errno == ECHILD)
            break;
    pid_t kids[64];
    int n = list_children(getpid(), kids, 64);
    for (int i = 0; i < n; i++)
        alive += kids[i] != ninesd;
    return alive;
}

static void refused(struct ninesd *n, const char *yaml, const char *error) {
    assert_int_equal(prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
    ninesd_start(n, harness_write_tree(n, yaml), NULL);
    assert_true(ninesd_wait_exit(n, WAIT_MS));
    assert_int_equal(WEXITSTATUS(n->status), 2);
    assert_int_equal(ninesd_count(n, error, NULL), 1);
    assert_int_equal(ninesd_count(n, "event=child_started", NULL), 0);
    assert_int_equal(survivors(n->pid, 500), 0);
    prctl(PR_SET_CHILD_SUBREAPER, 0);
}

/* Refused after its launcher was started: the same error and exit as
 * before, and nothing of ninesd's left running. */
static void a_tree_that_does_not_parse_leaves_nothing_running(void **state) {
    refused(*state, "supervisor:\n  children:\n    - id: a\n      modul: x.so\n", "tree.yaml:4:7: ");
}

static void a_refused_module_leaves_nothing_running(void **state) {
    refused(*state,
            "supervisor:\n  children:\n    - id: ok\n      module: @BUILD@/tests/apps/trivial.so\n"
            "    - id: old\n      module: @BUILD@/tests/apps/bad_abi.so\n",
            "tree.yaml:5:7: child 'old': module refused: ");
}

/* The pid in DIR/name once it is written. */
static pid_t read_pid(struct ninesd *n, const char *name) {
    char path[400];
    snprintf(path, sizeof path, "%s/%s", n->dir, name);
    for (int i = 0; i < WAIT_MS / 10; i++) {
        FILE *f = fopen(path, "r");
        long v = 0;
        int ok = f ? fscanf(f, "%ld", &v) : 0;
        if (f)
            fclose(f);
        if (ok == 1 && v > 0)
            return (pid_t)v;
        usleep(10000);
    }
    return -1;
}

/* ninesd's children: how many are the warden's process still before its
 * exec (a copy of ninesd: its name is ninesd's), how many the warden. */
static void wardens(pid_t ninesd, int *forked, int *running) {
    pid_t kids[64];
    int k = list_children(ninesd, kids, 64);
    *forked = *running = 0;
    for (int i = 0; i < k; i++) {
        char path[64], comm[64] = "";
        snprintf(path, sizeof path, "/proc/%d/comm", (int)kids[i]);
        FILE *f = fopen(path, "r");
        if (f && fgets(comm, sizeof comm, f))
            *forked += strcmp(comm, "ninesd\n") == 0;
        if (f)
            fclose(f);
        *running += is_warden(kids[i]);
    }
}

/* The warden's exec held back (NINES_WARDEN_EXEC_DELAY_MS): the tree
 * starts meanwhile, its child's group told to a warden not yet running;
 * ninesd SIGKILLed then, the warden runs later all the same, reads the
 * group and kills what the child left in it. */
static void a_child_started_before_the_warden_runs_is_covered(void **state) {
    struct ninesd *n = *state;
    const char *tree = harness_write_tree(n,
        "supervisor:\n  children:\n"
        "    - id: fam\n      exec: [/bin/sh, -c, 'sleep 1001 & echo $! > $BS_DIR/kid; exec sleep 1000']\n");
    setenv("BS_DIR", n->dir, 1);
    setenv("NINES_WARDEN_EXEC_DELAY_MS", "1500", 1);
    ninesd_start(n, tree, NULL);
    unsetenv("NINES_WARDEN_EXEC_DELAY_MS");
    pid_t leader = ninesd_wait_started(n, "fam", WAIT_MS), kid = read_pid(n, "kid");
    assert_true(leader > 0 && kid > 0);
    int forked, running;
    wardens(n->pid, &forked, &running);
    if (forked != 1 || running != 0)
        fail_msg("before its exec: %d forked warden, %d running (1 and 0 expected)", forked, running);
    kill(n->pid, SIGKILL);
    assert_true(ninesd_wait_exit(n, WAIT_MS));
    bool gone = wait_process_gone(kid, WAIT_MS);
    if (!gone)
        kill(kid, SIGKILL);
    assert_true(gone);
    assert_true(wait_process_gone(leader, WAIT_MS));
}

/* The first launcher is forked too, and the requests asked of it before
 * its exec (the first spare, the tree's first starts) wait for it: with
 * its exec held back, the tree starts once it runs, every child through
 * it. */
static void requests_wait_for_the_launchers_exec(void **state) {
    struct ninesd *n = *state;
    const char *tree = exec_first_tree(n);
    setenv("NINES_LAUNCHER_EXEC_DELAY_MS", "700", 1);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    ninesd_start(n, tree, NULL);
    unsetenv("NINES_LAUNCHER_EXEC_DELAY_MS");
    assert_true(ninesd_wait_started(n, "x", WAIT_MS) > 0);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    long ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
    if (ms < 600)
        fail_msg("the first child started %ld ms after ninesd, before its launcher ran", ms);
    assert_non_null(ninesd_wait(n, WAIT_MS, "event=tree_started", NULL));
    assert_int_equal(ninesd_count(n, "event=launcher_lost", NULL), 0);
    assert_int_equal(ninesd_count(n, "event=child_started", NULL), WORKERS + 1);
}

/* A warden or a launcher whose exec fails (no such worker program) is
 * said once, with the reason, and not started again every second; the
 * tree runs without them. */
static void helpers_that_cannot_run_are_said_once(void **state) {
    struct ninesd *n = *state;
    const char *tree = harness_write_tree(n, "supervisor:\n  children: []\n");
    ninesd_start(n, tree, "--worker", "/nonexistent/nines-worker", NULL);
    assert_non_null(ninesd_wait(n, WAIT_MS, "event=warden_error", "cannot start the warden (No such file or directory)",
                                NULL));
    ninesd_pump(n, 1500);
    assert_int_equal(ninesd_count(n, "event=warden_error", NULL), 1);
    assert_int_equal(ninesd_count(n, "event=launcher_lost", NULL), 1);
    assert_int_equal(ninesd_count(n, "event=launcher_lost",
                                  "the launcher cannot be started (No such file or directory)", NULL), 1);
    assert_int_equal(ninesd_count(n, "event=tree_started", NULL), 1);
}

/* Whether descriptor fd of pid is non-blocking (its fdinfo's flags). */
static bool nonblocking(pid_t pid, int fd) {
    char path[64], line[128];
    snprintf(path, sizeof path, "/proc/%d/fdinfo/%d", (int)pid, fd);
    FILE *f = fopen(path, "r");
    unsigned long flags = 0;
    bool found = false;
    while (f && !found && fgets(line, sizeof line, f))
        found = sscanf(line, "flags: %lo", &flags) == 1;
    if (f)
        fclose(f);
    assert_true(found);
    return flags & 04000; /* O_NONBLOCK */
}

/* A child's output and channel block, whatever they are made of (a
 * module worker's: the output socket's senders, set so as they are
 * made; an exec child's: pipes, non-blocking at ninesd's end). */
static void a_childs_output_and_channel_block(void **state) {
    struct ninesd *n = *state;
    const char *tree = harness_write_tree(n,
        "supervisor:\n  children:\n"
        "    - {id: x, exec: [/bin/sleep, '1000'], shutdown: brutal_kill}\n"
        "    - {id: w, module: @BUILD@/tests/apps/trivial.so}\n");
    ninesd_start(n, tree, NULL);
    pid_t x = ninesd_wait_started(n, "x", WAIT_MS), w = ninesd_wait_started(n, "w", WAIT_MS);
    assert_true(x > 0 && w > 0);
    for (int fd = 1; fd <= 3; fd++)
        if (nonblocking(w, fd))
            fail_msg("the worker's descriptor %d is non-blocking", fd);
    for (int fd = 1; fd <= 2; fd++)
        if (nonblocking(x, fd))
            fail_msg("the exec child's descriptor %d is non-blocking", fd);
}

/* The modules are checked while the rest of ninesd's start is made, and
 * their verdict still comes first: a tree with a refused module whose
 * control socket is taken by another ninesd is refused for its module
 * (exit 2), and the other ninesd keeps its socket. */
static void a_refused_module_is_said_before_a_start_failure(void **state) {
    struct ninesd *n = *state;
    ninesd_start(n, harness_write_tree(n, "supervisor:\n  children:\n"
                                          "    - {id: ok, module: @BUILD@/tests/apps/trivial.so}\n"), NULL);
    assert_true(ninesd_wait_started(n, "ok", WAIT_MS) > 0);
    struct ninesd second = {0}; /* no folder of its own: n's holds its tree */
    char tree[600];
    snprintf(tree, sizeof tree, "%s/second.yaml", n->dir);
    FILE *f = fopen(tree, "w");
    assert_non_null(f);
    fprintf(f, "supervisor:\n  children:\n    - id: old\n      module: %s\n", BUILD_PATH("tests/apps/bad_abi.so"));
    fclose(f);
    ninesd_start(&second, tree, "--socket", n->socket, NULL);
    assert_true(ninesd_wait_exit(&second, WAIT_MS));
    int status = second.status, refused = ninesd_count(&second, "second.yaml:3:7: child 'old': module refused: ", NULL);
    ninesd_cleanup(&second);
    assert_int_equal(WEXITSTATUS(status), 2);
    assert_int_equal(refused, 1);
    char buf[4096];
    assert_int_equal(harness_ctl(n, "status", buf, sizeof buf), 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(an_exec_child_first_is_not_queued_behind_the_boot_spares, harness_setup,
                                        harness_teardown),
        cmocka_unit_test_setup_teardown(a_tree_that_does_not_parse_leaves_nothing_running, harness_setup,
                                        harness_teardown),
        cmocka_unit_test_setup_teardown(a_refused_module_leaves_nothing_running, harness_setup, harness_teardown),
        cmocka_unit_test_setup_teardown(a_child_started_before_the_warden_runs_is_covered, harness_setup,
                                        harness_teardown),
        cmocka_unit_test_setup_teardown(requests_wait_for_the_launchers_exec, harness_setup, harness_teardown),
        cmocka_unit_test_setup_teardown(helpers_that_cannot_run_are_said_once, harness_setup, harness_teardown),
        cmocka_unit_test_setup_teardown(a_childs_output_and_channel_block, harness_setup, harness_teardown),
        cmocka_unit_test_setup_teardown(a_refused_module_is_said_before_a_start_failure, harness_setup,
                                        harness_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
