/*
 * Integration: nines-release on real files. A release of the example
 * applications (counter, echo) and a tree is built, inspected and
 * verified, as a folder and as a tarball; then broken in each way a
 * release can be — a modified .so, a .so of another version, a tree that
 * names a module outside the release, a path or a link leading out of the
 * folder, a module the worker host refuses — and each problem must come
 * out as exactly one line with the exit status 1.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"
#include "sha256.h"

#define TOOL BUILD_PATH("nines-release")
#define OUT_MAX 16384

struct fx {
    char dir[64];       /* everything of one test */
    char spec[128];     /* DIR/spec/release.yaml */
    char out[128];      /* DIR/out */
    char rel[160];      /* DIR/out/myapp-1.1.0 */
    char tarball[192];  /* DIR/out/myapp-1.1.0.tar.gz */
};

struct result {
    int code;
    char out[OUT_MAX], err[OUT_MAX];
};

static const char tree_yaml[] = "supervisor:\n"
                                "  children:\n"
                                "    - id: counter\n"
                                "      module: apps/counter.so\n"
                                "    - id: echo\n"
                                "      module: apps/echo.so\n"
                                "      args: {port: 0}\n";

static const char spec_head[] = "release: myapp\n"
                                "version: 1.1.0\n"
                                "tree: tree.yaml\n"
                                "applications:\n"
                                "  - {name: counter, version: 1.0.0, module: apps/counter.so}\n";

