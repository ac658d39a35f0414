/*
 * Integration: a cgroup per child (supervisord/cgroup.h). The test makes
 * a cgroup v2 of its own, enters it, and starts ninesd there with
 * --cgroups on: each child runs in BASE/child-PATH, and a process that
 * left the child's process group (setsid, as a daemon does) is killed
 * with it — when its main process dies and is restarted, and when ninesd
 * is SIGKILLed (the warden kills the child cgroups). With --cgroups off
 * that process survives: the process group is all there is. By default,
 * in a cgroup nobody delegated, ninesd says it uses none. Skipped where no
 * cgroup v2 is writable (not root, no unified hierarchy).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"

#define WAIT_MS 5000

static char home[PATH_MAX], mine[PATH_MAX]; /* the test's cgroup before, and the one it made */

static bool write_file(const char *dir, const char *file, const char *text) {
    char path[PATH_MAX + 64];
    snprintf(path, sizeof path, "%s/%s", dir, file);
    FILE *f = fopen(path, "we");
    if (!f)
        return false;
    bool ok = fputs(text, f) >= 0;
    return fclose(f) == 0 && ok;
}

/* The cgroup2 mount and this process's place in it. */
static bool find_own(char *out, size_t size) {
    char line[PATH_MAX + 64], rel[PATH_MAX] = "", mnt[PATH_MAX] = "";
    FILE *f = fopen("/proc/self/cgroup", "re");
    while (f && fgets(line, sizeof line, f))
        if (strncmp(line, "0::", 3) == 0)
            sscanf(line + 3, "%4095s", rel);
    if (f)
        fclose(f);
    f = fopen("/proc/self/mountinfo", "re");
    while (f && fgets(line, sizeof line, f))
        if (strstr(line, " - cgroup2 ") && sscanf(line, "%*s %*s %*s %*s %4095s", mnt) == 1)
            break;
    if (f)
        fclose(f);
    return rel[0] && mnt[0] && snprintf(out, size, "%s%s", mnt, strcmp(rel, "/") ? rel : "") < (int)size;
}

static int enter_cgroup(void **state) {
    char pid[16];
    snprintf(pid, sizeof pid, "%d", (int)getpid());
    if (!find_own(home, sizeof home))
        return 0;
    if (snprintf(mine, sizeof mine, "%.3900s/nines-itest-%d", home, (int)getpid()) >= (int)sizeof mine)
        return 0;
    if ((mkdir(mine, 0755) < 0 && errno != EEXIST) || !write_file(mine, "cgroup.procs", pid)) {
        rmdir(mine);
        mine[0] = '\0';
    }
    return 0;
}

static int leave_cgroup(void **state) {
    char pid[16];
    snprintf(pid, sizeof pid, "%d", (int)getpid());
    if (mine[0]) {
        write_file(home, "cgroup.procs", pid);
        rmdir(mine);
    }
    return 0;
}

