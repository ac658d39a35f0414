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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "release_tool_fixture.h"

static void a_release_is_built_inspected_and_verified(void **state) {
    struct rt_fx *f = *state;
    struct rt_result r;
    char want[2048], counter[NINES_SHA256_HEX], echo[NINES_SHA256_HEX], tree[NINES_SHA256_HEX];
    RT_RUN(&r, "build", f->spec, f->out);
    snprintf(want, sizeof want, "built myapp 1.1.0: %s/ and %s\n", f->rel, f->tarball);
    assert_string_equal(r.out, want);
    assert_string_equal(r.err, "");
    assert_int_equal(r.code, 0);
    /* Only the release and its tarball: the staging folder is gone. */
    rt_shell("test \"$(ls -A %s | tr '\\n' ' ')\" = 'myapp-1.1.0 myapp-1.1.0.tar.gz '", f->out);
    rt_shell("test \"$(tar -tzf %s | sort | tr '\\n' ' ')\" = 'myapp-1.1.0/ myapp-1.1.0/apps/ "
          "myapp-1.1.0/apps/counter.so myapp-1.1.0/apps/echo.so myapp-1.1.0/release.yaml myapp-1.1.0/tree.yaml '",
          f->tarball);
    rt_sum_of(f->rel, "apps/counter.so", counter), rt_sum_of(f->rel, "apps/echo.so", echo);
    rt_sum_of(f->rel, "tree.yaml", tree);
    RT_RUN(&r, "inspect", "--json", f->tarball);
    snprintf(want, sizeof want,
             "{\"release\":\"myapp\",\"version\":\"1.1.0\",\"tree\":\"tree.yaml\",\"applications\":["
             "{\"name\":\"counter\",\"version\":\"1.0.0\",\"module\":\"apps/counter.so\"},"
             "{\"name\":\"echo\",\"version\":\"1.0.0\",\"module\":\"apps/echo.so\"}],\"appups\":[],\"files\":["
             "{\"path\":\"apps/counter.so\",\"sha256\":\"%s\"},{\"path\":\"apps/echo.so\",\"sha256\":\"%s\"},"
             "{\"path\":\"tree.yaml\",\"sha256\":\"%s\"}]}\n",
             counter, echo, tree);
    assert_string_equal(r.out, want);
    assert_int_equal(r.code, 0);
    RT_RUN(&r, "inspect", f->rel);
    snprintf(want, sizeof want,
             "release  myapp 1.1.0\ntree     tree.yaml\n\napplications (2)\n"
             "  NAME     VERSION  MODULE\n  counter  1.0.0    apps/counter.so\n  echo     1.0.0    apps/echo.so\n"
             "\nappups (0)\n\nfiles (3)\n  %s  apps/counter.so\n  %s  apps/echo.so\n  %s  tree.yaml\n",
             counter, echo, tree);
    assert_string_equal(r.out, want);
    assert_int_equal(r.code, 0);
    const char *targets[] = {f->rel, f->tarball};
    for (int i = 0; i < 2; i++) {
        RT_RUN(&r, "verify", targets[i]);
        snprintf(want, sizeof want, "%s: ok\n", targets[i]);
        assert_string_equal(r.out, want);
        assert_string_equal(r.err, "");
        assert_int_equal(r.code, 0);
    }
    /* Nothing unpacked is left behind in the temporary folder. */
    rt_shell("test -z \"$(ls -A %s/tmp)\"", f->dir);
}

static void an_existing_release_is_replaced_only_with_force(void **state) {
    struct rt_fx *f = *state;
    struct rt_result r;
    char want[512];
    rt_build_ok(f);
    RT_RUN(&r, "build", f->spec, f->out);
    snprintf(want, sizeof want, "%s: already exists (--force replaces it)\n", f->rel);
    assert_string_equal(r.err, want);
    assert_int_equal(r.code, 1);
    RT_RUN(&r, "build", "--force", f->spec, f->out);
    assert_int_equal(r.code, 0);
    RT_RUN(&r, "verify", f->tarball);
    assert_int_equal(r.code, 0);
    /* A spec with checksums is refused. */
    char manifest[256];
    snprintf(manifest, sizeof manifest, "%s/release.yaml", f->rel);
    RT_RUN(&r, "build", manifest, f->out);
    snprintf(want, sizeof want, "%s: a spec has no 'files': build computes them\n", manifest);
    assert_string_equal(r.err, want);
    assert_int_equal(r.code, 1);
}

/* One byte more in echo.so: the folder and a tarball of it name the file. */
static void a_modified_module_is_a_checksum_mismatch(void **state) {
    struct rt_fx *f = *state;
    char path[256], before[NINES_SHA256_HEX], after[NINES_SHA256_HEX], want[1024];
    rt_build_ok(f);
    rt_sum_of(f->rel, "apps/echo.so", before);
    snprintf(path, sizeof path, "%s/apps/echo.so", f->rel);
    rt_append_byte(path);
    rt_sum_of(f->rel, "apps/echo.so", after);
    snprintf(want, sizeof want, "%s: checksum mismatch: the manifest says %s, the file has %s\n", path, before,
             after);
    rt_expect_problems(f->rel, want);
    rt_shell("tar -czf %s/broken.tar.gz -C %s myapp-1.1.0", f->dir, f->out);
    snprintf(path, sizeof path, "%s/broken.tar.gz", f->dir);
    snprintf(want, sizeof want,
             "%s/myapp-1.1.0/apps/echo.so: checksum mismatch: the manifest says %s, the file has %s\n", path,
             before, after);
    rt_expect_problems(path, want);
}

