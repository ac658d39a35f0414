/*
 * Integration: worker hosts made as forks of the already linked launcher
 * (worker/launch_fork.c) on the real ninesd. A spare and a worker are
 * forks (they share the launcher's mappings, where an exec'd host has its
 * own), ninesd's children, with nothing open but /dev/null, their output
 * and their own channel (none of the launcher's), no signal blocked or
 * caught, the name and command line an exec'd host shows; they run the
 * module, serve restarts and die with ninesd. --exec-hosts execs every
 * host. A nines-worker replaced on disk (a release) is never run stale:
 * the next host is exec'd from the new file and the launcher renews
 * itself from it, same pid, so that the hosts after are forks of the new
 * code.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "control_client.h"
#include "harness.h"

#define WAIT_MS 10000

static const char *counter_tree(struct ninesd *n) {
    return harness_write_tree(n, "supervisor:\n  intensity: 20\n  period: 10s\n  children:\n"
                                 "    - id: a\n      module: @BUILD@/examples/counter.so\n      args: {start: 5}\n"
                                 "    - id: b\n      exec: [/bin/sleep, '1000']\n");
}

/* Where the vDSO is in PID: a fork has its parent's; an exec, with
 * address-space randomisation on, its own. (Not libc's mapping: a forked
 * host maps no file of the launcher's, worker/launch_text.h.) */
static unsigned long layout_base(pid_t pid) {
    char path[64], line[512];
    snprintf(path, sizeof path, "/proc/%d/maps", (int)pid);
    FILE *f = fopen(path, "r");
    unsigned long base = 0;
    while (f && !base && fgets(line, sizeof line, f))
        if (strstr(line, "[vdso]"))
            base = strtoul(line, NULL, 16);
    if (f)
        fclose(f);
    return base;
}

static bool aslr_on(void) {
    FILE *f = fopen("/proc/sys/kernel/randomize_va_space", "r");
    int v = 0;
    if (f) {
        if (fscanf(f, "%d", &v) != 1)
            v = 0;
        fclose(f);
    }
    return v != 0;
}

/* A line of /proc/PID/status ("SigBlk:"), its value as hex. */
static unsigned long long status_hex(pid_t pid, const char *key) {
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    FILE *f = fopen(path, "r");
    unsigned long long v = ~0ull;
    while (f && fgets(line, sizeof line, f))
        if (strncmp(line, key, strlen(key)) == 0)
            v = strtoull(line + strlen(key), NULL, 16);
    if (f)
        fclose(f);
    return v;
}

/* What descriptor fd of PID points to ("" if none). */
static const char *fd_target(pid_t pid, int fd, char *buf, size_t size) {
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/fd/%d", (int)pid, fd);
    ssize_t n = readlink(path, buf, size - 1);
    buf[n > 0 ? n : 0] = '\0';
    return buf;
}

static void read_small(const char *path, char *buf, size_t size) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    ssize_t r = fd >= 0 ? read(fd, buf, size - 1) : -1;
    if (fd >= 0)
        close(fd);
    buf[r > 0 ? r : 0] = '\0';
}

/* Whether PID has `path` mapped (a dlopen'd module). */
static bool maps_file(pid_t pid, const char *path) {
    char name[64], line[1024];
    snprintf(name, sizeof name, "/proc/%d/maps", (int)pid);
    FILE *f = fopen(name, "r");
    bool found = false;
    while (f && !found && fgets(line, sizeof line, f))
        found = strstr(line, path) != NULL;
    if (f)
        fclose(f);
    return found;
}

/* A spare of ninesd's that has loaded no module (not the preloading one). */
static pid_t plain_spare(struct ninesd *n) {
    for (int tries = 0; tries < WAIT_MS / 10; tries++) {
        pid_t kids[64];
        int k = list_children(n->pid, kids, 64);
        for (int i = 0; i < k; i++)
            if (is_spare_host(kids[i]) && !maps_file(kids[i], "counter.so") && harness_count_fds(kids[i]) == 4)
                return kids[i];
        usleep(10000);
    }
    return -1;
}

static ino_t exe_inode(pid_t pid) {
    char path[64];
    struct stat st;
    snprintf(path, sizeof path, "/proc/%d/exe", (int)pid);
    return stat(path, &st) == 0 ? st.st_ino : 0;
}

