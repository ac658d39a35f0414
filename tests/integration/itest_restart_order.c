/*
 * Integration: the order of a restart (child_proc.c). When a worker dies
 * and the preloading spare takes its place, or an exec child dies and the
 * exec-ready process runs the next one, ninesd kills what the old process
 * left in its process group before it sends the new one its START (its
 * request), writes the log's records of the end only after it (they
 * decide nothing), then does the bookkeeping (the warden told of the new
 * group and of the old one gone), and tells the warden the old group is
 * gone before it reaps the old leader (whose number could then be
 * reused). The order is read from the system calls of the real ninesd
 * (strace attached to it); the log keeps its own order: what the old
 * process wrote, then child_terminated, then child_started.
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
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"
#include "harness_run.h"

#define WAIT_MS 5000

static const char *kid_tree(struct ninesd *n) {
    return harness_write_tree(n,
        "supervisor:\n  intensity: 10\n  period: 10s\n  children:\n"
        "    - id: w\n      module: @BUILD@/tests/apps/group_kid.so\n");
}

/* One traced system call: its name, the first argument as a number, and
 * its first string argument decoded (strace -xx writes every byte as \xNN). */
struct call {
    char name[16];
    long first;
    unsigned char bytes[600];
    size_t n_bytes;
    char line[3000];
};

static size_t read_calls(const char *path, struct call *v, size_t max) {
    FILE *f = fopen(path, "r");
    size_t n = 0;
    if (!f)
        return 0;
    while (n < max && fgets(v[n].line, sizeof v[n].line, f)) {
        struct call *c = &v[n];
        if (sscanf(c->line, "%15[a-z0-9_](%ld", c->name, &c->first) != 2 &&
            sscanf(c->line, "%15[a-z0-9_](P_PID, %ld", c->name, &c->first) != 2 &&
            sscanf(c->line, "%15[a-z0-9_]([%ld", c->name, &c->first) != 2) /* pipe2([r, w], ...) */
            continue;
        c->n_bytes = 0;
        const char *q = strchr(c->line, '"');
        for (const char *p = q ? q + 1 : ""; p[0] == '\\' && p[1] == 'x' && c->n_bytes < sizeof c->bytes; p += 4)
            c->bytes[c->n_bytes++] = (unsigned char)strtoul((char[]){p[2], p[3], 0}, NULL, 16);
        n++;
    }
    fclose(f);
    return n;
}

static bool bytes_contain(const struct call *c, const char *text) {
    size_t len = strlen(text);
    for (size_t i = 0; i + len <= c->n_bytes; i++)
        if (memcmp(c->bytes + i, text, len) == 0)
            return true;
    return false;
}

/* The first call from `from` on that `match` accepts, or -1. */
static long find(const struct call *v, size_t n, size_t from, bool (*match)(const struct call *, pid_t), pid_t pid) {
    for (size_t i = from; i < n; i++)
        if (match(&v[i], pid))
            return (long)i;
    return -1;
}

static bool is_peek(const struct call *c, pid_t pid) {
    return strcmp(c->name, "waitid") == 0 && c->first == pid && strstr(c->line, "WNOWAIT");
}

static bool is_reap(const struct call *c, pid_t pid) {
    return strcmp(c->name, "waitid") == 0 && c->first == pid && !strstr(c->line, "WNOWAIT");
}

static bool is_group_kill(const struct call *c, pid_t pid) {
    return strcmp(c->name, "kill") == 0 && c->first == -pid && strstr(c->line, "SIGKILL");
}

/* A channel message of type NINES_MSG_START (103), little-endian. */
static bool is_start(const struct call *c, pid_t pid) {
    static const unsigned char start[4] = {103, 0, 0, 0};
    return strcmp(c->name, "sendmsg") == 0 && c->n_bytes >= 4 && memcmp(c->bytes, start, 4) == 0;
}

static bool is_end_record(const struct call *c, pid_t pid) {
    char field[32];
    snprintf(field, sizeof field, " pid=%d ", (int)pid);
    return strcmp(c->name, "write") == 0 && bytes_contain(c, "event=child_terminated") && bytes_contain(c, field);
}

/* The warden told of a group (+pgid) or that it is gone (-pgid), 4 bytes. */
static bool is_warden_pid(const struct call *c, int32_t v) {
    return strcmp(c->name, "sendto") == 0 && c->n_bytes == 4 && memcmp(c->bytes, &v, 4) == 0;
}

static bool is_warden_forget(const struct call *c, pid_t pid) {
    return is_warden_pid(c, -(int32_t)pid);
}

