/*
 * Integration: the warm worker hosts (supervisord/spare.h). A restart is
 * served by the spare that preloaded the child's module (its pid, its
 * child_started record saying load=preloaded, the module mapped in it
 * before the crash), with the child's path and args; a child of another
 * module gets a plain spare; a module file changed on disk after the
 * preload is loaded afresh with its checks (a newer build runs, one made
 * group-writable is refused, or whose folder was), never served from the
 * stale copy; spares
 * are replaced; killing one disturbs nothing; every start of a boot is
 * served by a spare; --no-spare never has one;
 * none is left behind when ninesd stops.
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
#include <string.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "control_client.h"
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

/* Whether /proc/PID/maps has `path` mapped (a dlopen'd module). */
static bool maps_file(pid_t pid, const char *path) {
    char name[64], line[1024];
    snprintf(name, sizeof name, "/proc/%d/maps", (int)pid);
    FILE *f = fopen(name, "r");
    bool found = false;
    while (f && !found && fgets(line, sizeof line, f)) {
        char *nl = strchr(line, '\n');
        if (nl)
            *nl = '\0';
        size_t len = strlen(line), plen = strlen(path);
        found = len >= plen && strcmp(line + len - plen, path) == 0;
    }
    if (f)
        fclose(f);
    return found;
}

/* Whether PID has a signalfd open: a preloading spare makes its loop's
 * sources once its module is loaded, just before it says so. */
static bool has_signalfd(pid_t pid) {
    char dir[64], path[400], target[128];
    snprintf(dir, sizeof dir, "/proc/%d/fd", (int)pid);
    DIR *d = opendir(dir);
    bool found = false;
    for (struct dirent *e; d && !found && (e = readdir(d));) {
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        ssize_t n = readlink(path, target, sizeof target - 1);
        target[n > 0 ? n : 0] = '\0';
        found = strstr(target, "signalfd") != NULL;
    }
    if (d)
        closedir(d);
    return found;
}

/* A spare host of ninesd's with `module` loaded and its preload done
 * (or, module NULL, one with no module loaded), other than `not`; -1 if
 * none comes. */
static pid_t spare_with(struct ninesd *n, const char *module, const char *any_module, pid_t not) {
    for (int tries = 0; tries < WAIT_MS / 10; tries++) {
        pid_t kids[64];
        int k = list_children(n->pid, kids, 64);
        for (int i = 0; i < k; i++)
            if (kids[i] != not && is_spare_host(kids[i]) &&
                (module ? maps_file(kids[i], module) && has_signalfd(kids[i]) : !maps_file(kids[i], any_module))) {
                usleep(20000); /* its PRELOADED message on its way */
                return kids[i];
            }
        usleep(10000);
    }
    return -1;
}

static void a_restart_is_served_by_the_spare(void **state) {
    struct ninesd *n = *state;
    const char *counter = BUILD_PATH("examples/counter.so");
    ninesd_start(n, counter_tree(n), NULL);
    pid_t a = ninesd_wait_started(n, "a", WAIT_MS);
    assert_true(a > 0);
    /* The only module started yet is the one preloaded. */
    pid_t spare = spare_with(n, counter, NULL, 0);
    assert_true(spare > 0);
    kill(a, SIGSEGV);
    const char *line = ninesd_wait_event(n, "child_started", "a", WAIT_MS);
    assert_non_null(line);
    assert_non_null(strstr(line, " load=preloaded"));
    assert_int_equal(atoi(strstr(line, " pid=") + 5), spare);
    /* It runs the child's module with the child's args, and says so in ps. */
    ninesd_pump(n, 100); /* its output came before its start */
    assert_int_equal(ninesd_count(n, "event=output", "child=a ", "counter: starting at 5", NULL), 2);
    char cmd[1024];
    cmdline(spare, cmd, sizeof cmd);
    assert_non_null(strstr(cmd, "nines-worker --module "));
    assert_non_null(strstr(cmd, "counter.so --child a"));
    /* ... and a new one takes its place. */
    pid_t next = spare_with(n, counter, NULL, spare);
    assert_true(next > 0 && next != spare);
}

