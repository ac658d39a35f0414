/*
 * release_tool_fixture.c — see release_tool_fixture.h.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "release_tool_fixture.h"

const char rt_tree_yaml[] = "supervisor:\n"
                            "  children:\n"
                            "    - id: counter\n"
                            "      module: apps/counter.so\n"
                            "    - id: echo\n"
                            "      module: apps/echo.so\n"
                            "      args: {port: 0}\n";

const char rt_spec_head[] = "release: myapp\n"
                            "version: 1.1.0\n"
                            "tree: tree.yaml\n"
                            "applications:\n"
                            "  - {name: counter, version: 1.0.0, module: apps/counter.so}\n";

/* Read both pipes to their end. */
static void collect(int fds[2], struct rt_result *r) {
    size_t len[2] = {0, 0};
    char *buf[2] = {r->out, r->err};
    while (fds[0] >= 0 || fds[1] >= 0) {
        struct pollfd p[2] = {{.fd = fds[0], .events = POLLIN}, {.fd = fds[1], .events = POLLIN}};
        assert_true(poll(p, 2, 30000) > 0);
        for (int i = 0; i < 2; i++) {
            if (!p[i].revents)
                continue;
            ssize_t n = read(fds[i], buf[i] + len[i], RT_OUT_MAX - 1 - len[i]);
            if (n <= 0) {
                close(fds[i]);
                fds[i] = -1;
            } else {
                len[i] += (size_t)n;
                buf[i][len[i]] = '\0';
            }
        }
    }
}

void rt_runv(struct rt_result *r, const char *const *argv) {
    int po[2], pe[2];
    memset(r, 0, sizeof *r);
    assert_int_equal(pipe(po), 0);
    assert_int_equal(pipe(pe), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        dup2(po[1], STDOUT_FILENO), dup2(pe[1], STDERR_FILENO);
        close(po[0]), close(pe[0]), close(po[1]), close(pe[1]);
        execv(argv[0], (char *const *)argv);
        _exit(127);
    }
    close(po[1]), close(pe[1]);
    collect((int[2]){po[0], pe[0]}, r);
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    r->code = WEXITSTATUS(status);
}

void rt_write_text(const char *path, const char *text) {
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    assert_int_equal(fclose(f), 0);
}

void rt_append_byte(const char *path) {
    FILE *f = fopen(path, "a");
    assert_non_null(f);
    fputc(0, f);
    assert_int_equal(fclose(f), 0);
}

void rt_shell(const char *fmt, ...) {
    char cmd[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    assert_int_equal(system(cmd), 0);
}

void rt_write_spec(struct rt_fx *f, const char *echo_version) {
    char text[1024];
    snprintf(text, sizeof text, "%s  - {name: echo, version: %s, module: apps/echo.so}\n", rt_spec_head,
             echo_version);
    rt_write_text(f->spec, text);
}

int rt_setup(void **state) {
    struct rt_fx *f = calloc(1, sizeof *f);
    if (!f)
        return -1;
    snprintf(f->dir, sizeof f->dir, "/tmp/nines-itest-release-XXXXXX");
    if (!mkdtemp(f->dir))
        return -1;
    snprintf(f->spec, sizeof f->spec, "%s/spec/release.yaml", f->dir);
    snprintf(f->out, sizeof f->out, "%s/out", f->dir);
    snprintf(f->rel, sizeof f->rel, "%s/myapp-1.1.0", f->out);
    snprintf(f->tarball, sizeof f->tarball, "%s.tar.gz", f->rel);
    rt_shell("mkdir -p %s/spec/apps %s/tmp && cp %s %s %s/spec/apps/", f->dir, f->dir,
             BUILD_PATH("examples/counter.so"), BUILD_PATH("examples/echo.so"), f->dir);
    /* Tarballs are unpacked in TMPDIR: this test's own, to see it emptied. */
    char tmp[128];
    snprintf(tmp, sizeof tmp, "%s/tmp", f->dir);
    setenv("TMPDIR", tmp, 1);
    char tree[128];
    snprintf(tree, sizeof tree, "%s/spec/tree.yaml", f->dir);
    rt_write_text(tree, rt_tree_yaml);
    rt_write_spec(f, "1.0.0");
    *state = f;
    return 0;
}

int rt_teardown(void **state) {
    struct rt_fx *f = *state;
    rt_shell("rm -rf %s", f->dir);
    free(f);
    return 0;
}

void rt_build_ok(struct rt_fx *f) {
    struct rt_result r;
    RT_RUN(&r, "build", f->spec, f->out);
    if (r.code != 0)
        fail_msg("build failed (%d): %s", r.code, r.err);
}

void rt_sum_of(const char *dir, const char *rel, char hex[NINES_SHA256_HEX]) {
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, rel);
    assert_int_equal(nines_sha256_file(path, hex), 0);
}

void rt_expect_problems(const char *release, const char *lines) {
    struct rt_result r;
    RT_RUN(&r, "verify", release);
    assert_string_equal(r.err, lines);
    assert_string_equal(r.out, "");
    assert_int_equal(r.code, 1);
}