static bool is_warden_add(const struct call *c, pid_t pid) {
    return is_warden_pid(c, (int32_t)pid);
}

/* An exec child's request (to the exec-ready process or the launcher):
 * the only message that carries the child's own command line. */
static bool is_exec_request(const struct call *c, pid_t pid) {
    return strcmp(c->name, "sendmsg") == 0 && bytes_contain(c, "order_kid");
}

static bool is_pipe(const struct call *c, pid_t pid) {
    return strcmp(c->name, "pipe2") == 0;
}

static bool is_start_record(const struct call *c, pid_t pid) {
    char field[32];
    snprintf(field, sizeof field, " pid=%d ", (int)pid);
    return strcmp(c->name, "write") == 0 && bytes_contain(c, "event=child_started") && bytes_contain(c, field);
}

/* Where the line holding all of `a` and `b` starts in the log, or -1. */
static long log_at(struct ninesd *n, const char *a, const char *b) {
    for (const char *line = n->log; line && *line;) {
        const char *end = strchr(line, '\n');
        size_t len = end ? (size_t)(end - line) : strlen(line);
        char copy[2048];
        snprintf(copy, sizeof copy, "%.*s", (int)len, line);
        if (strstr(copy, a) && strstr(copy, b))
            return line - n->log;
        line = end ? end + 1 : NULL;
    }
    return -1;
}

/* The kid an incarnation said it left (its "group_kid: kid PID" line,
 * logged before its child_started). */
static pid_t kid_of(struct ninesd *n, pid_t worker) {
    char pid[32];
    snprintf(pid, sizeof pid, " pid=%d ", (int)worker);
    long at = log_at(n, "group_kid: kid ", pid);
    return at >= 0 ? (pid_t)atoi(strstr(n->log + at, "group_kid: kid ") + 15) : -1;
}

static void the_old_group_is_killed_before_the_spare_starts(void **state) {
    struct ninesd *n = *state;
    if (access(STRACE_PATH, X_OK) != 0)
        skip(); /* the order is read from strace */
    ninesd_start(n, kid_tree(n), NULL);
    pid_t old = ninesd_wait_started(n, "w", WAIT_MS);
    assert_true(old > 0);
    pid_t kid = kid_of(n, old);
    assert_true(kid > 0);
    assert_true(process_alive(kid));
    usleep(300000); /* the spare preloads the module */
    char trace[400], out[4096];
    snprintf(trace, sizeof trace, "%s/strace.out", n->dir);
    pid_t tracer = harness_strace(n, "kill,sendmsg,sendto,write,waitid", trace);
    assert_true(tracer > 0);
    harness_ctl(n, "call w die", out, sizeof out);
    const char *started = ninesd_wait_event(n, "child_started", "w", WAIT_MS);
    assert_non_null(started);
    assert_non_null(strstr(started, " load=preloaded"));
    pid_t next = line_pid(started);
    assert_true(next > 0 && next != old);
    assert_true(wait_process_gone(kid, WAIT_MS));
    ninesd_pump(n, 200);
    kill(tracer, SIGTERM);
    waitpid(tracer, NULL, 0);

    static struct call calls[4000];
    size_t count = read_calls(trace, calls, 4000);

    long peek = find(calls, count, 0, is_peek, old);
    assert_true(peek >= 0);
    long swept = find(calls, count, (size_t)peek, is_group_kill, old);
    long start = find(calls, count, (size_t)peek, is_start, 0);
    long record = find(calls, count, (size_t)peek, is_end_record, old);
    long forget = find(calls, count, (size_t)peek, is_warden_forget, old);
    long reap = find(calls, count, (size_t)peek + 1, is_reap, old);
    long added = find(calls, count, (size_t)peek, is_warden_add, next);
    assert_true(swept > peek);
    assert_true(start > swept);   /* the old group is dead before the new child runs */
    assert_true(record > start);  /* the log of the end waits for the START */
    assert_true(added > record);  /* the bookkeeping waits for the log */
    assert_true(forget > record); /* and so does the warden... */
    assert_true(reap > forget);   /* ...but it knows before the number is free */
    assert_true(reap > record);

    /* The log reads in order all the same. */
    char old_pid[32], next_pid[32];
    snprintf(old_pid, sizeof old_pid, " pid=%d ", (int)old);
    snprintf(next_pid, sizeof next_pid, " pid=%d ", (int)next);
    long dying = log_at(n, "group_kid: dying", old_pid);
    long ended = log_at(n, "event=child_terminated", old_pid);
    long begun = log_at(n, "event=child_started", next_pid);
    assert_true(dying >= 0);
    assert_true(ended > dying);
    assert_true(begun > ended);
}