static void a_spare_is_a_clean_fork_of_the_launcher(void **state) {
    struct ninesd *n = *state;
    ninesd_start(n, counter_tree(n), NULL);
    assert_true(ninesd_wait_started(n, "a", WAIT_MS) > 0);
    pid_t launcher = find_launcher(n->pid, WAIT_MS), spare = plain_spare(n);
    assert_true(launcher > 0 && spare > 0);
    /* A fork of the launcher, ninesd's child. */
    assert_int_equal(harness_parent_of(spare), n->pid);
    assert_true(layout_base(spare) != 0);
    assert_true(layout_base(spare) == layout_base(launcher));
    /* Its code and libc are mapped from the launcher image's own memory
     * file: no file of theirs is in its maps, nor in the launcher's
     * (launch_text.h). */
    assert_true(maps_file(spare, "/memfd:nines-launcher-image"));
    assert_true(maps_file(launcher, "/memfd:nines-launcher-image"));
    assert_false(maps_file(spare, "libc.so"));
    assert_false(maps_file(spare, "nines-worker"));
    assert_false(maps_file(launcher, "libc.so"));
    assert_false(maps_file(launcher, "ld-linux"));
    /* Open: stdin /dev/null, its output, its own channel; nothing else
     * (the launcher's channel, /dev/null and folder are not inherited). */
    char t[256], l3[256];
    assert_int_equal(harness_count_fds(spare), 4);
    assert_string_equal(fd_target(spare, 0, t, sizeof t), "/dev/null");
    assert_non_null(strstr(fd_target(spare, 1, t, sizeof t), "socket:"));
    assert_non_null(strstr(fd_target(spare, 2, t, sizeof t), "socket:"));
    assert_non_null(strstr(fd_target(spare, 3, t, sizeof t), "socket:"));
    assert_string_not_equal(fd_target(spare, 3, t, sizeof t), fd_target(launcher, 3, l3, sizeof l3));
    /* No signal blocked or caught. */
    assert_int_equal(status_hex(spare, "SigBlk:"), 0);
    assert_int_equal(status_hex(spare, "SigCgt:"), 0);
    /* ps shows it as an exec'd spare: its name and `nines-worker --spare`. */
    char path[64], comm[64], cmd[2048];
    snprintf(path, sizeof path, "/proc/%d/comm", (int)spare);
    read_small(path, comm, sizeof comm);
    assert_string_equal(comm, "nines-worker\n");
    assert_true(is_spare_host(spare));
    snprintf(path, sizeof path, "/proc/%d/cmdline", (int)spare);
    read_small(path, cmd, sizeof cmd);
    assert_string_equal(cmd, BUILD_PATH("nines-worker"));
    /* Its own process group, as every child. */
    assert_int_equal(getpgid(spare), spare);
}

/* Every start a fork (--no-spare: cold starts): the module runs, with its
 * args, and answers; a restart is a fork again. */
static void a_forked_worker_runs_its_module_and_restarts(void **state) {
    struct ninesd *n = *state;
    ninesd_start(n, counter_tree(n), "--no-spare", NULL);
    pid_t a = ninesd_wait_started(n, "a", WAIT_MS), launcher = find_launcher(n->pid, WAIT_MS);
    assert_true(a > 0 && launcher > 0);
    for (int round = 0; round < 3; round++) {
        assert_int_equal(harness_parent_of(a), n->pid);
        assert_true(layout_base(a) == layout_base(launcher));
        assert_int_equal(status_hex(a, "SigCgt:"), 0);
        assert_false(maps_file(a, "libc.so"));   /* the launcher image's copy */
        assert_true(maps_file(a, "counter.so")); /* its module, from the file */
        struct answer ans;
        assert_int_equal(control_ask_once(n->socket, &ans, "call", "a", "get", NULL), 0);
        assert_true(atoi(ans.data) >= 5);
        char cmd[2048], path[64];
        snprintf(path, sizeof path, "/proc/%d/cmdline", (int)a);
        read_small(path, cmd, sizeof cmd);
        assert_string_equal(cmd, BUILD_PATH("nines-worker")); /* then --module ... */
        kill(a, SIGKILL);
        pid_t again = ninesd_wait_started(n, "a", WAIT_MS);
        assert_true(again > 0 && again != a);
        a = again;
    }
    ninesd_pump(n, 100);
    assert_int_equal(ninesd_count(n, "event=output", "child=a ", "counter: starting at 5", NULL), 4);
}