/* The manifest says echo 1.1.0, the .so is echo 1.0.0. */
static void a_module_of_another_version_is_refused(void **state) {
    struct rt_fx *f = *state;
    struct rt_result r;
    char want[1024];
    rt_write_spec(f, "1.1.0");
    snprintf(want, sizeof want,
             "%s/release.yaml:6:25: application 'echo' version 1.1.0: its module apps/echo.so is version 1.0.0\n",
             f->rel);
    RT_RUN(&r, "build", f->spec, f->out);
    assert_string_equal(r.err, want);
    assert_int_equal(r.code, 1);
    rt_shell("test -z \"$(ls -A %s)\"", f->out); /* nothing was left behind */
    RT_RUN(&r, "build", "--no-verify", f->spec, f->out);
    assert_int_equal(r.code, 0);
    rt_expect_problems(f->rel, want);
}

/* The tree names kv.so, which is not in the release at all. */
static void a_tree_naming_a_module_outside_the_release(void **state) {
    struct rt_fx *f = *state;
    struct rt_result r;
    char tree[256], text[5000], kv[4096], want[5000];
    assert_non_null(realpath(BUILD_PATH("examples/kv.so"), kv));
    snprintf(tree, sizeof tree, "%s/spec/tree.yaml", f->dir);
    snprintf(text, sizeof text, "%s    - id: kv\n      module: %s\n", rt_tree_yaml, kv);
    rt_write_text(tree, text);
    snprintf(want, sizeof want,
             "%s/tree.yaml:8:7: child 'kv': module %s is not one of the release's applications "
             "(it is outside the release folder)\n",
             f->rel, kv);
    RT_RUN(&r, "build", f->spec, f->out);
    assert_string_equal(r.err, want);
    assert_int_equal(r.code, 1);
    RT_RUN(&r, "build", "--no-verify", f->spec, f->out);
    assert_int_equal(r.code, 0);
    rt_expect_problems(f->rel, want);
}

/* A path that leads out of the folder: written as such in the manifest,
 * or hidden behind a symbolic link (to the very same bytes). */
static void paths_leading_out_of_the_folder(void **state) {
    struct rt_fx *f = *state;
    char manifest[256], text[2048], echo[NINES_SHA256_HEX], counter[NINES_SHA256_HEX], tree[NINES_SHA256_HEX];
    char real[4096], want[9000];
    rt_build_ok(f);
    rt_sum_of(f->rel, "apps/echo.so", echo), rt_sum_of(f->rel, "apps/counter.so", counter);
    rt_sum_of(f->rel, "tree.yaml", tree);
    snprintf(manifest, sizeof manifest, "%s/release.yaml", f->rel);
    snprintf(text, sizeof text,
             "%s  - {name: echo, version: 1.0.0, module: ../echo.so}\n"
             "files: {tree.yaml: %s, apps/counter.so: %s, ../echo.so: %s}\n",
             rt_spec_head, tree, counter, echo);
    rt_write_text(manifest, text);
    snprintf(want, sizeof want, "%s:6:42: invalid module path '../echo.so': '..' leads out of the release folder\n",
             manifest);
    rt_expect_problems(f->rel, want);

    RT_RUN(&(struct rt_result){0}, "build", "--force", f->spec, f->out);
    assert_non_null(realpath(BUILD_PATH("examples/echo.so"), real));
    rt_shell("rm %s/apps/echo.so && ln -s %s %s/apps/echo.so", f->rel, real, f->rel);
    snprintf(want, sizeof want,
             "%s/apps/echo.so: a symbolic link leads out of the release folder (to %s)\n"
             "%s/tree.yaml:5:7: child 'echo': module %s is not one of the release's applications "
             "(it is outside the release folder)\n",
             f->rel, real, f->rel, real);
    rt_expect_problems(f->rel, want);
}

