/*
 * Integration: `nines-appup generate` on real files, the built example
 * releases (build/examples/releases/) and small specs made here: what it
 * writes and prints, the worker host's word on code_change it relies on,
 * and every way it refuses — with its exit status and its one line.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "release_tool_fixture.h"

#define APPUP BUILD_PATH("nines-appup")
#define REL_1_0 BUILD_PATH("examples/releases/myapp-1.0.0")
#define REL_1_1 BUILD_PATH("examples/releases/myapp-1.1.0")
/* What generate says when NEW is REL_1_1, a built release. */
#define BUILT_NOTE "note: " REL_1_1 " is a built release: list the appups in its spec's appups: and build it again\n"
#define GEN(r, ...) rt_runv(r, (const char *const[]){APPUP, "generate", __VA_ARGS__, NULL})

static char dir[64];

static int setup(void **unused) {
    snprintf(dir, sizeof dir, "/tmp/nines-itest-appup-XXXXXX");
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **unused) {
    rt_shell("rm -rf '%s'", dir);
    return 0;
}

/* DIR/NAME, in a buffer of its own for each use of the macro. */
#define IN_DIR(name) in_dir((char[PATH_MAX]){0}, name)
static const char *in_dir(char *buf, const char *name) {
    snprintf(buf, PATH_MAX, "%s/%s", dir, name);
    return buf;
}

static void expect(const struct rt_result *r, int code, const char *out, const char *err) {
    assert_string_equal(r->err, err);
    assert_string_equal(r->out, out);
    assert_int_equal(r->code, code);
}

/* What generate relies on: --check says whether the module has
 * code_change, after the name and version that verify compares. */
static void the_worker_check_says_code_change(void **unused) {
    struct rt_result r;
    rt_runv(&r, (const char *const[]){BUILD_PATH("nines-worker"), "--check", BUILD_PATH("examples/echo-2.so"), NULL});
    expect(&r, 0, "echo 2.0.0 code_change\n", "");
    rt_runv(&r, (const char *const[]){BUILD_PATH("nines-worker"), "--check", BUILD_PATH("examples/flaky.so"), NULL});
    expect(&r, 0, "flaky 1.0.0 -\n", "");
}

/* One file per application that changes; never over an existing one
 * without --force, and then none at all. */
static void writes_then_refuses_to_overwrite(void **unused) {
    struct rt_result r;
    char want[2 * PATH_MAX];
    const char *out = IN_DIR("out");
    GEN(&r, REL_1_0, REL_1_1, out);
    snprintf(want, sizeof want, "wrote %s/counter.appup.yaml\nwrote %s/echo.appup.yaml\n" BUILT_NOTE, out, out);
    expect(&r, 0, want, "");
    rt_runv(&r, (const char *const[]){APPUP, "check", IN_DIR("out/counter.appup.yaml"), IN_DIR("out/echo.appup.yaml"),
                                      NULL});
    assert_int_equal(r.code, 0);
    rt_write_text(IN_DIR("out/echo.appup.yaml"), "mine\n");
    unlink(IN_DIR("out/counter.appup.yaml"));
    GEN(&r, REL_1_0, REL_1_1, out);
    snprintf(want, sizeof want, "%s/echo.appup.yaml: already exists (--force replaces it)\n", out);
    expect(&r, 1, "", want);
    struct stat st;
    assert_int_equal(stat(IN_DIR("out/counter.appup.yaml"), &st), -1);
    GEN(&r, "--force", REL_1_0, REL_1_1, out);
    assert_int_equal(r.code, 0);
    rt_runv(&r, (const char *const[]){APPUP, "check", IN_DIR("out/echo.appup.yaml"), NULL});
    assert_int_equal(r.code, 0);
}

/* Manifests name their releases too; OUTDIR defaults to the current
 * folder. */
static void manifests_and_the_current_folder(void **unused) {
    struct rt_result r;
    char cwd[PATH_MAX];
    assert_non_null(getcwd(cwd, sizeof cwd));
    assert_int_equal(chdir(dir), 0);
    GEN(&r, REL_1_0 "/release.yaml", REL_1_1 "/release.yaml");
    assert_int_equal(chdir(cwd), 0);
    expect(&r, 0, "wrote ./counter.appup.yaml\nwrote ./echo.appup.yaml\nnote: " REL_1_1 "/release.yaml is a built "
                  "release: list the appups in its spec's appups: and build it again\n", "");
}

