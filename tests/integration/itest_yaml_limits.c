/*
 * Integration: no YAML file can exhaust ninesd (issue 16, item 6). Each
 * bomb of the issue — 10,000 children aliasing one exec list of 10,000
 * items, one child with 200,000 args, 10,000 nested flow supervisors — is
 * refused by `ninesd --check` within 1 s and 100 MB (measured with
 * getrusage of the child: CPU time, peak RSS), at FILE:LINE:COLUMN, naming the limit and how
 * to raise it; raised with --yaml-limits, 200,000 args load in seconds
 * (the duplicate check is linear) and a duplicate among them is found.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"

extern char **environ;

/* Sanitizers slow the daemon and add their shadow memory. */
#if defined(__SANITIZE_ADDRESS__)
enum { MAX_MS = 5000, MAX_KB = 400 * 1024 };
#else
enum { MAX_MS = 1000, MAX_KB = 100 * 1024 };
#endif

struct check {
    int status;
    long long ms;
    long max_kb;
    char out[4096];
};

static long long now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* `ninesd --check [limits] FILE`: its exit, time, peak memory and output. */
static void run_check(const char *file, const char *limits, struct check *c) {
    char out[] = "/tmp/itest-yaml-out-XXXXXX";
    int fd = mkstemp(out);
    assert_true(fd >= 0);
    unlink(out);
    char *argv[6] = {BUILD_PATH("ninesd"), "--check"}, **a = argv + 2;
    if (limits)
        *a++ = "--yaml-limits", *a++ = (char *)limits;
    *a++ = (char *)file;
    *a = NULL;
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, fd, 1);
    posix_spawn_file_actions_adddup2(&fa, fd, 2);
    pid_t pid;
    long long start = now_ms();
    assert_int_equal(posix_spawn(&pid, argv[0], &fa, NULL, argv, environ), 0);
    posix_spawn_file_actions_destroy(&fa);
    struct rusage ru;
    assert_int_equal(wait4(pid, &c->status, 0, &ru), pid);
    (void)start; /* CPU time, not wall time: other sessions share the machine */
    c->ms = (long long)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000 +
            (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1000;
    c->max_kb = ru.ru_maxrss;
    ssize_t n = pread(fd, c->out, sizeof c->out - 1, 0);
    c->out[n > 0 ? n : 0] = '\0';
    close(fd);
    fprintf(stderr, "%s: exit %d in %lld ms of CPU, %ld KB: %s", file, WEXITSTATUS(c->status), c->ms, c->max_kb, c->out);
}

static char dir[] = "/tmp/itest-yaml-XXXXXX";

static const char *path_of(const char *name) {
    static char path[300];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    return path;
}

static FILE *create(const char *name) {
    FILE *f = fopen(path_of(name), "w");
    assert_non_null(f);
    return f;
}

static const char *write_alias_bomb(void) {
    FILE *f = create("alias.yaml");
    fputs("supervisor:\n  children:\n    - {id: c0, exec: &e [/bin/true", f);
    for (int i = 1; i < 10000; i++)
        fputs(", x", f);
    fputs("]}\n", f);
    for (int i = 1; i < 10000; i++)
        fprintf(f, "    - {id: c%d, exec: *e}\n", i);
    fclose(f);
    return path_of("alias.yaml");
}

/* One child with n args; with `dup`, the last repeats the first. */
static const char *write_args(const char *name, int n, bool dup) {
    FILE *f = create(name);
    fputs("supervisor:\n  children:\n    - id: a\n      exec: [/bin/true]\n      args:\n", f);
    for (int i = 0; i < n; i++)
        fprintf(f, "        k%d: v\n", dup && i == n - 1 ? 0 : i);
    fclose(f);
    return path_of(name);
}

