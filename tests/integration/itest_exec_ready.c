/*
 * Integration: the exec-ready process (supervisord/exec_ready.h) on the
 * real ninesd. After an exec child's start the launcher makes the next
 * one's process ahead (`nines-worker --ready`, ninesd's child, its own
 * process group); the child's restart runs in it, and is the same child a
 * clone of the launcher would have made: the same environment, only
 * descriptors 0-2, its own group. One killed while it waits is replaced
 * and the restart is still made; an exec that fails in it is said and
 * ends as from the launcher. (Its cgroup: itest_cgroup.)
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
#include <unistd.h>

#include "harness.h"

#define WAIT_MS 10000

static const char sleeper[] = "supervisor:\n  intensity: 100\n  period: 60s\n  children:\n"
                              "    - id: s\n      exec: [sleep, '1000']\n      env: {ITEST_VAR: its-value}\n";

/* A file of /proc/PID, NULs made newlines; "" if unreadable. */
static void proc_file(pid_t pid, const char *name, char *buf, size_t size) {
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/%s", (int)pid, name);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    ssize_t r = fd >= 0 ? read(fd, buf, size - 1) : 0;
    if (fd >= 0)
        close(fd);
    r = r < 0 ? 0 : r;
    for (ssize_t i = 0; i < r; i++)
        if (buf[i] == '\0')
            buf[i] = '\n';
    buf[r] = '\0';
}

/* Once pid runs `program` (its exec done): argv[0]'s base name. */
static bool wait_runs(pid_t pid, const char *program) {
    char buf[256];
    for (int i = 0; i < WAIT_MS / 5; i++, usleep(5000)) {
        proc_file(pid, "cmdline", buf, sizeof buf);
        const char *nl = strchr(buf, '\n'), *base = memrchr(buf, '/', nl ? (size_t)(nl - buf) : strlen(buf));
        base = base ? base + 1 : buf;
        if (strncmp(base, program, strlen(program)) == 0 && base[strlen(program)] == '\n')
            return true;
    }
    return false;
}

/* Its descriptors, "0 1 2 " in order. */
static void fds_of(pid_t pid, char *out, size_t size) {
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/fd", (int)pid);
    bool open_fd[64] = {false};
    DIR *d = opendir(path);
    for (struct dirent *e; d && (e = readdir(d));)
        if (e->d_name[0] != '.' && atoi(e->d_name) < 64)
            open_fd[atoi(e->d_name)] = true;
    if (d)
        closedir(d);
    size_t used = 0;
    out[0] = '\0';
    for (int i = 0; i < 64 && used < size; i++)
        if (open_fd[i])
            used += (size_t)snprintf(out + used, size - used, "%d ", i);
}

static pid_t group_of(pid_t pid) {
    return getpgid(pid);
}

static void a_restart_runs_in_the_process_made_ahead(void **state) {
    struct ninesd *n = *state;
    ninesd_start(n, harness_write_tree(n, sleeper), NULL);
    pid_t first = ninesd_wait_started(n, "s", WAIT_MS);
    assert_true(first > 0 && wait_runs(first, "sleep"));
    pid_t ready = find_exec_ready(n->pid, WAIT_MS);
    assert_true(ready > 0);
    assert_int_equal(group_of(ready), ready);
    static char env1[65536], env2[65536];
    char fds[256];
    proc_file(first, "environ", env1, sizeof env1);
    assert_non_null(strstr(env1, "ITEST_VAR=its-value\n"));
    assert_null(strstr(env1, "NINES_PARENT_PID="));
    kill(first, SIGKILL);
    pid_t second = ninesd_wait_started(n, "s", WAIT_MS);
    assert_int_equal(second, ready);
    assert_true(wait_runs(second, "sleep"));
    assert_int_equal(harness_parent_of(second), n->pid);
    assert_int_equal(group_of(second), second);
    /* The same child a clone of the launcher made. */
    proc_file(second, "environ", env2, sizeof env2);
    assert_string_equal(env2, env1);
    fds_of(second, fds, sizeof fds);
    assert_string_equal(fds, "0 1 2 ");
    /* And the next one made for the restart after. */
    pid_t next = -1;
    for (int i = 0; i < WAIT_MS / 10 && (next = find_exec_ready(n->pid, 10)) == ready; i++)
        ;
    assert_true(next > 0 && next != ready);
    assert_int_equal(count_children(n->pid), 1);
}

