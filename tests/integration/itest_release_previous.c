/*
 * Integration: the appups of a release, checked by the real nines-release.
 * Every appup must load (its error with FILE:LINE:COLUMN) and be of one of
 * the release's applications; with --previous, the appups must lead from
 * that release to this one and back, as the planner finds the way — for
 * verify, for build before anything is written, and for unpack before
 * anything lands in DIR. The previous release is myapp 1.0.0 (counter and
 * echo 1.0.0); this one, myapp 1.1.0, has echo 2.0.0 (echo-2.so).
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

#define UP_ENTRY "up:\n  - from: 1.0.0\n    steps:\n      - code_change: {extra: up}\n"
#define DOWN_ENTRY "down:\n  - to: 1.0.0\n    steps:\n      - code_change: {extra: down}\n"
#define ECHO_APPUP "application: echo\nversion: 2.0.0\n" UP_ENTRY DOWN_ENTRY

struct world {
    struct rt_fx *f;
    char prev[160];    /* DIR/out/myapp-1.0.0 */
    char prev_tgz[192];
    char appup[160];   /* DIR/spec/appups/echo.appup.yaml */
};

/* DIR/spec/release.yaml: NAME VERSION, counter 1.0.0, echo at
 * ECHO_VERSION, and the appups named (a YAML flow sequence's items). */
static void write_spec(struct rt_fx *f, const char *name, const char *version, const char *echo_version,
                       const char *appups) {
    char text[1024];
    snprintf(text, sizeof text,
             "release: %s\nversion: %s\ntree: tree.yaml\napplications:\n"
             "  - {name: counter, version: 1.0.0, module: apps/counter.so}\n"
             "  - {name: echo, version: %s, module: apps/echo.so}\nappups: [%s]\n",
             name, version, echo_version, appups);
    rt_write_text(f->spec, text);
}

/* The previous release built (as NAME 1.0.0), then the spec turned into
 * myapp 1.1.0 with echo-2.so and the appup `appup` (none if NULL). */
static void make_world(struct world *w, struct rt_fx *f, const char *name, const char *appup) {
    memset(w, 0, sizeof *w);
    w->f = f;
    snprintf(w->prev, sizeof w->prev, "%s/%s-1.0.0", f->out, name);
    snprintf(w->prev_tgz, sizeof w->prev_tgz, "%s.tar.gz", w->prev);
    snprintf(w->appup, sizeof w->appup, "%s/spec/appups/echo.appup.yaml", f->dir);
    write_spec(f, name, "1.0.0", "1.0.0", "");
    rt_build_ok(f);
    rt_shell("cp %s %s/spec/apps/echo.so && mkdir %s/spec/appups", BUILD_PATH("examples/echo-2.so"), f->dir,
             f->dir);
    if (appup)
        rt_write_text(w->appup, appup);
    write_spec(f, "myapp", "1.1.0", "2.0.0", appup ? "appups/echo.appup.yaml" : "");
}

/* This release built without verification, to verify it afterwards. */
static void build_unverified(struct world *w) {
    struct rt_result r;
    RT_RUN(&r, "build", "--no-verify", w->f->spec, w->f->out);
    assert_int_equal(r.code, 0);
}

static void expect_verify(const char *previous, const char *release, const char *lines) {
    struct rt_result r;
    char ok[512];
    RT_RUN(&r, "verify", "--previous", previous, release);
    snprintf(ok, sizeof ok, "%s: ok\n", release);
    assert_string_equal(r.err, lines);
    assert_string_equal(r.out, *lines ? "" : ok);
    assert_int_equal(r.code, *lines ? 1 : 0);
}

