/*
 * Integration: ninesd spawns through its launcher (supervisord/launcher.h)
 * on the real ninesd. Children are ninesd's own; an exec child is one exec
 * (the worker host is never run with --exec); the launcher holds a
 * handful of descriptors whatever the tree; a launcher killed by hand is
 * replaced, and one that dies in the middle of a spawn (before or after
 * making the child, after it with ninesd reading the child's pid and the
 * channel's end together, or at its start: NINES_LAUNCHER_FAULT) loses no
 * child and starts none twice.
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
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"

#define WAIT_MS 10000

/* The pid of the latest child_started of `id` in the whole log, or -1. */
static pid_t last_started(struct ninesd *n, const char *id) {
    char want[64];
    snprintf(want, sizeof want, " child=%s ", id);
    pid_t pid = -1;
    for (const char *at = n->log, *end = n->log + n->len; at && at < end;) {
        const char *nl = memchr(at, '\n', (size_t)(end - at));
        size_t len = nl ? (size_t)(nl - at) : (size_t)(end - at);
        char line[1024];
        snprintf(line, sizeof line, "%.*s", (int)(len < sizeof line ? len : sizeof line - 1), at);
        if (strstr(line, "event=child_started") && strstr(line, want))
            pid = line_pid(line);
        at = nl ? nl + 1 : NULL;
    }
    return pid;
}

/* SIGKILL one process: never a pid that would mean a group or everyone. */
static void kill_one(pid_t pid) {
    if (pid <= 1)
        fail_msg("no process to kill (pid %d)", (int)pid);
    kill(pid, SIGKILL);
}