/* A child of another module than the preloaded one gets a plain spare. */
static void another_module_gets_a_plain_spare(void **state) {
    struct ninesd *n = *state;
    const char *counter = BUILD_PATH("examples/counter.so"), *echo = BUILD_PATH("examples/echo.so");
    ninesd_start(n, harness_write_tree(n,
        "supervisor:\n  intensity: 10\n  period: 10s\n  children:\n"
        "    - {id: a, module: @BUILD@/examples/counter.so}\n"
        "    - {id: b, module: @BUILD@/examples/counter.so}\n"
        "    - {id: e, module: @BUILD@/examples/echo.so, args: {port: 0}}\n"), NULL);
    pid_t e = ninesd_wait_started(n, "e", WAIT_MS);
    assert_true(e > 0);
    /* Two counters started, one echo: counter is preloaded. */
    assert_true(spare_with(n, counter, NULL, 0) > 0);
    pid_t plain = spare_with(n, NULL, counter, 0);
    assert_true(plain > 0);
    kill(e, SIGKILL);
    const char *line = ninesd_wait_event(n, "child_started", "e", WAIT_MS);
    assert_non_null(line);
    assert_null(strstr(line, " load="));
    assert_int_equal(atoi(strstr(line, " pid=") + 5), plain);
    assert_true(maps_file(plain, echo));
}

/* DIR/apps/counter.so, a copy of counter.so, run as child c; the spare
 * that preloaded it. */
static pid_t start_copy(struct ninesd *n, char *module, size_t size, pid_t *spare) {
    char yaml[1024], cmd[4096];
    harness_write_tree(n, "");
    snprintf(module, size, "%s/apps", n->dir);
    mkdir(module, 0755);
    snprintf(module, size, "%s/apps/counter.so", n->dir);
    snprintf(cmd, sizeof cmd, "cp '%s' '%s' && chmod 0644 '%s'", BUILD_PATH("examples/counter.so"), module, module);
    assert_int_equal(system(cmd), 0);
    snprintf(yaml, sizeof yaml, "supervisor:\n  intensity: 10\n  children:\n    - id: c\n      module: %s\n", module);
    ninesd_start(n, harness_write_tree(n, yaml), NULL);
    pid_t pid = ninesd_wait_started(n, "c", WAIT_MS);
    assert_true(pid > 0);
    *spare = spare_with(n, module, NULL, 0);
    assert_true(*spare > 0);
    return pid;
}

/* The file replaced after the preload (a newer build, by a rename): the
 * restart, in the same spare process, runs the file as it is now. */
static void a_module_changed_after_the_preload_is_loaded_afresh(void **state) {
    struct ninesd *n = *state;
    char module[512], cmd[4096];
    pid_t spare, c = start_copy(n, module, sizeof module, &spare);
    snprintf(cmd, sizeof cmd, "cp '%s' '%s.new' && chmod 0644 '%s.new' && mv '%s.new' '%s'",
             BUILD_PATH("examples/counter-2.so"), module, module, module, module);
    assert_int_equal(system(cmd), 0);
    kill(c, SIGKILL);
    const char *line = ninesd_wait_event(n, "child_started", "c", WAIT_MS);
    assert_non_null(line);
    assert_null(strstr(line, " load="));
    assert_int_equal(atoi(strstr(line, " pid=") + 5), spare);
    struct answer ans;
    assert_int_equal(control_ask_once(n->socket, &ans, "call", "c", "version", NULL), 0);
    assert_string_equal(ans.data, "2.0.0");
}

/* The same file made writable by its group after the preload: refused at
 * the restart, as any load of it is. */
static void a_module_made_untrusted_after_the_preload_is_refused(void **state) {
    struct ninesd *n = *state;
    char module[512], want[1024];
    pid_t spare, c = start_copy(n, module, sizeof module, &spare);
    assert_int_equal(chmod(module, 0664), 0);
    kill(c, SIGKILL);
    snprintf(want, sizeof want, "module %s is writable by group", module);
    if (!ninesd_wait(n, WAIT_MS, want, NULL))
        fail_msg("no '%s' in ninesd's output:\n%s", want, n->log ? n->log : "");
    ninesd_pump(n, 200);
    assert_int_equal(ninesd_count(n, "event=child_started", "child=c ", NULL), 1);
}