static void a_covering_appup_plans_both_ways(void **state) {
    struct world w;
    struct rt_result r;
    char dir[192], want[512];
    make_world(&w, *state, "myapp", ECHO_APPUP);
    RT_RUN(&r, "build", "--previous", w.prev_tgz, w.f->spec, w.f->out);
    assert_string_equal(r.err, "");
    assert_int_equal(r.code, 0);
    expect_verify(w.prev, w.f->rel, "");
    expect_verify(w.prev_tgz, w.f->tarball, "");
    /* The previous release named by its manifest, and unpacked beside it. */
    snprintf(dir, sizeof dir, "%s/release.yaml", w.prev);
    expect_verify(dir, w.f->rel, "");
    snprintf(dir, sizeof dir, "%s/releases", w.f->dir);
    rt_shell("mkdir %s", dir);
    RT_RUN(&r, "unpack", "--previous", w.prev_tgz, w.f->tarball, dir);
    snprintf(want, sizeof want, "unpacked myapp 1.1.0 %s/myapp/1.1.0\n", dir);
    assert_string_equal(r.err, "");
    assert_string_equal(r.out, want);
    assert_int_equal(r.code, 0);
    rt_shell("test -z \"$(ls -A %s/tmp)\"", w.f->dir);
}

/* echo changed and there is no appup: no way up, no way down. Without
 * --previous nothing is said about it. */
static void a_missing_appup(void **state) {
    struct world w;
    struct rt_result r;
    char want[1024], dir[192];
    make_world(&w, *state, "myapp", NULL);
    build_unverified(&w);
    snprintf(want, sizeof want,
             "%s/release.yaml: cannot plan echo 1.0.0 -> 2.0.0: the target release has no appup for 'echo'\n"
             "%s/release.yaml: cannot plan echo 2.0.0 -> 1.0.0: the current release has no appup for 'echo'\n",
             w.f->rel, w.f->rel);
    expect_verify(w.prev, w.f->rel, want);
    RT_RUN(&r, "verify", w.f->rel);
    assert_int_equal(r.code, 0);
    /* unpack refuses it, and nothing lands in DIR. */
    snprintf(dir, sizeof dir, "%s/releases", w.f->dir);
    rt_shell("mkdir %s", dir);
    RT_RUN(&r, "unpack", "--previous", w.prev, w.f->rel, dir);
    assert_string_equal(r.err, want);
    assert_string_equal(r.out, "");
    assert_int_equal(r.code, 1);
    rt_shell("test -z \"$(ls -A %s)\"", dir);
    /* build refuses it too, naming the files as they would be named. */
    rt_shell("rm -r %s/myapp-1.1.0 %s/myapp-1.1.0.tar.gz", w.f->out, w.f->out);
    RT_RUN(&r, "build", "--previous", w.prev, w.f->spec, w.f->out);
    assert_string_equal(r.err, want);
    assert_int_equal(r.code, 1);
    rt_shell("test \"$(ls -A %s | tr '\\n' ' ')\" = 'myapp-1.0.0 myapp-1.0.0.tar.gz '", w.f->out);
}

/* The appup has no entry for 1.0.0: first none either way, then only
 * the way back is missing. */
static void no_entry_for_the_previous_version(void **state) {
    struct world w;
    char want[1024], appup[192];
    make_world(&w, *state, "myapp",
               "application: echo\nversion: 2.0.0\n"
               "up:\n  - from: 0.9.0\n    steps: []\ndown:\n  - to: 0.9.0\n    steps: []\n");
    build_unverified(&w);
    snprintf(appup, sizeof appup, "%s/appups/echo.appup.yaml", w.f->rel);
    snprintf(want, sizeof want,
             "%s: cannot plan echo 1.0.0 -> 2.0.0: the appup has no 'up' entry from 1.0.0\n"
             "%s: cannot plan echo 2.0.0 -> 1.0.0: the appup has no 'down' entry to 1.0.0\n",
             appup, appup);
    expect_verify(w.prev, w.f->rel, want);
    rt_write_text(w.appup, "application: echo\nversion: 2.0.0\n" UP_ENTRY "down: []\n");
    RT_RUN(&(struct rt_result){0}, "build", "--force", "--no-verify", w.f->spec, w.f->out);
    snprintf(want, sizeof want, "%s: cannot plan echo 2.0.0 -> 1.0.0: the appup has no 'down' entry to 1.0.0\n",
             appup);
    expect_verify(w.prev, w.f->rel, want);
    /* In a tarball, as the tarball's path names it. */
    snprintf(want, sizeof want,
             "%s/myapp-1.1.0/appups/echo.appup.yaml: cannot plan echo 2.0.0 -> 1.0.0: the appup has no 'down' "
             "entry to 1.0.0\n",
             w.f->tarball);
    expect_verify(w.prev_tgz, w.f->tarball, want);
}