static void forked_hosts_die_with_ninesd(void **state) {
    struct ninesd *n = *state;
    ninesd_start(n, counter_tree(n), NULL);
    pid_t a = ninesd_wait_started(n, "a", WAIT_MS), spare = plain_spare(n);
    assert_true(a > 0 && spare > 0);
    assert_true(layout_base(a) == layout_base(spare));
    kill(n->pid, SIGKILL);
    assert_true(ninesd_wait_exit(n, WAIT_MS));
    assert_true(wait_process_gone(a, WAIT_MS));
    assert_true(wait_process_gone(spare, WAIT_MS));
}

/* The opt-out: every host exec'd, each with its own layout. */
static void exec_hosts_execs_every_host(void **state) {
    struct ninesd *n = *state;
    if (!aslr_on())
        skip();
    ninesd_start(n, counter_tree(n), "--exec-hosts", NULL);
    pid_t a = ninesd_wait_started(n, "a", WAIT_MS);
    pid_t launcher = find_launcher(n->pid, WAIT_MS), spare = plain_spare(n);
    assert_true(a > 0 && launcher > 0 && spare > 0);
    unsigned long la = layout_base(launcher);
    assert_true(la != 0 && layout_base(a) != la && layout_base(spare) != la && layout_base(a) != layout_base(spare));
    assert_true(maps_file(a, "libc.so")); /* exec'd: its own mappings of the files */
    assert_false(maps_file(a, "/memfd:nines-launcher-image"));
    kill(a, SIGKILL);
    pid_t again = ninesd_wait_started(n, "a", WAIT_MS);
    assert_true(again > 0 && layout_base(again) != la);
    struct answer ans;
    assert_int_equal(control_ask_once(n->socket, &ans, "call", "a", "get", NULL), 0);
}

/* A release replaces nines-worker (a new file by a rename): the next host
 * runs the new file, never the launcher's old image, and the launcher
 * renews itself from it (same pid) so that later hosts are its forks. */
static void a_replaced_worker_binary_is_not_run_stale(void **state) {
    struct ninesd *n = *state;
    char worker[512], cmd[2048];
    const char *tree = counter_tree(n);
    snprintf(worker, sizeof worker, "%s/nines-worker", n->dir);
    snprintf(cmd, sizeof cmd, "cp '%s' '%s'", BUILD_PATH("nines-worker"), worker);
    assert_int_equal(system(cmd), 0);
    ninesd_start(n, tree, "--no-spare", "--worker", worker, NULL);
    pid_t a = ninesd_wait_started(n, "a", WAIT_MS), launcher = find_launcher(n->pid, WAIT_MS);
    assert_true(a > 0 && launcher > 0);
    struct stat old;
    assert_int_equal(stat(worker, &old), 0);
    assert_true(exe_inode(a) == old.st_ino && layout_base(a) == layout_base(launcher));
    snprintf(cmd, sizeof cmd, "cp '%s' '%s.new' && mv '%s.new' '%s'", BUILD_PATH("nines-worker"), worker, worker,
             worker);
    assert_int_equal(system(cmd), 0);
    struct stat now;
    assert_int_equal(stat(worker, &now), 0);
    assert_true(now.st_ino != old.st_ino);
    kill(a, SIGKILL);
    pid_t b = ninesd_wait_started(n, "a", WAIT_MS);
    assert_true(b > 0);
    assert_true(exe_inode(b) == now.st_ino);
    /* The launcher is the new file now, the same process. */
    for (int i = 0; i < 200 && exe_inode(launcher) != now.st_ino; i++)
        usleep(10000);
    assert_true(exe_inode(launcher) == now.st_ino);
    assert_int_equal(find_launcher(n->pid, WAIT_MS), launcher);
    kill(b, SIGKILL);
    pid_t c = ninesd_wait_started(n, "a", WAIT_MS);
    assert_true(c > 0 && exe_inode(c) == now.st_ino && layout_base(c) == layout_base(launcher));
    struct answer ans;
    assert_int_equal(control_ask_once(n->socket, &ans, "call", "a", "get", NULL), 0);
    ninesd_pump(n, 50);
    assert_int_equal(ninesd_count(n, "event=launcher_lost", NULL), 0);
}

/* The same with the spare pool: spares made before the replacement are
 * old code and are not handed the next start; the restarted child runs
 * the new file. */