/* Tarballs that are not one release folder. */
static void tarballs_that_are_not_releases(void **state) {
    struct rt_fx *f = *state;
    char path[256], want[1024];
    rt_build_ok(f);
    snprintf(path, sizeof path, "%s/two.tar.gz", f->dir);
    rt_shell("cd %s && tar -czf %s myapp-1.1.0 myapp-1.1.0.tar.gz", f->out, path);
    snprintf(want, sizeof want, "%s: not a release tarball: it must hold exactly one folder, NAME-VERSION/\n", path);
    rt_expect_problems(path, want);
    snprintf(path, sizeof path, "%s/renamed.tar.gz", f->dir);
    rt_shell("cd %s && mv myapp-1.1.0 other && tar -czf %s other", f->out, path);
    snprintf(want, sizeof want,
             "%s/other: the folder is 'other', the manifest says release myapp 1.1.0 (expected 'myapp-1.1.0')\n",
             path);
    rt_expect_problems(path, want);
    snprintf(path, sizeof path, "%s/dotdot.tar.gz", f->dir);
    rt_shell("cd %s && tar -czf %s --transform 's,^other,../other,' other/release.yaml", f->out, path);
    snprintf(want, sizeof want, "%s: cannot unpack: ../other/release.yaml: a member's path may not hold '..'\n", path);
    rt_expect_problems(path, want);
    snprintf(path, sizeof path, "%s/garbage.tar.gz", f->dir);
    rt_write_text(path, "not a tarball\n");
    struct rt_result r;
    RT_RUN(&r, "verify", path);
    assert_int_equal(r.code, 1);
    assert_non_null(strstr(r.err, ": cannot unpack: "));
}

/* A module the worker host refuses: its reason, naming the module. */
static void a_module_the_host_refuses(void **state) {
    struct rt_fx *f = *state;
    char want[1024];
    rt_shell("cp %s %s/spec/apps/echo.so", BUILD_PATH("tests/apps/bad_abi.so"), f->dir);
    struct rt_result r;
    RT_RUN(&r, "build", "--no-verify", f->spec, f->out);
    assert_int_equal(r.code, 0);
    snprintf(want, sizeof want, "%s/apps/echo.so: module refused: ABI version 7, this host supports 1\n", f->rel);
    rt_expect_problems(f->rel, want);
    RT_RUN(&r, "verify", "--worker", "/nonexistent/nines-worker", f->rel);
    assert_string_equal(r.err, "/nonexistent/nines-worker: cannot run the worker host to check modules: "
                               "No such file or directory\n");
    assert_int_equal(r.code, 1);
}

/* What verify relies on: --check says the descriptor's name and version,
 * its first two words (more may follow). */
static void the_worker_check_names_the_module(void **unused) {
    struct rt_result r;
    rt_runv(&r, (const char *const[]){BUILD_PATH("nines-worker"), "--check", BUILD_PATH("examples/echo-2.so"), NULL});
    assert_true(strncmp(r.out, "echo 2.0.0", 10) == 0 && strchr(" \n", r.out[10]));
    assert_string_equal(r.err, "");
    assert_int_equal(r.code, 0);
    rt_runv(&r, (const char *const[]){BUILD_PATH("nines-worker"), "--check", BUILD_PATH("tests/apps/bad_abi.so"), NULL});
    assert_string_equal(r.out, "");
    assert_int_equal(r.code, 1);
}

static void command_line_errors(void **state) {
    struct rt_fx *f = *state;
    struct rt_result r;
    rt_runv(&r, (const char *const[]){RT_TOOL, NULL});
    assert_int_equal(r.code, 2);
    RT_RUN(&r, "unpack", f->spec);
    assert_int_equal(r.code, 2);
    RT_RUN(&r, "verify");
    assert_int_equal(r.code, 2);
    RT_RUN(&r, "build", f->spec);
    assert_int_equal(r.code, 2);
    RT_RUN(&r, "inspect", "--yaml", f->spec);
    assert_int_equal(r.code, 2);
    RT_RUN(&r, "--help");
    assert_int_equal(r.code, 0);
    assert_non_null(strstr(r.out, "usage: nines-release build"));
    RT_RUN(&r, "verify", "/nonexistent");
    assert_string_equal(r.err, "/nonexistent: No such file or directory\n");
    assert_int_equal(r.code, 1);
    /* A spec can be inspected; it is not a release. */
    RT_RUN(&r, "inspect", f->spec);
    assert_int_equal(r.code, 0);
    assert_non_null(strstr(r.out, "files: none listed"));
    RT_RUN(&r, "verify", f->spec);
    char want[512];
    snprintf(want, sizeof want, "%s: no 'files': this is a release spec, not a built release "
                                "(nines-release build writes them)\n", f->spec);
    assert_string_equal(r.err, want);
    assert_int_equal(r.code, 1);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(a_release_is_built_inspected_and_verified, rt_setup, rt_teardown),
        cmocka_unit_test_setup_teardown(an_existing_release_is_replaced_only_with_force, rt_setup, rt_teardown),
        cmocka_unit_test_setup_teardown(a_modified_module_is_a_checksum_mismatch, rt_setup, rt_teardown),
        cmocka_unit_test_setup_teardown(a_module_of_another_version_is_refused, rt_setup, rt_teardown),
        cmocka_unit_test_setup_teardown(a_tree_naming_a_module_outside_the_release, rt_setup, rt_teardown),
        cmocka_unit_test_setup_teardown(paths_leading_out_of_the_folder, rt_setup, rt_teardown),
        cmocka_unit_test_setup_teardown(tarballs_that_are_not_releases, rt_setup, rt_teardown),
        cmocka_unit_test_setup_teardown(a_module_the_host_refuses, rt_setup, rt_teardown),
        cmocka_unit_test(the_worker_check_names_the_module),
        cmocka_unit_test_setup_teardown(command_line_errors, rt_setup, rt_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