/* An exec child whose shell leaves a kid in its group: "order_kid PID". */
static const char *exec_kid_tree(struct ninesd *n) {
    return harness_write_tree(n,
        "supervisor:\n  intensity: 10\n  period: 10s\n  children:\n"
        "    - id: x\n      exec: [/bin/sh, -c, 'sleep 1000 & echo \"order_kid $!\"; wait']\n");
}

static pid_t exec_kid_of(struct ninesd *n, pid_t leader) {
    char pid[32], line[64];
    snprintf(pid, sizeof pid, " pid=%d ", (int)leader);
    for (int i = 0; i < WAIT_MS / 10; i++) {
        long at = log_at(n, "order_kid ", pid);
        if (at >= 0) {
            snprintf(line, sizeof line, "%s", strstr(n->log + at, "order_kid ") + 10);
            return (pid_t)atoi(line);
        }
        ninesd_pump(n, 10);
    }
    return -1;
}

/* The same order for an exec child restarted in the exec-ready process:
 * the request goes out after the old group's kill; the start's record,
 * written with the end's in one write, comes right after the request,
 * before the warden hears of the new group or of the old one gone. No
 * pipe is made on the way and the request carries no descriptor: the
 * child's output was made and given to the ready process ahead, and the
 * new child's output is read from it. */
static void the_old_group_is_killed_before_the_exec_child_restarts(void **state) {
    struct ninesd *n = *state;
    if (access(STRACE_PATH, X_OK) != 0)
        skip();
    ninesd_start(n, exec_kid_tree(n), NULL);
    pid_t old = ninesd_wait_started(n, "x", WAIT_MS);
    assert_true(old > 0);
    pid_t kid = exec_kid_of(n, old);
    assert_true(kid > 0);
    assert_true(process_alive(kid));
    pid_t ready = find_exec_ready(n->pid, WAIT_MS);
    assert_true(ready > 0);
    char trace[400];
    snprintf(trace, sizeof trace, "%s/strace.out", n->dir);
    pid_t tracer = harness_strace(n, "kill,sendmsg,sendto,write,waitid,pipe2", trace);
    assert_true(tracer > 0);
    kill(old, SIGKILL);
    pid_t next = -1;
    for (int i = 0; i < WAIT_MS / 10 && (next = ninesd_wait_started(n, "x", 10)) == old; i++)
        ;
    assert_int_equal(next, ready); /* restarted in the ready process */
    assert_true(wait_process_gone(kid, WAIT_MS));
    ninesd_pump(n, 200);
    kill(tracer, SIGTERM);
    waitpid(tracer, NULL, 0);

    static struct call calls[4000];
    size_t count = read_calls(trace, calls, 4000);

    long peek = find(calls, count, 0, is_peek, old);
    assert_true(peek >= 0);
    long swept = find(calls, count, (size_t)peek, is_group_kill, old);
    long request = find(calls, count, (size_t)peek, is_exec_request, 0);
    long record = find(calls, count, (size_t)peek, is_end_record, old);
    long begun = find(calls, count, (size_t)peek, is_start_record, next);
    long added = find(calls, count, (size_t)peek, is_warden_add, next);
    long forget = find(calls, count, (size_t)peek, is_warden_forget, old);
    long reap = find(calls, count, (size_t)peek + 1, is_reap, old);
    assert_true(swept > peek);
    assert_true(request > swept); /* the old group is dead before the new child runs */
    assert_true(record > request);
    assert_int_equal(begun, record); /* the end and the start in one write */
    assert_true(added > begun);      /* the bookkeeping after the log */
    assert_true(forget > begun);
    assert_true(reap > forget);
    long piped = find(calls, count, (size_t)peek, is_pipe, 0);
    assert_true(piped < 0 || piped > reap);
    assert_null(strstr(calls[request].line, "SCM_RIGHTS"));
    pid_t next_kid = exec_kid_of(n, next); /* its output, read from the pipe made ahead */
    assert_true(next_kid > 0 && next_kid != kid);
    assert_true(process_alive(next_kid));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(the_old_group_is_killed_before_the_spare_starts, harness_setup,
                                        harness_teardown),
        cmocka_unit_test_setup_teardown(the_old_group_is_killed_before_the_exec_child_restarts, harness_setup,
                                        harness_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