static void the_previous_release_is_another_release(void **state) {
    struct world w;
    char want[1024];
    make_world(&w, *state, "other", ECHO_APPUP);
    build_unverified(&w);
    snprintf(want, sizeof want,
             "%s/release.yaml: the previous release is other 1.0.0, not a version of myapp: an upgrade goes "
             "between versions of one release\n",
             w.f->rel);
    expect_verify(w.prev, w.f->rel, want);
    snprintf(want, sizeof want, "%s/none: No such file or directory\n", w.f->dir);
    char none[128];
    snprintf(none, sizeof none, "%s/none", w.f->dir);
    expect_verify(none, w.f->rel, want);
}

/* An appup that does not load: its error, where it is, with or without
 * --previous (and then no plan is tried). */
static void an_appup_that_does_not_load(void **state) {
    struct world w;
    char want[1024];
    make_world(&w, *state, "myapp",
               "application: echo\nversion: 2.0.0\n"
               "up:\n  - from: 1.0.0\n    steps:\n      - code_chnage: {}\ndown: []\n");
    build_unverified(&w);
    snprintf(want, sizeof want,
             "%s/appups/echo.appup.yaml:6:9: unknown step 'code_chnage' (allowed: code_change, restart, add_child, "
             "remove_child, change_child, supervisor_flags)\n",
             w.f->rel);
    rt_expect_problems(w.f->rel, want);
    expect_verify(w.prev, w.f->rel, want);
    snprintf(want, sizeof want,
             "%s/myapp-1.1.0/appups/echo.appup.yaml:6:9: unknown step 'code_chnage' (allowed: code_change, restart, "
             "add_child, remove_child, change_child, supervisor_flags)\n",
             w.f->tarball);
    rt_expect_problems(w.f->tarball, want);
}

/* An appup that loads but is not this release's: another version, then
 * another application; named where the manifest lists it. */
static void an_appup_of_another_version_or_application(void **state) {
    struct world w;
    char want[1024];
    make_world(&w, *state, "myapp", "application: echo\nversion: 1.5.0\nup: []\ndown: []\n");
    build_unverified(&w);
    snprintf(want, sizeof want,
             "%s/release.yaml:8:3: appup appups/echo.appup.yaml leads to echo 1.5.0, the release has echo 2.0.0\n",
             w.f->rel);
    rt_expect_problems(w.f->rel, want);
    rt_shell("rm %s && mkdir -p %s/spec/appups", w.appup, w.f->dir);
    snprintf(w.appup, sizeof w.appup, "%s/spec/appups/kv.appup.yaml", w.f->dir);
    rt_write_text(w.appup, "application: kv\nversion: 2.0.0\nup: []\ndown: []\n");
    write_spec(w.f, "myapp", "1.1.0", "2.0.0", "appups/kv.appup.yaml");
    RT_RUN(&(struct rt_result){0}, "build", "--force", "--no-verify", w.f->spec, w.f->out);
    snprintf(want, sizeof want,
             "%s/release.yaml:8:3: appup appups/kv.appup.yaml is of application 'kv', which is not in the "
             "release\n",
             w.f->rel);
    rt_expect_problems(w.f->rel, want);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(a_covering_appup_plans_both_ways, rt_setup, rt_teardown),
        cmocka_unit_test_setup_teardown(a_missing_appup, rt_setup, rt_teardown),
        cmocka_unit_test_setup_teardown(no_entry_for_the_previous_version, rt_setup, rt_teardown),
        cmocka_unit_test_setup_teardown(the_previous_release_is_another_release, rt_setup, rt_teardown),
        cmocka_unit_test_setup_teardown(an_appup_that_does_not_load, rt_setup, rt_teardown),
        cmocka_unit_test_setup_teardown(an_appup_of_another_version_or_application, rt_setup, rt_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