static void spares_made_before_a_replaced_binary_are_not_used(void **state) {
    struct ninesd *n = *state;
    char worker[512], cmd[2048];
    const char *tree = counter_tree(n);
    snprintf(worker, sizeof worker, "%s/nines-worker", n->dir);
    snprintf(cmd, sizeof cmd, "cp '%s' '%s'", BUILD_PATH("nines-worker"), worker);
    assert_int_equal(system(cmd), 0);
    ninesd_start(n, tree, "--worker", worker, NULL);
    pid_t a = ninesd_wait_started(n, "a", WAIT_MS), spare = find_spare_host(n->pid, WAIT_MS);
    assert_true(a > 0 && spare > 0);
    struct stat old, now;
    assert_int_equal(stat(worker, &old), 0);
    assert_true(exe_inode(spare) == old.st_ino);
    snprintf(cmd, sizeof cmd, "cp '%s' '%s.new' && mv '%s.new' '%s'", BUILD_PATH("nines-worker"), worker, worker,
             worker);
    assert_int_equal(system(cmd), 0);
    assert_int_equal(stat(worker, &now), 0);
    kill(a, SIGKILL);
    pid_t b = ninesd_wait_started(n, "a", WAIT_MS);
    assert_true(b > 0);
    assert_true(exe_inode(b) == now.st_ino);
    assert_true(wait_process_gone(spare, WAIT_MS));
    /* New spares come, of the new file. */
    pid_t fresh = -1;
    for (int i = 0; i < 300 && fresh < 0; i++, usleep(10000)) {
        pid_t s = find_spare_host(n->pid, 10);
        fresh = s > 0 && exe_inode(s) == now.st_ino ? s : -1;
    }
    assert_true(fresh > 0);
    struct answer ans;
    assert_int_equal(control_ask_once(n->socket, &ans, "call", "a", "get", NULL), 0);
}

/* A launcher image forks at most LAUNCH_FORKS_PER_IMAGE (256) hosts, then
 * execs itself again (same pid, no launcher_lost): hosts of 300 workers
 * come from at least two images, each with its own layout, every one
 * ninesd's child and running. */
static void the_launcher_renews_itself_after_its_share_of_forks(void **state) {
    struct ninesd *n = *state;
    if (!aslr_on())
        skip();
    enum { WORKERS = 300 };
    size_t size = WORKERS * 96 + 128, used;
    char *yaml = malloc(size);
    used = (size_t)snprintf(yaml, size, "supervisor:\n  intensity: 10\n  children:\n");
    for (int i = 0; i < WORKERS; i++)
        used += (size_t)snprintf(yaml + used, size - used, "    - {id: w%d, module: @BUILD@/tests/apps/trivial.so}\n", i);
    ninesd_start(n, harness_write_tree(n, yaml), "--no-spare", NULL);
    free(yaml);
    pid_t launcher = find_launcher(n->pid, WAIT_MS);
    /* Static children start in order: w0 first, w299 last. */
    pid_t first = ninesd_wait_started(n, "w0", WAIT_MS * 3), last = ninesd_wait_started(n, "w299", WAIT_MS * 3);
    assert_true(launcher > 0);
    assert_non_null(ninesd_wait(n, WAIT_MS * 3, "event=tree_started", NULL));
    assert_true(first > 0 && last > 0);
    assert_int_equal(harness_parent_of(first), n->pid);
    assert_int_equal(harness_parent_of(last), n->pid);
    assert_true(layout_base(first) != layout_base(last));
    assert_true(layout_base(last) == layout_base(launcher));
    assert_int_equal(find_launcher(n->pid, WAIT_MS), launcher);
    assert_int_equal(ninesd_count(n, "event=launcher_lost", NULL), 0);
    assert_int_equal(ninesd_count(n, "event=child_started", NULL), WORKERS);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(a_spare_is_a_clean_fork_of_the_launcher, harness_setup, harness_teardown),
        cmocka_unit_test_setup_teardown(a_forked_worker_runs_its_module_and_restarts, harness_setup,
                                        harness_teardown),
        cmocka_unit_test_setup_teardown(forked_hosts_die_with_ninesd, harness_setup, harness_teardown),
        cmocka_unit_test_setup_teardown(exec_hosts_execs_every_host, harness_setup, harness_teardown),
        cmocka_unit_test_setup_teardown(a_replaced_worker_binary_is_not_run_stale, harness_setup,
                                        harness_teardown),
        cmocka_unit_test_setup_teardown(the_launcher_renews_itself_after_its_share_of_forks, harness_setup,
                                        harness_teardown),
        cmocka_unit_test_setup_teardown(spares_made_before_a_replaced_binary_are_not_used, harness_setup,
                                        harness_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