static pid_t read_pid(struct ninesd *n, const char *name) {
    char path[400];
    snprintf(path, sizeof path, "%s/%s", n->dir, name);
    for (int i = 0; i < WAIT_MS / 10; i++) {
        FILE *f = fopen(path, "r");
        long v = 0;
        int ok = f ? fscanf(f, "%ld", &v) : 0;
        if (f)
            fclose(f);
        if (ok == 1 && v > 0) {
            unlink(path);
            return (pid_t)v;
        }
        struct timespec ts = {0, 10 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    return -1;
}

/* A program that leaves a daemon behind in a session of its own. */
static const char daemonizer[] =
    "supervisor:\n  intensity: 5\n  period: 30s\n  children:\n"
    "    - id: fam\n      exec: [/bin/sh, -c, '(setsid sleep 1003 & echo $! > $PT_DIR/escapee); exec sleep 1000']\n";

static void start(struct ninesd *n, const char *mode, pid_t *leader, pid_t *escapee) {
    if (!mine[0])
        skip();
    const char *tree = harness_write_tree(n, daemonizer);
    setenv("PT_DIR", n->dir, 1);
    ninesd_start(n, tree, "--cgroups", mode, NULL);
    *leader = ninesd_wait_started(n, "fam", WAIT_MS);
    *escapee = read_pid(n, "escapee");
    assert_true(*leader > 0 && *escapee > 0);
    assert_true(process_alive(*escapee));
    /* Its pid is written before it has left the group: a sweep before its
     * setsid() would kill it as a member, not as an escapee. */
    for (int i = 0; i < WAIT_MS / 10 && getsid(*escapee) != *escapee; i++) {
        struct timespec ts = {0, 10 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    assert_int_equal(getsid(*escapee), *escapee);
}

static bool in_child_cgroup(pid_t pid, const char *name) {
    char path[64], line[PATH_MAX + 64];
    snprintf(path, sizeof path, "/proc/%d/cgroup", (int)pid);
    FILE *f = fopen(path, "re");
    bool found = false;
    while (f && fgets(line, sizeof line, f))
        found |= strncmp(line, "0::", 3) == 0 && strstr(line, name) != NULL;
    if (f)
        fclose(f);
    return found;
}

static int child_folders(void) {
    DIR *d = opendir(mine);
    int n = 0;
    for (struct dirent *e; d && (e = readdir(d));)
        n += strncmp(e->d_name, "child-", 6) == 0;
    if (d)
        closedir(d);
    return n;
}

static void a_restart_kills_what_left_the_group(void **state) {
    struct ninesd *n = *state;
    pid_t leader, escapee;
    start(n, "on", &leader, &escapee);
    assert_true(in_child_cgroup(leader, "/child-fam"));
    assert_true(in_child_cgroup(escapee, "/child-fam"));
    assert_int_equal(ninesd_count(n, "event=cgroups", "each child in a cgroup of its own", NULL), 1);
    /* The restart runs in the exec-ready process made ahead (exec_ready.h),
     * moved into fam's cgroup only when it becomes fam. */
    pid_t ready = find_exec_ready(n->pid, WAIT_MS);
    assert_true(ready > 0);
    assert_false(in_child_cgroup(ready, "/child-fam"));
    kill(leader, SIGKILL);
    pid_t leader2 = ninesd_wait_started(n, "fam", WAIT_MS);
    assert_int_equal(leader2, ready);
    assert_true(wait_process_gone(escapee, WAIT_MS));
    pid_t again = read_pid(n, "escapee");
    assert_true(again > 0);
    assert_true(in_child_cgroup(leader2, "/child-fam"));
    assert_true(in_child_cgroup(again, "/child-fam"));
    /* What that one left behind goes with it as well. */
    kill(leader2, SIGKILL);
    assert_true(ninesd_wait_started(n, "fam", WAIT_MS) > 0);
    assert_true(wait_process_gone(again, WAIT_MS));
    again = read_pid(n, "escapee");
    ninesd_stop(n);
    assert_true(wait_process_gone(again, WAIT_MS));
    assert_int_equal(child_folders(), 0); /* removed once empty */
}

static void a_sigkilled_ninesd_leaves_no_daemon(void **state) {
    struct ninesd *n = *state;
    pid_t leader, escapee;
    start(n, "on", &leader, &escapee);
    kill(n->pid, SIGKILL);
    assert_true(ninesd_wait_exit(n, WAIT_MS));
    assert_true(wait_process_gone(leader, WAIT_MS));
    assert_true(wait_process_gone(escapee, WAIT_MS));
    for (int i = 0; i < 100 && child_folders() > 0; i++) { /* the warden cannot remove them: leave_cgroup does */
        char dir[PATH_MAX + 32];
        snprintf(dir, sizeof dir, "%s/child-fam", mine);
        rmdir(dir);
        struct timespec ts = {0, 10 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
}

/* The process group is all there is without cgroups: said, not hidden. */
static void without_cgroups_a_daemon_escapes(void **state) {
    struct ninesd *n = *state;
    pid_t leader, escapee;
    start(n, "off", &leader, &escapee);
    assert_false(in_child_cgroup(leader, "/child-fam"));
    kill(leader, SIGKILL);
    assert_true(ninesd_wait_started(n, "fam", WAIT_MS) > 0);
    struct timespec ts = {0, 300 * 1000 * 1000};
    nanosleep(&ts, NULL);
    bool survived = process_alive(escapee);
    kill(escapee, SIGKILL);
    kill(read_pid(n, "escapee"), SIGKILL);
    assert_true(survived);
}

static void by_default_an_undelegated_cgroup_is_not_used(void **state) {
    struct ninesd *n = *state;
    if (!mine[0])
        skip();
    const char *tree = harness_write_tree(n, "supervisor:\n  children:\n    - id: a\n      exec: [/bin/sleep, '1000']\n");
    ninesd_start(n, tree, NULL);
    pid_t a = ninesd_wait_started(n, "a", WAIT_MS);
    assert_true(a > 0);
    n->cursor = 0;
    assert_non_null(ninesd_wait(n, WAIT_MS, "event=cgroups", "no cgroup per child (its cgroup was not delegated", NULL));
    assert_false(in_child_cgroup(a, "/child-a"));
}

static void on_where_impossible_refuses_to_start(void **state) {
    struct ninesd *n = *state;
    if (!mine[0] || getuid() != 0)
        skip();
    /* A cgroup nobody but root may write, and ninesd run as nobody. */
    const char *tree = harness_write_tree(n, "supervisor:\n  children:\n    - id: a\n      exec: [/bin/sleep, '1000']\n");
    char cmd[1200];
    snprintf(cmd, sizeof cmd, "setpriv --reuid=65534 --regid=65534 --clear-groups %s --socket /tmp/nines-cg-%d.sock "
             "--cgroups on %s 2>&1; echo exit=$?", BUILD_PATH("ninesd"), (int)getpid(), tree);
    chmod(n->dir, 0755);
    chmod(tree, 0644);
    FILE *p = popen(cmd, "r");
    char out[2048] = "";
    size_t len = p ? fread(out, 1, sizeof out - 1, p) : 0;
    if (p)
        pclose(p);
    out[len] = '\0';
    assert_non_null(strstr(out, "--cgroups on: ninesd's cgroup is not writable by it"));
    assert_non_null(strstr(out, "exit=1"));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(a_restart_kills_what_left_the_group, harness_setup, harness_teardown),
        cmocka_unit_test_setup_teardown(a_sigkilled_ninesd_leaves_no_daemon, harness_setup, harness_teardown),
        cmocka_unit_test_setup_teardown(without_cgroups_a_daemon_escapes, harness_setup, harness_teardown),
        cmocka_unit_test_setup_teardown(by_default_an_undelegated_cgroup_is_not_used, harness_setup, harness_teardown),
        cmocka_unit_test_setup_teardown(on_where_impossible_refuses_to_start, harness_setup, harness_teardown),
    };
    return cmocka_run_group_tests(tests, enter_cgroup, leave_cgroup);
}