static void a_ready_process_killed_while_it_waits_is_replaced(void **state) {
    struct ninesd *n = *state;
    ninesd_start(n, harness_write_tree(n, sleeper), NULL);
    pid_t first = ninesd_wait_started(n, "s", WAIT_MS);
    pid_t ready = find_exec_ready(n->pid, WAIT_MS);
    assert_true(first > 0 && ready > 0);
    kill(ready, SIGKILL);
    assert_true(wait_process_gone(ready, WAIT_MS));
    kill(first, SIGKILL);
    pid_t second = ninesd_wait_started(n, "s", WAIT_MS);
    assert_true(second > 0 && second != ready && second != first);
    assert_true(wait_runs(second, "sleep"));
    pid_t next = find_exec_ready(n->pid, WAIT_MS);
    assert_true(next > 0 && next != ready);
    kill(second, SIGKILL);
    assert_int_equal(ninesd_wait_started(n, "s", WAIT_MS), next);
    assert_int_equal(count_children(n->pid), 1);
}

/* A program the kernel cannot run (no ELF, no #!): execve says ENOEXEC.
 * The first start runs a script; the file is then replaced by one that is
 * no program and the child killed: its restart, in the ready process made
 * after the first start, says so on the child's stderr and exits 127, as
 * the launcher's clone does. */
static void a_failed_exec_in_it_is_said_as_from_the_launcher(void **state) {
    struct ninesd *n = *state;
    char prog[512], next[600], tree[1024];
    snprintf(prog, sizeof prog, "%s/a-program", n->dir);
    snprintf(next, sizeof next, "%s.new", prog);
    FILE *f = fopen(prog, "w");
    assert_non_null(f);
    fputs("#!/bin/sh\nexec sleep 1000\n", f);
    fclose(f);
    chmod(prog, 0755);
    snprintf(tree, sizeof tree, "supervisor:\n  intensity: 1\n  period: 60s\n  children:\n"
             "    - id: bad\n      exec: [%s]\n", prog);
    ninesd_start(n, harness_write_tree(n, tree), NULL);
    pid_t first = ninesd_wait_started(n, "bad", WAIT_MS);
    pid_t ready = find_exec_ready(n->pid, WAIT_MS);
    assert_true(first > 0 && ready > 0);
    f = fopen(next, "w");
    assert_non_null(f);
    fputs("just some words\n", f);
    fclose(f);
    chmod(next, 0755);
    assert_int_equal(rename(next, prog), 0);
    kill(first, SIGKILL);
    char started[64], said[64];
    snprintf(started, sizeof started, " pid=%d ", (int)ready);
    snprintf(said, sizeof said, " pid=%d stream=stderr", (int)ready);
    assert_non_null(ninesd_wait(n, WAIT_MS, "event=child_started", started, NULL));
    assert_non_null(ninesd_wait(n, WAIT_MS, said, "cannot run ", ": Exec format error", NULL));
    assert_non_null(ninesd_wait(n, WAIT_MS, "event=child_terminated", started, "exit status 127", NULL));
}

/* The output given to the ready process ahead is the child's, all of it:
 * a restart in it logs what the program writes, and a last line with no
 * newline, written just before a SIGKILL of itself, before its end. */
/* The pipe behind descriptor fd of pid: its inode, or 0. */
static unsigned long pipe_of(pid_t pid, int fd) {
    char path[64], link[64] = "";
    snprintf(path, sizeof path, "/proc/%d/fd/%d", (int)pid, fd);
    ssize_t len = readlink(path, link, sizeof link - 1);
    unsigned long ino = 0;
    if (len > 0 && (link[len] = '\0', sscanf(link, "pipe:[%lu]", &ino) == 1))
        return ino;
    return 0;
}