/* A worker program that notes each way it is run, then is nines-worker. */
static const char *wrapper(struct ninesd *n, char *log, size_t size) {
    static char path[512];
    snprintf(path, sizeof path, "%s/worker.sh", n->dir);
    snprintf(log, size, "%s/runs.log", n->dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fprintf(f, "#!/bin/sh\necho \"$1\" >>%s\nexec %s \"$@\"\n", log, BUILD_PATH("nines-worker"));
    fclose(f);
    chmod(path, 0755);
    return path;
}

static int runs_with(const char *log, const char *first_arg) {
    FILE *f = fopen(log, "r");
    char line[256];
    int count = 0;
    while (f && fgets(line, sizeof line, f))
        count += strncmp(line, first_arg, strlen(first_arg)) == 0 && line[strlen(first_arg)] == '\n';
    if (f)
        fclose(f);
    return count;
}

static char *tree_of(int workers, int sleepers) {
    size_t size = (size_t)(workers + sleepers) * 128 + 256;
    char *t = malloc(size);
    size_t used = (size_t)snprintf(t, size, "supervisor:\n  intensity: 100\n  period: 60s\n  children:\n");
    for (int i = 0; i < workers; i++)
        used += (size_t)snprintf(t + used, size - used, "    - id: w%d\n      module: @BUILD@/examples/counter.so\n", i);
    for (int i = 0; i < sleepers; i++)
        used += (size_t)snprintf(t + used, size - used, "    - id: s%d\n      exec: [sleep, '1000']\n", i);
    return t;
}

static void children_are_ninesd_s_and_exec_children_one_exec(void **state) {
    struct ninesd *n = *state;
    char *yaml = tree_of(50, 2);
    const char *tree = harness_write_tree(n, yaml);
    free(yaml);
    char log[600];
    const char *worker = wrapper(n, log, sizeof log);
    ninesd_start(n, tree, "--worker", worker, NULL);
    assert_non_null(ninesd_wait(n, WAIT_MS * 3, "event=tree_started", NULL));
    pid_t launcher = find_launcher(n->pid, WAIT_MS);
    assert_true(launcher > 0);
    pid_t w = last_started(n, "w7"), s = last_started(n, "s1");
    assert_true(w > 0 && s > 0);
    assert_int_equal(harness_parent_of(w), n->pid);
    assert_int_equal(harness_parent_of(s), n->pid);
    /* ninesd holds a descriptor per worker; the launcher a handful (and
     * for a moment those of the request in hand: the least of a few looks). */
    int held = harness_count_fds(n->pid), its = harness_count_fds(launcher);
    for (int i = 0; i < 20; i++, usleep(10000))
        its = harness_count_fds(launcher) < its ? harness_count_fds(launcher) : its;
    print_message("ninesd holds %d descriptors, its launcher %d\n", held, its);
    assert_true(held >= 50);
    assert_true(its <= 6); /* 0-3, /dev/null, its folder */
    /* An exec child restarted: the program again, never nines-worker --exec. */
    kill_one(s);
    pid_t s2 = ninesd_wait_started(n, "s1", WAIT_MS);
    assert_true(s2 > 0 && s2 != s);
    assert_int_equal(harness_parent_of(s2), n->pid);
    assert_int_equal(runs_with(log, "--exec"), 0);
    assert_int_equal(runs_with(log, "--launcher"), 1);
    assert_true(runs_with(log, "--spare") >= 1);
}

static void a_killed_launcher_is_replaced(void **state) {
    struct ninesd *n = *state;
    char *yaml = tree_of(1, 1);
    ninesd_start(n, harness_write_tree(n, yaml), NULL);
    free(yaml);
    pid_t w = ninesd_wait_started(n, "w0", WAIT_MS), s = ninesd_wait_started(n, "s0", WAIT_MS);
    pid_t l1 = find_launcher(n->pid, WAIT_MS);
    assert_true(w > 0 && s > 0 && l1 > 0);
    kill_one(l1);
    assert_non_null(ninesd_wait(n, WAIT_MS, "event=launcher_lost", NULL));
    assert_true(wait_process_gone(l1, WAIT_MS));
    kill_one(w);
    pid_t w2 = ninesd_wait_started(n, "w0", WAIT_MS);
    kill_one(s);
    pid_t s2 = ninesd_wait_started(n, "s0", WAIT_MS);
    assert_true(w2 > 0 && w2 != w && s2 > 0 && s2 != s);
    assert_int_equal(harness_parent_of(w2), n->pid);
    assert_int_equal(harness_parent_of(s2), n->pid);
    pid_t l2 = find_launcher(n->pid, WAIT_MS);
    assert_true(l2 > 0 && l2 != l1);
    assert_int_equal(count_children(n->pid), 2);
}

/* The exec goes on after ninesd has the pid: a worker host that cannot be
 * exec'd any more is still a spawn failure, with the exec's errno. */
static void a_failed_exec_is_a_spawn_failure(void **state) {
    struct ninesd *n = *state;
    char *yaml = tree_of(1, 0);
    const char *tree = harness_write_tree(n, yaml);
    free(yaml);
    char log[600];
    const char *worker = wrapper(n, log, sizeof log);
    ninesd_start(n, tree, "--worker", worker, "--no-spare", NULL);
    assert_non_null(ninesd_wait(n, WAIT_MS, "event=tree_started", NULL));
    pid_t w = last_started(n, "w0");
    assert_int_equal(unlink(worker), 0);
    kill_one(w);
    if (!ninesd_wait(n, WAIT_MS, "spawn failed: No such file or directory", worker, NULL))
        fail_msg("no spawn failure naming %s: %.*s", worker, (int)(n->len < 3000 ? n->len : 3000), n->log);
}

/* With the launcher dying at `fault` in every request: each child started
 * once, all of them ninesd's, a crash restarted, nothing left at the end. */
static void no_child_is_lost_when(struct ninesd *n, const char *fault, const char *said) {
    char *yaml = tree_of(3, 2);
    const char *tree = harness_write_tree(n, yaml);
    free(yaml);
    setenv("NINES_LAUNCHER_FAULT", fault, 1);
    ninesd_start(n, tree, NULL);
    unsetenv("NINES_LAUNCHER_FAULT");
    if (!ninesd_wait(n, WAIT_MS * 3, "event=tree_started", NULL))
        fail_msg("%s: the tree did not start: %.*s", fault, (int)(n->len < 4000 ? n->len : 4000), n->log);
    const char *ids[] = {"w0", "w1", "w2", "s0", "s1"};
    char want[32];
    for (size_t i = 0; i < 5; i++) {
        snprintf(want, sizeof want, "child=%s ", ids[i]);
        assert_int_equal(ninesd_count(n, "event=child_started", want, NULL), 1);
    }
    if (said && !ninesd_count(n, "event=launcher_lost", said, NULL))
        fail_msg("%s: no launcher_lost saying '%s'", fault, said);
    ninesd_pump(n, 300);
    assert_int_equal(count_children(n->pid), 5);
    pid_t w1 = last_started(n, "w1");
    kill_one(w1);
    pid_t again = ninesd_wait_started(n, "w1", WAIT_MS);
    assert_true(again > 0 && again != w1);
    assert_int_equal(harness_parent_of(again), n->pid);
    ninesd_pump(n, 200);
    assert_int_equal(count_children(n->pid), 5);
    pid_t all[16];
    int k = list_children(n->pid, all, 16);
    kill(n->pid, SIGTERM);
    assert_true(ninesd_wait_exit(n, WAIT_MS));
    assert_true(WIFEXITED(n->status) && WEXITSTATUS(n->status) == 0);
    for (int i = 0; i < k; i++)
        assert_true(wait_process_gone(all[i], 3000));
}

static void a_launcher_dying_after_the_clone_loses_no_child(void **state) {
    no_child_is_lost_when(*state, "after-clone", "the launcher");
}

/* The child's pid and the end of the channel read together (ninesd had
 * no CPU between them): the pid is the child's, not a reason to ask again. */
static void a_launcher_dying_after_the_pid_is_sent_starts_none_twice(void **state) {
    no_child_is_lost_when(*state, "after-clone-unread", "the launcher");
}

static void a_launcher_dying_before_the_clone_starts_none_twice(void **state) {
    no_child_is_lost_when(*state, "before-clone", "before creating a child");
}

static void a_launcher_that_cannot_start_leaves_direct_spawns(void **state) {
    no_child_is_lost_when(*state, "at-start", NULL);
}

/* A launcher that hangs in the middle of a spawn is given up after
 * LAUNCHER_TIMEOUT_MS (10 s) and the request asked of another: the child
 * the hung one was making (an exec child's clone, a worker host's fork),
 * which can say its pid only after that (NINES_LAUNCHER_FAULT=late-pid,
 * the first launcher only), must not run as well. */
static void none_runs_twice_after_a_hung_launcher(struct ninesd *n, const char *yaml, const char *id) {
    const char *tree = harness_write_tree(n, yaml);
    char once[600], want[32];
    snprintf(once, sizeof once, "%s/fault-once", n->dir); /* the folder is there once a tree is */
    snprintf(want, sizeof want, "child=%s ", id);
    setenv("NINES_LAUNCHER_FAULT", "late-pid", 1);
    setenv("NINES_LAUNCHER_FAULT_ONCE", once, 1);
    ninesd_start(n, tree, "--no-spare", NULL);
    unsetenv("NINES_LAUNCHER_FAULT");
    unsetenv("NINES_LAUNCHER_FAULT_ONCE");
    if (!ninesd_wait(n, WAIT_MS * 3, "event=tree_started", NULL))
        fail_msg("the tree did not start: %.*s", (int)(n->len < 4000 ? n->len : 4000), n->log);
    assert_int_equal(access(once, F_OK), 0); /* the fault was met */
    if (ninesd_count(n, "event=launcher_lost", "asked again", NULL) != 1)
        fail_msg("no launcher given up and asked again: %.*s", (int)(n->len < 4000 ? n->len : 4000), n->log);
    assert_int_equal(ninesd_count(n, "event=child_started", want, NULL), 1);
    ninesd_pump(n, 500);
    assert_int_equal(count_children(n->pid), 1);
    pid_t all[16];
    int k = list_children(n->pid, all, 16);
    kill(n->pid, SIGTERM);
    assert_true(ninesd_wait_exit(n, WAIT_MS));
    for (int i = 0; i < k; i++)
        assert_true(wait_process_gone(all[i], 3000));
}

static void an_exec_child_of_a_launcher_given_up_does_not_run(void **state) {
    none_runs_twice_after_a_hung_launcher(*state, "supervisor:\n  children:\n    - id: s0\n      exec: [sleep, '1000']\n",
                                          "s0");
}

static void a_worker_host_of_a_launcher_given_up_does_not_run(void **state) {
    none_runs_twice_after_a_hung_launcher(
        *state, "supervisor:\n  children:\n    - id: w0\n      module: " BUILD_PATH("examples/counter.so") "\n", "w0");
}

/* "Cpus_allowed_list:" of /proc/PID/status, in `out`; false if none. */
static bool cpus_of(pid_t pid, char *out, size_t size) {
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    FILE *f = fopen(path, "r");
    bool found = false;
    while (f && !found && fgets(line, sizeof line, f))
        if (strncmp(line, "Cpus_allowed_list:", 18) == 0)
            found = snprintf(out, size, "%s", line + 18) > 0;
    if (f)
        fclose(f);
    return found;
}

/* Every process of ninesd's (workers, exec children, the spare, the
 * launcher, the warden) may run on every CPU ninesd may: none is left on
 * the one CPU the launcher holds itself to while it makes a child. */
static int children_on_other_cpus(pid_t parent, const char *want) {
    DIR *dir = opendir("/proc");
    int wrong = 0, seen = 0;
    for (struct dirent *e; dir && (e = readdir(dir));) {
        pid_t pid = (pid_t)atoi(e->d_name);
        char cpus[256];
        if (pid <= 0 || harness_parent_of(pid) != parent || !cpus_of(pid, cpus, sizeof cpus))
            continue;
        seen++;
        if (strcmp(cpus, want) != 0) {
            print_message("pid %d may run on %s, ninesd on %s", (int)pid, cpus, want);
            wrong++;
        }
    }
    if (dir)
        closedir(dir);
    assert_true(seen >= 4);
    return wrong;
}

static void children_keep_every_cpu(void **state) {
    struct ninesd *n = *state;
    if (sysconf(_SC_NPROCESSORS_ONLN) < 2)
        skip();
    char *yaml = tree_of(3, 2);
    ninesd_start(n, harness_write_tree(n, yaml), NULL);
    free(yaml);
    pid_t w = ninesd_wait_started(n, "w0", WAIT_MS), s = ninesd_wait_started(n, "s1", WAIT_MS);
    assert_true(w > 0 && s > 0 && find_launcher(n->pid, WAIT_MS) > 0);
    kill_one(s);
    assert_true(ninesd_wait_started(n, "s1", WAIT_MS) > 0);
    kill_one(w);
    assert_true(ninesd_wait_started(n, "w0", WAIT_MS) > 0);
    char want[256];
    assert_true(cpus_of(n->pid, want, sizeof want));
    usleep(100000); /* the spare made again */
    assert_int_equal(children_on_other_cpus(n->pid, want), 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(children_are_ninesd_s_and_exec_children_one_exec, harness_setup,
                                        harness_teardown),
        cmocka_unit_test_setup_teardown(a_killed_launcher_is_replaced, harness_setup, harness_teardown),
        cmocka_unit_test_setup_teardown(a_failed_exec_is_a_spawn_failure, harness_setup, harness_teardown),
        cmocka_unit_test_setup_teardown(a_launcher_dying_after_the_clone_loses_no_child, harness_setup,
                                        harness_teardown),
        cmocka_unit_test_setup_teardown(a_launcher_dying_after_the_pid_is_sent_starts_none_twice, harness_setup,
                                        harness_teardown),
        cmocka_unit_test_setup_teardown(a_launcher_dying_before_the_clone_starts_none_twice, harness_setup,
                                        harness_teardown),
        cmocka_unit_test_setup_teardown(a_launcher_that_cannot_start_leaves_direct_spawns, harness_setup,
                                        harness_teardown),
        cmocka_unit_test_setup_teardown(an_exec_child_of_a_launcher_given_up_does_not_run, harness_setup,
                                        harness_teardown),
        cmocka_unit_test_setup_teardown(a_worker_host_of_a_launcher_given_up_does_not_run, harness_setup,
                                        harness_teardown),
        cmocka_unit_test_setup_teardown(children_keep_every_cpu, harness_setup, harness_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