/* Read both pipes to their end. */
static void collect(int fds[2], struct result *r) {
    size_t len[2] = {0, 0};
    char *buf[2] = {r->out, r->err};
    while (fds[0] >= 0 || fds[1] >= 0) {
        struct pollfd p[2] = {{.fd = fds[0], .events = POLLIN}, {.fd = fds[1], .events = POLLIN}};
        assert_true(poll(p, 2, 30000) > 0);
        for (int i = 0; i < 2; i++) {
            if (!p[i].revents)
                continue;
            ssize_t n = read(fds[i], buf[i] + len[i], OUT_MAX - 1 - len[i]);
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

/* Run a program (argv NULL-terminated); its exit status and output. */
static void runv(struct result *r, const char *const *argv) {
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

#define RUN(r, ...) runv(r, (const char *const[]){TOOL, __VA_ARGS__, NULL})

static void write_text(const char *path, const char *text) {
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    assert_int_equal(fclose(f), 0);
}

static void append_byte(const char *path) {
    FILE *f = fopen(path, "a");
    assert_non_null(f);
    fputc(0, f);
    assert_int_equal(fclose(f), 0);
}

static void shell(const char *fmt, ...) {
    char cmd[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    assert_int_equal(system(cmd), 0);
}

static void write_spec(struct fx *f, const char *echo_version) {
    char text[1024];
    snprintf(text, sizeof text, "%s  - {name: echo, version: %s, module: apps/echo.so}\n", spec_head, echo_version);
    write_text(f->spec, text);
}

/* DIR/spec/ holds the tree, the two modules and the spec. */
static int setup(void **state) {
    struct fx *f = calloc(1, sizeof *f);
    snprintf(f->dir, sizeof f->dir, "/tmp/nines-itest-release-XXXXXX");
    if (!f || !mkdtemp(f->dir))
        return -1;
    snprintf(f->spec, sizeof f->spec, "%s/spec/release.yaml", f->dir);
    snprintf(f->out, sizeof f->out, "%s/out", f->dir);
    snprintf(f->rel, sizeof f->rel, "%s/myapp-1.1.0", f->out);
    snprintf(f->tarball, sizeof f->tarball, "%s.tar.gz", f->rel);
    shell("mkdir -p %s/spec/apps %s/tmp && cp %s %s %s/spec/apps/", f->dir, f->dir,
          BUILD_PATH("examples/counter.so"), BUILD_PATH("examples/echo.so"), f->dir);
    /* Tarballs are unpacked in TMPDIR: this test's own, to see it emptied. */
    char tmp[128];
    snprintf(tmp, sizeof tmp, "%s/tmp", f->dir);
    setenv("TMPDIR", tmp, 1);
    char tree[128];
    snprintf(tree, sizeof tree, "%s/spec/tree.yaml", f->dir);
    write_text(tree, tree_yaml);
    write_spec(f, "1.0.0");
    *state = f;
    return 0;
}

static int teardown(void **state) {
    struct fx *f = *state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", f->dir);
    int r = system(cmd);
    free(f);
    return r == 0 ? 0 : -1;
}

static void build_ok(struct fx *f) {
    struct result r;
    RUN(&r, "build", f->spec, f->out);
    if (r.code != 0)
        fail_msg("build failed (%d): %s", r.code, r.err);
}

static void sum_of(const char *dir, const char *rel, char hex[NINES_SHA256_HEX]) {
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, rel);
    assert_int_equal(nines_sha256_file(path, hex), 0);
}

/* verify fails with exactly these lines on stderr. */
static void expect_problems(const char *release, const char *lines) {
    struct result r;
    RUN(&r, "verify", release);
    assert_string_equal(r.err, lines);
    assert_string_equal(r.out, "");
    assert_int_equal(r.code, 1);
}

static void a_release_is_built_inspected_and_verified(void **state) {
    struct fx *f = *state;
    struct result r;
    char want[2048], counter[NINES_SHA256_HEX], echo[NINES_SHA256_HEX], tree[NINES_SHA256_HEX];
    RUN(&r, "build", f->spec, f->out);
    snprintf(want, sizeof want, "built myapp 1.1.0: %s/ and %s\n", f->rel, f->tarball);
    assert_string_equal(r.out, want);
    assert_string_equal(r.err, "");
    assert_int_equal(r.code, 0);
    /* Only the release and its tarball: the staging folder is gone. */
    shell("test \"$(ls -A %s | tr '\\n' ' ')\" = 'myapp-1.1.0 myapp-1.1.0.tar.gz '", f->out);
    shell("test \"$(tar -tzf %s | sort | tr '\\n' ' ')\" = 'myapp-1.1.0/ myapp-1.1.0/apps/ "
          "myapp-1.1.0/apps/counter.so myapp-1.1.0/apps/echo.so myapp-1.1.0/release.yaml myapp-1.1.0/tree.yaml '",
          f->tarball);
    sum_of(f->rel, "apps/counter.so", counter), sum_of(f->rel, "apps/echo.so", echo);
    sum_of(f->rel, "tree.yaml", tree);
    RUN(&r, "inspect", "--json", f->tarball);
    snprintf(want, sizeof want,
             "{\"release\":\"myapp\",\"version\":\"1.1.0\",\"tree\":\"tree.yaml\",\"applications\":["
             "{\"name\":\"counter\",\"version\":\"1.0.0\",\"module\":\"apps/counter.so\"},"
             "{\"name\":\"echo\",\"version\":\"1.0.0\",\"module\":\"apps/echo.so\"}],\"appups\":[],\"files\":["
             "{\"path\":\"apps/counter.so\",\"sha256\":\"%s\"},{\"path\":\"apps/echo.so\",\"sha256\":\"%s\"},"
             "{\"path\":\"tree.yaml\",\"sha256\":\"%s\"}]}\n",
             counter, echo, tree);
    assert_string_equal(r.out, want);
    assert_int_equal(r.code, 0);
    RUN(&r, "inspect", f->rel);
    snprintf(want, sizeof want,
             "release  myapp 1.1.0\ntree     tree.yaml\n\napplications (2)\n"
             "  NAME     VERSION  MODULE\n  counter  1.0.0    apps/counter.so\n  echo     1.0.0    apps/echo.so\n"
             "\nappups (0)\n\nfiles (3)\n  %s  apps/counter.so\n  %s  apps/echo.so\n  %s  tree.yaml\n",
             counter, echo, tree);
    assert_string_equal(r.out, want);
    assert_int_equal(r.code, 0);
    const char *targets[] = {f->rel, f->tarball};
    for (int i = 0; i < 2; i++) {
        RUN(&r, "verify", targets[i]);
        snprintf(want, sizeof want, "%s: ok\n", targets[i]);
        assert_string_equal(r.out, want);
        assert_string_equal(r.err, "");
        assert_int_equal(r.code, 0);
    }
    /* Nothing unpacked is left behind in the temporary folder. */
    shell("test -z \"$(ls -A %s/tmp)\"", f->dir);
}

static void an_existing_release_is_replaced_only_with_force(void **state) {
    struct fx *f = *state;
    struct result r;
    char want[512];
    build_ok(f);
    RUN(&r, "build", f->spec, f->out);
    snprintf(want, sizeof want, "%s: already exists (--force replaces it)\n", f->rel);
    assert_string_equal(r.err, want);
    assert_int_equal(r.code, 1);
    RUN(&r, "build", "--force", f->spec, f->out);
    assert_int_equal(r.code, 0);
    RUN(&r, "verify", f->tarball);
    assert_int_equal(r.code, 0);
    /* A spec with checksums is refused. */
    char manifest[256];
    snprintf(manifest, sizeof manifest, "%s/release.yaml", f->rel);
    RUN(&r, "build", manifest, f->out);
    snprintf(want, sizeof want, "%s: a spec has no 'files': build computes them\n", manifest);
    assert_string_equal(r.err, want);
    assert_int_equal(r.code, 1);
}

/* One byte more in echo.so: the folder and a tarball of it name the file. */
static void a_modified_module_is_a_checksum_mismatch(void **state) {
    struct fx *f = *state;
    char path[256], before[NINES_SHA256_HEX], after[NINES_SHA256_HEX], want[1024];
    build_ok(f);
    sum_of(f->rel, "apps/echo.so", before);
    snprintf(path, sizeof path, "%s/apps/echo.so", f->rel);
    append_byte(path);
    sum_of(f->rel, "apps/echo.so", after);
    snprintf(want, sizeof want, "%s: checksum mismatch: the manifest says %s, the file has %s\n", path, before,
             after);
    expect_problems(f->rel, want);
    shell("tar -czf %s/broken.tar.gz -C %s myapp-1.1.0", f->dir, f->out);
    snprintf(path, sizeof path, "%s/broken.tar.gz", f->dir);
    snprintf(want, sizeof want,
             "%s/myapp-1.1.0/apps/echo.so: checksum mismatch: the manifest says %s, the file has %s\n", path,
             before, after);
    expect_problems(path, want);
}

/* The manifest says echo 1.1.0, the .so is echo 1.0.0. */
static void a_module_of_another_version_is_refused(void **state) {
    struct fx *f = *state;
    struct result r;
    char want[1024];
    write_spec(f, "1.1.0");
    snprintf(want, sizeof want,
             "%s/release.yaml:6:27: application 'echo' version 1.1.0: its module apps/echo.so is version 1.0.0\n",
             f->rel);
    RUN(&r, "build", f->spec, f->out);
    assert_string_equal(r.err, want);
    assert_int_equal(r.code, 1);
    shell("test -z \"$(ls -A %s)\"", f->out); /* nothing was left behind */
    RUN(&r, "build", "--no-verify", f->spec, f->out);
    assert_int_equal(r.code, 0);
    expect_problems(f->rel, want);
}

/* The tree names kv.so, which is not in the release at all. */
static void a_tree_naming_a_module_outside_the_release(void **state) {
    struct fx *f = *state;
    struct result r;
    char tree[256], text[5000], kv[4096], want[5000];
    assert_non_null(realpath(BUILD_PATH("examples/kv.so"), kv));
    snprintf(tree, sizeof tree, "%s/spec/tree.yaml", f->dir);
    snprintf(text, sizeof text, "%s    - id: kv\n      module: %s\n", tree_yaml, kv);
    write_text(tree, text);
    snprintf(want, sizeof want,
             "%s/tree.yaml:8:7: child 'kv': module %s is not one of the release's applications "
             "(it is outside the release folder)\n",
             f->rel, kv);
    RUN(&r, "build", f->spec, f->out);
    assert_string_equal(r.err, want);
    assert_int_equal(r.code, 1);
    RUN(&r, "build", "--no-verify", f->spec, f->out);
    assert_int_equal(r.code, 0);
    expect_problems(f->rel, want);
}

/* A path that leads out of the folder: written as such in the manifest,
 * or hidden behind a symbolic link (to the very same bytes). */
static void paths_leading_out_of_the_folder(void **state) {
    struct fx *f = *state;
    char manifest[256], text[2048], echo[NINES_SHA256_HEX], counter[NINES_SHA256_HEX], tree[NINES_SHA256_HEX];
    char real[4096], want[9000];
    build_ok(f);
    sum_of(f->rel, "apps/echo.so", echo), sum_of(f->rel, "apps/counter.so", counter);
    sum_of(f->rel, "tree.yaml", tree);
    snprintf(manifest, sizeof manifest, "%s/release.yaml", f->rel);
    snprintf(text, sizeof text,
             "%s  - {name: echo, version: 1.0.0, module: ../echo.so}\n"
             "files: {tree.yaml: %s, apps/counter.so: %s, ../echo.so: %s}\n",
             spec_head, tree, counter, echo);
    write_text(manifest, text);
    snprintf(want, sizeof want, "%s:6:42: invalid module path '../echo.so': '..' leads out of the release folder\n",
             manifest);
    expect_problems(f->rel, want);

    RUN(&(struct result){0}, "build", "--force", f->spec, f->out);
    assert_non_null(realpath(BUILD_PATH("examples/echo.so"), real));
    shell("rm %s/apps/echo.so && ln -s %s %s/apps/echo.so", f->rel, real, f->rel);
    snprintf(want, sizeof want,
             "%s/apps/echo.so: a symbolic link leads out of the release folder (to %s)\n"
             "%s/tree.yaml:5:7: child 'echo': module %s is not one of the release's applications "
             "(it is outside the release folder)\n",
             f->rel, real, f->rel, real);
    expect_problems(f->rel, want);
}

/* Tarballs that are not one release folder. */
static void tarballs_that_are_not_releases(void **state) {
    struct fx *f = *state;
    char path[256], want[1024];
    build_ok(f);
    snprintf(path, sizeof path, "%s/two.tar.gz", f->dir);
    shell("cd %s && tar -czf %s myapp-1.1.0 myapp-1.1.0.tar.gz", f->out, path);
    snprintf(want, sizeof want, "%s: not a release tarball: it must hold exactly one folder, NAME-VERSION/\n", path);
    expect_problems(path, want);
    snprintf(path, sizeof path, "%s/renamed.tar.gz", f->dir);
    shell("cd %s && mv myapp-1.1.0 other && tar -czf %s other", f->out, path);
    snprintf(want, sizeof want,
             "%s/other: the folder is 'other', the manifest says release myapp 1.1.0 (expected 'myapp-1.1.0')\n",
             path);
    expect_problems(path, want);
    snprintf(path, sizeof path, "%s/dotdot.tar.gz", f->dir);
    shell("cd %s && tar -czf %s --transform 's,^other,../other,' other/release.yaml", f->out, path);
    snprintf(want, sizeof want, "%s: cannot unpack: ../other/release.yaml: Member name contains '..'\n", path);
    expect_problems(path, want);
    snprintf(path, sizeof path, "%s/garbage.tar.gz", f->dir);
    write_text(path, "not a tarball\n");
    struct result r;
    RUN(&r, "verify", path);
    assert_int_equal(r.code, 1);
    assert_non_null(strstr(r.err, ": cannot unpack: "));
}

/* A module the worker host refuses: its reason, naming the module. */
static void a_module_the_host_refuses(void **state) {
    struct fx *f = *state;
    char want[1024];
    shell("cp %s %s/spec/apps/echo.so", BUILD_PATH("tests/apps/bad_abi.so"), f->dir);
    struct result r;
    RUN(&r, "build", "--no-verify", f->spec, f->out);
    assert_int_equal(r.code, 0);
    snprintf(want, sizeof want, "%s/apps/echo.so: module refused: ABI version 7, this host supports 1\n", f->rel);
    expect_problems(f->rel, want);
    RUN(&r, "verify", "--worker", "/nonexistent/nines-worker", f->rel);
    assert_string_equal(r.err, "/nonexistent/nines-worker: cannot run the worker host to check modules: "
                               "No such file or directory\n");
    assert_int_equal(r.code, 1);
}

/* What verify relies on: --check says the descriptor's name and version. */
static void the_worker_check_names_the_module(void **unused) {
    struct result r;
    runv(&r, (const char *const[]){BUILD_PATH("nines-worker"), "--check", BUILD_PATH("examples/echo-2.so"), NULL});
    assert_string_equal(r.out, "echo 2.0.0\n");
    assert_string_equal(r.err, "");
    assert_int_equal(r.code, 0);
    runv(&r, (const char *const[]){BUILD_PATH("nines-worker"), "--check", BUILD_PATH("tests/apps/bad_abi.so"), NULL});
    assert_string_equal(r.out, "");
    assert_int_equal(r.code, 1);
}

static void command_line_errors(void **state) {
    struct fx *f = *state;
    struct result r;
    runv(&r, (const char *const[]){TOOL, NULL});
    assert_int_equal(r.code, 2);
    RUN(&r, "unpack", f->spec);
    assert_int_equal(r.code, 2);
    RUN(&r, "verify");
    assert_int_equal(r.code, 2);
    RUN(&r, "build", f->spec);
    assert_int_equal(r.code, 2);
    RUN(&r, "inspect", "--yaml", f->spec);
    assert_int_equal(r.code, 2);
    RUN(&r, "--help");
    assert_int_equal(r.code, 0);
    assert_non_null(strstr(r.out, "usage: nines-release build"));
    RUN(&r, "verify", "/nonexistent");
    assert_string_equal(r.err, "/nonexistent: No such file or directory\n");
    assert_int_equal(r.code, 1);
    /* A spec can be inspected; it is not a release. */
    RUN(&r, "inspect", f->spec);
    assert_int_equal(r.code, 0);
    assert_non_null(strstr(r.out, "files: none listed"));
    RUN(&r, "verify", f->spec);
    char want[512];
    snprintf(want, sizeof want, "%s: no 'files': this is a release spec, not a built release "
                                "(nines-release build writes them)\n", f->spec);
    assert_string_equal(r.err, want);
    assert_int_equal(r.code, 1);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(a_release_is_built_inspected_and_verified, setup, teardown),
        cmocka_unit_test_setup_teardown(an_existing_release_is_replaced_only_with_force, setup, teardown),
        cmocka_unit_test_setup_teardown(a_modified_module_is_a_checksum_mismatch, setup, teardown),
        cmocka_unit_test_setup_teardown(a_module_of_another_version_is_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(a_tree_naming_a_module_outside_the_release, setup, teardown),
        cmocka_unit_test_setup_teardown(paths_leading_out_of_the_folder, setup, teardown),
        cmocka_unit_test_setup_teardown(tarballs_that_are_not_releases, setup, teardown),
        cmocka_unit_test_setup_teardown(a_module_the_host_refuses, setup, teardown),
        cmocka_unit_test(the_worker_check_names_the_module),
        cmocka_unit_test_setup_teardown(command_line_errors, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