/* A folder above it made writable by its group after the preload: the
 * same (the spare watches the folders, not only the file). */
static void a_folder_made_untrusted_after_the_preload_is_refused(void **state) {
    struct ninesd *n = *state;
    char module[512], folder[512], want[1200];
    pid_t spare, c = start_copy(n, module, sizeof module, &spare);
    snprintf(folder, sizeof folder, "%s/apps", n->dir);
    assert_int_equal(chmod(folder, 0775), 0);
    kill(c, SIGKILL);
    snprintf(want, sizeof want, "folder %s above module %s is writable by group", folder, module);
    if (!ninesd_wait(n, WAIT_MS, want, NULL))
        fail_msg("no '%s' in ninesd's output:\n%s", want, n->log ? n->log : "");
    ninesd_pump(n, 200);
    assert_int_equal(ninesd_count(n, "event=child_started", "child=c ", NULL), 1);
    chmod(folder, 0755);
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

/* A host spawned for its start shows the argv it was given (the worker
 * program's path first); a spare, the title it took for its child
 * ("nines-worker --module ..."). */
static bool spawned_for_its_start(pid_t pid) {
    char buf[4096];
    cmdline(pid, buf, sizeof buf);
    return buf[0] == '/';
}

/* A boot's starts come one after another with no idle turn between them
 * for the pool's refill: each start that takes a spare asks for the next
 * one at once, and one that finds a spare asked for but not yet made
 * waits for it rather than spawning a host of its own (every other start
 * of a 1,000-worker boot was one before). */
static void every_start_of_a_boot_is_served_by_a_spare(void **state) {
    struct ninesd *n = *state;
    enum { WORKERS = 200 };
    size_t size = WORKERS * 96 + 128, used;
    char *yaml = malloc(size);
    used = (size_t)snprintf(yaml, size, "supervisor:\n  intensity: 10\n  children:\n");
    for (int i = 0; i < WORKERS; i++)
        used += (size_t)snprintf(yaml + used, size - used, "    - {id: w%d, module: @BUILD@/tests/apps/trivial.so}\n", i);
    ninesd_start(n, harness_write_tree(n, yaml), NULL);
    free(yaml);
    /* Static children start in order: w0 first. */
    pid_t pids[WORKERS];
    for (int i = 0; i < WORKERS; i++) {
        char id[16];
        snprintf(id, sizeof id, "w%d", i);
        assert_true((pids[i] = ninesd_wait_started(n, id, WAIT_MS)) > 0);
    }
    assert_non_null(ninesd_wait(n, WAIT_MS, "event=tree_started", NULL));
    int own = 0;
    for (int i = 0; i < WORKERS; i++)
        own += spawned_for_its_start(pids[i]);
    assert_int_equal(own, 0);
}

static void no_spare_means_none(void **state) {
    struct ninesd *n = *state;
    ninesd_start(n, counter_tree(n), "--no-spare", NULL);
    pid_t a = ninesd_wait_started(n, "a", WAIT_MS);
    assert_true(a > 0);
    assert_true(spawned_for_its_start(a));
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
        cmocka_unit_test_setup_teardown(another_module_gets_a_plain_spare, harness_setup, harness_teardown),
        cmocka_unit_test_setup_teardown(a_module_changed_after_the_preload_is_loaded_afresh, harness_setup,
                                        harness_teardown),
        cmocka_unit_test_setup_teardown(a_module_made_untrusted_after_the_preload_is_refused, harness_setup,
                                        harness_teardown),
        cmocka_unit_test_setup_teardown(a_folder_made_untrusted_after_the_preload_is_refused, harness_setup,
                                        harness_teardown),
        cmocka_unit_test_setup_teardown(killing_the_spare_disturbs_nothing, harness_setup, harness_teardown),
        cmocka_unit_test_setup_teardown(every_start_of_a_boot_is_served_by_a_spare, harness_setup,
                                        harness_teardown),
        cmocka_unit_test_setup_teardown(no_spare_means_none, harness_setup, harness_teardown),
        cmocka_unit_test_setup_teardown(the_spare_goes_when_ninesd_stops, harness_setup, harness_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