/* The open flags of pid's descriptor on pipe `ino` (fdinfo), or -1. */
static int flags_on_pipe(pid_t pid, unsigned long ino) {
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/fd", (int)pid);
    DIR *d = opendir(path);
    int flags = -1;
    for (struct dirent *e; d && (e = readdir(d));) {
        if (e->d_name[0] == '.' || pipe_of(pid, atoi(e->d_name)) != ino)
            continue;
        char info[4096], name[32];
        snprintf(name, sizeof name, "fdinfo/%d", atoi(e->d_name));
        proc_file(pid, name, info, sizeof info);
        const char *f = strstr(info, "flags:");
        flags = f ? (int)strtol(f + 6, NULL, 8) : -1;
    }
    if (d)
        closedir(d);
    return flags;
}

/* ninesd's end of each output pipe of a child started in the ready
 * process is read-write: ninesd is a writer too, so the child's exit
 * hangs nothing up (pipe(7)) and wakes ninesd once, for its SIGCHLD,
 * instead of once per stream before it. One descriptor, as before. */
static void the_output_made_ahead_is_read_write_on_ninesds_side(void **state) {
    struct ninesd *n = *state;
    ninesd_start(n, harness_write_tree(n, sleeper), NULL);
    pid_t first = ninesd_wait_started(n, "s", WAIT_MS);
    pid_t ready = find_exec_ready(n->pid, WAIT_MS);
    assert_true(first > 0 && ready > 0);
    kill(first, SIGKILL);
    assert_int_equal(ninesd_wait_started(n, "s", WAIT_MS), ready);
    assert_true(wait_runs(ready, "sleep"));
    for (int fd = 1; fd <= 2; fd++) {
        unsigned long ino = pipe_of(ready, fd);
        assert_true(ino != 0);
        int flags = flags_on_pipe(n->pid, ino);
        assert_true(flags >= 0);
        assert_int_equal(flags & O_ACCMODE, O_RDWR);
        assert_int_equal(flags_on_pipe(ready, ino) & O_ACCMODE, O_WRONLY);
    }
}

static void the_output_made_ahead_is_read_to_its_last_byte(void **state) {
    struct ninesd *n = *state;
    ninesd_start(n, harness_write_tree(n,
        "supervisor:\n  intensity: 100\n  period: 60s\n  children:\n"
        "    - id: t\n      exec: [/bin/sh, -c, 'sleep 0.3; echo whole-$$; printf partial-$$ >&2; kill -9 $$']\n"),
        NULL);
    pid_t first = ninesd_wait_started(n, "t", WAIT_MS);
    pid_t ready = find_exec_ready(n->pid, WAIT_MS);
    assert_true(first > 0 && ready > 0);
    char started[64], whole[64], partial[96];
    snprintf(started, sizeof started, " pid=%d ", (int)ready);
    snprintf(whole, sizeof whole, "whole-%d", (int)ready);
    snprintf(partial, sizeof partial, "stream=stderr msg=partial-%d", (int)ready);
    /* The first one kills itself; its restart runs in the ready process. */
    const char *line = ninesd_wait(n, WAIT_MS, "event=child_terminated", started, NULL);
    assert_non_null(line);
    const char *end = strstr(n->log, line); /* where it is in the log */
    assert_non_null(end);
    const char *w = strstr(n->log, whole), *p = strstr(n->log, partial);
    assert_non_null(w);
    assert_non_null(p);
    assert_true(w < end);
    assert_true(p < end);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(a_restart_runs_in_the_process_made_ahead, harness_setup, harness_teardown),
        cmocka_unit_test_setup_teardown(a_ready_process_killed_while_it_waits_is_replaced, harness_setup,
                                        harness_teardown),
        cmocka_unit_test_setup_teardown(a_failed_exec_in_it_is_said_as_from_the_launcher, harness_setup,
                                        harness_teardown),
        cmocka_unit_test_setup_teardown(the_output_made_ahead_is_read_to_its_last_byte, harness_setup,
                                        harness_teardown),
        cmocka_unit_test_setup_teardown(the_output_made_ahead_is_read_write_on_ninesds_side, harness_setup,
                                        harness_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