static void command_line_errors(void **unused) {
    static const char usage[] = " (usage: nines-appup generate [--worker PATH] [--force] [--no-spec] OLD NEW [OUTDIR])\n";
    static const struct {
        const char *args[5];
        const char *err;
    } cases[] = {
        {{NULL}, "expected the old release and the new one"},
        {{"a", NULL}, "expected the old release and the new one"},
        {{"a", "b", "c", "d", NULL}, "unexpected 'd'"},
        {{"--json", "a", "b", NULL}, "unknown option '--json'"},
        {{"a", "b", "--worker", NULL}, "'--worker' needs a value"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *argv[8] = {APPUP, "generate"};
        char want[256];
        for (size_t j = 0; cases[i].args[j]; j++)
            argv[2 + j] = cases[i].args[j];
        struct rt_result r;
        rt_runv(&r, argv);
        snprintf(want, sizeof want, "nines-appup: generate: %s%s", cases[i].err, usage);
        expect(&r, 2, "", want);
    }
}

/* A spec in DIR/NAME (into `path`): `manifest`, and a tree with those
 * children; apps/ is the build's examples. */
static void write_spec(char *path, const char *name, const char *manifest, const char *children) {
    char file[2 * PATH_MAX + 16], tree[512];
    in_dir(path, name);
    rt_shell("mkdir -p '%s' && ln -sfn '%s' '%s/apps'", path, BUILD_PATH("examples"), path);
    snprintf(tree, sizeof tree, "supervisor:\n  children: %s\n", children);
    snprintf(file, sizeof file, "%s/tree.yaml", path);
    rt_write_text(file, tree);
    snprintf(file, sizeof file, "%s/release.yaml", path);
    rt_write_text(file, manifest);
}

static void releases_it_refuses(void **unused) {
    struct rt_result r;
    char want[2 * PATH_MAX];
    GEN(&r, REL_1_0 ".tar.gz", REL_1_1, IN_DIR("out"));
    expect(&r, 1, "", REL_1_0 ".tar.gz: not a release folder or manifest (a tarball must be unpacked first: "
                      "nines-release unpack)\n");
    GEN(&r, IN_DIR("none"), REL_1_1, IN_DIR("out"));
    snprintf(want, sizeof want, "%s/none: No such file or directory\n", dir);
    expect(&r, 1, "", want);
    GEN(&r, REL_1_0, REL_1_0, IN_DIR("out"));
    snprintf(want, sizeof want, "%s/release.yaml: both releases are myapp 1.0.0: an appup goes between two versions\n",
             REL_1_0);
    expect(&r, 1, "", want);
    char other[PATH_MAX];
    write_spec(other, "other", "release: other\nversion: 2.0.0\ntree: tree.yaml\napplications: []\n", "[]");
    GEN(&r, REL_1_0, other, IN_DIR("out"));
    snprintf(want, sizeof want, "%s/release.yaml: myapp 1.0.0 and other 2.0.0 are not versions of one release: an "
                                "appup goes between versions of one release\n", other);
    expect(&r, 1, "", want);
    assert_int_equal(access(IN_DIR("out"), F_OK), -1);
}

/* The modules of the applications that change go through the worker
 * host: one that is not what its manifest says, or a host that cannot
 * run, stops everything. */
static void modules_are_checked(void **unused) {
    struct rt_result r;
    char want[2 * PATH_MAX];
    char lie[PATH_MAX];
    write_spec(lie, "lie", "release: myapp\nversion: 9.0.0\ntree: tree.yaml\napplications:\n"
                           "  - {name: counter, version: 9.0.0, module: apps/counter.so}\n",
               "[{id: counter, module: apps/counter.so}]");
    GEN(&r, REL_1_0, lie, IN_DIR("out"));
    snprintf(want, sizeof want, "%s/apps/counter.so: the module is counter 1.0.0, the manifest says counter 9.0.0\n",
             lie);
    expect(&r, 1, "", want);
    char bad[PATH_MAX];
    write_spec(bad, "bad", "release: myapp\nversion: 9.0.0\ntree: tree.yaml\napplications:\n"
                           "  - {name: counter, version: 9.0.0, module: bad/bad_abi.so}\n", "[]");
    rt_shell("ln -s '%s' '%s/bad'", BUILD_PATH("tests/apps"), bad);
    GEN(&r, REL_1_0, bad, IN_DIR("out"));
    snprintf(want, sizeof want, "%s/bad/bad_abi.so: module refused: %s: ABI version 7, this host supports 1\n", bad,
             BUILD_PATH("tests/apps/bad_abi.so"));
    expect(&r, 1, "", want);
    GEN(&r, "--worker", "/nonexistent/nines-worker", REL_1_0, REL_1_1, IN_DIR("out"));
    expect(&r, 1, "", "/nonexistent/nines-worker: cannot run the worker host to check modules: No such file or "
                      "directory\n");
}

/* Nothing changes version: nothing is written; a tree that changes all
 * the same cannot be carried; a folder that cannot be written to. */
static void nothing_to_write_and_nowhere_to_write(void **unused) {
    struct rt_result r;
    char want[2 * PATH_MAX];
    char a[PATH_MAX], b[PATH_MAX], c[PATH_MAX];
    write_spec(a, "a", "release: x\nversion: 1\ntree: tree.yaml\napplications: []\n", "[]");
    write_spec(b, "b", "release: x\nversion: 2\ntree: tree.yaml\napplications: []\n", "[]");
    write_spec(c, "c", "release: x\nversion: 3\ntree: tree.yaml\napplications: []\n", "[{id: t, exec: [/bin/true]}]");
    GEN(&r, a, b, IN_DIR("out"));
    expect(&r, 0, "no application changes version from x 1 to x 2: no appup to write\n", "");
    GEN(&r, a, c, IN_DIR("out"));
    snprintf(want, sizeof want, "%s/tree.yaml: the trees differ in 1 step but no application changes version: an "
                                "appup belongs to an application whose version changes, so none can carry them "
                                "(give one a new version)\n", c);
    expect(&r, 1, "", want);
    rt_write_text(IN_DIR("file"), "");
    GEN(&r, REL_1_0, REL_1_1, IN_DIR("file"));
    snprintf(want, sizeof want, "%s/file/counter.appup.yaml: cannot write: Not a directory\n", dir);
    expect(&r, 1, "", want);
}

/* The file at `path`, NUL-terminated (malloc'd). */
static char *slurp(const char *path) {
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    char *text = calloc(1, 65536);
    assert_non_null(text);
    size_t n = fread(text, 1, 65535, f);
    text[n] = '\0';
    fclose(f);
    return text;
}

/* A spec of myapp 1.0.1 in DIR/NAME (into `path`): 1.0.0 with counter 2.0.0. */
static void next_spec(char *path, const char *name) {
    char file[2 * PATH_MAX + 16];
    in_dir(path, name);
    rt_shell("mkdir -p '%s/appups' && ln -sfn '%s' '%s/apps' && sed 's|apps/counter.so|apps/counter-2.so|' "
             "'%s/tree.yaml' > '%s/tree.yaml'", path, BUILD_PATH("examples"), path, REL_1_0, path);
    snprintf(file, sizeof file, "%s/release.yaml", path);
    rt_write_text(file, "# my next release\nrelease: myapp\nversion: 1.0.1\ntree: tree.yaml\napplications:\n"
                        "  - {name: counter, version: 2.0.0, module: apps/counter-2.so}  # the new one\n"
                        "  - {name: echo, version: 1.0.0, module: apps/echo.so}\n"
                        "  - {name: kv, version: 1.0.0, module: apps/kv.so}\n"
                        "  - {name: flaky, version: 1.0.0, module: apps/flaky.so}\n");
}

/* The appups written inside NEW's spec folder are added to its appups:,
 * once, its comments kept; --no-spec leaves it alone; an appup written
 * elsewhere gets a note. */
static void the_spec_lists_what_was_written(void **unused) {
    struct rt_result r;
    char next[PATH_MAX], want[4 * PATH_MAX], spec[PATH_MAX + 16], appups[PATH_MAX + 16];
    next_spec(next, "next");
    snprintf(spec, sizeof spec, "%s/release.yaml", next);
    snprintf(appups, sizeof appups, "%s/appups", next);
    GEN(&r, REL_1_0, next, appups);
    snprintf(want, sizeof want, "wrote %s/counter.appup.yaml\nadded appups/counter.appup.yaml to %s\n", appups, spec);
    expect(&r, 0, want, "");
    char *text = slurp(spec);
    assert_non_null(strstr(text, "# my next release\n"));
    assert_non_null(strstr(text, "  # the new one\n"));
    assert_non_null(strstr(text, "\nappups: [appups/counter.appup.yaml]\n"));
    free(text);
    /* Listed already: written again, not added again. */
    GEN(&r, "--force", REL_1_0, next, appups);
    snprintf(want, sizeof want, "wrote %s/counter.appup.yaml\n", appups);
    expect(&r, 0, want, "");
    /* The spec builds into a release with the appup. */
    rt_runv(&r, (const char *const[]){BUILD_PATH("nines-release"), "build", spec, IN_DIR("built"), NULL});
    assert_int_equal(r.code, 0);
    char other[PATH_MAX];
    next_spec(other, "other");
    snprintf(spec, sizeof spec, "%s/release.yaml", other);
    snprintf(appups, sizeof appups, "%s/appups", other);
    GEN(&r, "--no-spec", REL_1_0, other, appups);
    snprintf(want, sizeof want, "wrote %s/counter.appup.yaml\n", appups);
    expect(&r, 0, want, "");
    text = slurp(spec);
    assert_null(strstr(text, "appups:"));
    free(text);
    GEN(&r, REL_1_0, other, IN_DIR("out"));
    snprintf(want, sizeof want, "wrote %s/counter.appup.yaml\nnote: %s/counter.appup.yaml is outside the folder of "
                                "%s: list it in its appups: yourself\n", IN_DIR("out"), IN_DIR("out"), spec);
    expect(&r, 0, want, "");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(the_worker_check_says_code_change),
        cmocka_unit_test_setup_teardown(writes_then_refuses_to_overwrite, setup, teardown),
        cmocka_unit_test_setup_teardown(manifests_and_the_current_folder, setup, teardown),
        cmocka_unit_test(command_line_errors),
        cmocka_unit_test_setup_teardown(releases_it_refuses, setup, teardown),
        cmocka_unit_test_setup_teardown(modules_are_checked, setup, teardown),
        cmocka_unit_test_setup_teardown(nothing_to_write_and_nowhere_to_write, setup, teardown),
        cmocka_unit_test_setup_teardown(the_spec_lists_what_was_written, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