static const char *write_nesting(int n) {
    FILE *f = create("nest.yaml");
    fputs("supervisor: ", f);
    for (int i = 0; i < n; i++)
        fputs("{children: [{id: a, supervisor: ", f);
    fputs("{children: []}", f);
    for (int i = 0; i < n; i++)
        fputs("}]}", f);
    fputs("\n", f);
    fclose(f);
    return path_of("nest.yaml");
}

/* Refused (exit 2) within the bounds, at `where`, with `what`. */
static void assert_refused(const struct check *c, const char *where, const char *what) {
    assert_true(WIFEXITED(c->status));
    assert_int_equal(WEXITSTATUS(c->status), 2);
    assert_non_null(strstr(c->out, where));
    assert_non_null(strstr(c->out, what));
    assert_true(c->ms < MAX_MS);
    assert_true(c->max_kb < MAX_KB);
}

static void test_alias_bomb(void **state) {
    (void)state;
    struct check c;
    run_check(write_alias_bomb(), NULL, &c);
    assert_refused(&c, "alias.yaml:103:24: aliases reach more than 1000000 nodes", "--yaml-limits aliases=N");
}

static void test_args_bomb(void **state) {
    (void)state;
    struct check c;
    run_check(write_args("args.yaml", 200000, false), NULL, &c);
    assert_refused(&c, "args.yaml:6:9: 200000 args, more than 10000", "--yaml-limits args=N");
}

static void test_args_raised_linear(void **state) {
    (void)state;
    struct check c;
    run_check(write_args("args.yaml", 200000, false), "args=200000", &c);
    assert_true(WIFEXITED(c.status));
    assert_int_equal(WEXITSTATUS(c.status), 0);
    assert_true(c.ms < 10 * MAX_MS); /* quadratic, it took over a minute */
    run_check(write_args("dup.yaml", 200000, true), "args=200000", &c);
    assert_int_equal(WEXITSTATUS(c.status), 2);
    assert_non_null(strstr(c.out, "dup.yaml:200005:9: duplicate argument 'k0'"));
    assert_true(c.ms < 10 * MAX_MS);
}

static void test_nesting_bomb(void **state) {
    (void)state;
    struct check c;
    run_check(write_nesting(10000), NULL, &c);
    assert_refused(&c, "nest.yaml:1:1368: YAML nested deeper than 128 levels", "--yaml-limits depth=N");
}

/* The deepest tree there may be (32 supervisors) is within the default depth. */
static void test_deepest_tree_loads(void **state) {
    (void)state;
    struct check c;
    run_check(write_nesting(31), NULL, &c);
    assert_int_equal(WEXITSTATUS(c.status), 0);
    run_check(write_nesting(32), NULL, &c);
    assert_int_equal(WEXITSTATUS(c.status), 2);
    assert_non_null(strstr(c.out, "supervisors nested deeper than 32 levels"));
}

static void test_size_limit(void **state) {
    (void)state;
    struct check c;
    run_check(write_args("big.yaml", 100, false), "size=1K", &c);
    assert_refused(&c, "big.yaml:70:3: the file is larger than 1024 bytes", "--yaml-limits size=N");
    run_check(path_of("big.yaml"), "size=2K", &c);
    assert_int_equal(WEXITSTATUS(c.status), 0);
    run_check(path_of("big.yaml"), "size=0", &c);
    assert_int_equal(WEXITSTATUS(c.status), 2);
    assert_non_null(strstr(c.out, "invalid --yaml-limits 'size=0'"));
}

static int setup(void **state) {
    (void)state;
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state) {
    (void)state;
    const char *names[] = {"alias.yaml", "args.yaml", "dup.yaml", "nest.yaml", "big.yaml"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        unlink(path_of(names[i]));
    return rmdir(dir);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_alias_bomb),       cmocka_unit_test(test_args_bomb),
        cmocka_unit_test(test_args_raised_linear), cmocka_unit_test(test_nesting_bomb),
        cmocka_unit_test(test_deepest_tree_loads), cmocka_unit_test(test_size_limit),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
