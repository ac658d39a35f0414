/*
 * Unit tests of what nines-release verify asks of a release's appups
 * (release/tool/appups.c): each is of one of the release's applications, at
 * its version, and the only one of it; the previous release has the same
 * name; and the planner finds the way up from it and back down with this
 * release's appups — each direction on its own. Manifests and appups are
 * parsed from text by the real loaders.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "release.h"

#define MAX_APPUPS 3

/* One test's world: this release, the one before it, this one's appups. */
struct world {
    struct nines_manifest *prev, *m;
    struct nines_appup *appups[MAX_APPUPS];
    struct nines_error err;
};

static struct nines_manifest *manifest(const char *name, const char *version, const char *apps, const char *appups) {
    char text[2048];
    snprintf(text, sizeof text, "release: %s\nversion: %s\ntree: tree.yaml\napplications:\n%sappups: [%s]\n", name,
             version, apps, appups);
    struct nines_manifest *m = NULL;
    struct nines_error err;
    if (nines_manifest_load_string("rel/release.yaml", text, strlen(text), &m, &err) < 0)
        fail_msg("manifest: %u:%u: %s", err.line, err.column, err.message);
    return m;
}

/* Appup i of w->m, from its text. */
static void add_appup(struct world *w, size_t i, const char *text) {
    struct nines_error err;
    if (nines_appup_load_string(w->m->appups[i].path, "/tmp", text, strlen(text), &w->appups[i], &err) < 0)
        fail_msg("appup: %u:%u: %s", err.line, err.column, err.message);
}

static void world_free(struct world *w) {
    for (size_t i = 0; i < MAX_APPUPS; i++)
        nines_appup_free(w->appups[i]);
    nines_manifest_free(w->prev);
    nines_manifest_free(w->m);
}

#define COUNTER_1 "  - {name: counter, version: 1.0.0, module: apps/counter.so}\n"
#define ECHO_1 "  - {name: echo, version: 1.0.0, module: apps/echo.so}\n"
#define ECHO_2 "  - {name: echo, version: 2.0.0, module: apps/echo.so}\n"
#define KV_2 "  - {name: kv, version: 2.0.0, module: apps/kv.so}\n"

#define ECHO_UP "up:\n  - from: 1.0.0\n    steps:\n      - code_change: {}\n"
#define ECHO_DOWN "down:\n  - to: 1.0.0\n    steps:\n      - code_change: {}\n"
#define ECHO_APPUP "application: echo\nversion: 2.0.0\n" ECHO_UP ECHO_DOWN

static void up(struct world *w, int expect) {
    assert_int_equal(plan_problem(w->prev, "/rel/myapp/1.0.0", w->m, "/rel/myapp/1.1.0",
                                  (const struct nines_appup *const *)w->appups, false, &w->err),
                     expect);
}

static void down(struct world *w, int expect) {
    assert_int_equal(plan_problem(w->prev, "/rel/myapp/1.0.0", w->m, "/rel/myapp/1.1.0",
                                  (const struct nines_appup *const *)w->appups, true, &w->err),
                     expect);
}

static void an_appup_of_each_changed_application_covers_both_ways(void **unused) {
    struct world w = {.prev = manifest("myapp", "1.0.0", COUNTER_1 ECHO_1, ""),
                      .m = manifest("myapp", "1.1.0", COUNTER_1 ECHO_2, "appups/echo.appup.yaml")};
    add_appup(&w, 0, ECHO_APPUP);
    assert_int_equal(appup_problem(w.m, (const struct nines_appup *const *)w.appups, 0, &w.err), 0);
    assert_int_equal(previous_problem(w.prev, w.m, &w.err), 0);
    up(&w, 0);
    down(&w, 0);
    world_free(&w);
}

/* Unchanged applications need no appup; one that comes has no version
 * to come from, and needs none either. */
static void unchanged_and_new_applications_need_no_appup(void **unused) {
    struct world w = {.prev = manifest("myapp", "1.0.0", COUNTER_1, ""),
                      .m = manifest("myapp", "1.1.0", COUNTER_1 KV_2, "")};
    up(&w, 0);
    down(&w, 0);
    world_free(&w);
}

static void a_missing_appup_fails_both_ways(void **unused) {
    struct world w = {.prev = manifest("myapp", "1.0.0", COUNTER_1 ECHO_1, ""),
                      .m = manifest("myapp", "1.1.0", COUNTER_1 ECHO_2, "")};
    up(&w, -EINVAL);
    assert_string_equal(w.err.file, "rel/release.yaml");
    assert_string_equal(w.err.message, "cannot plan echo 1.0.0 -> 2.0.0: the target release has no appup for 'echo'");
    down(&w, -EINVAL);
    assert_string_equal(w.err.file, "rel/release.yaml");
    assert_string_equal(w.err.message,
                        "cannot plan echo 2.0.0 -> 1.0.0: the current release has no appup for 'echo'");
    world_free(&w);
}

/* Each direction is checked on its own: an appup with no way back, or
 * none from the previous version. */
static void each_way_needs_its_entry(void **unused) {
    struct world w = {.prev = manifest("myapp", "1.0.0", COUNTER_1 ECHO_1, ""),
                      .m = manifest("myapp", "1.1.0", COUNTER_1 ECHO_2, "appups/echo.appup.yaml")};
    add_appup(&w, 0, "application: echo\nversion: 2.0.0\n" ECHO_UP "down: []\n");
    up(&w, 0);
    down(&w, -EINVAL);
    assert_string_equal(w.err.file, "appups/echo.appup.yaml");
    assert_string_equal(w.err.message, "cannot plan echo 2.0.0 -> 1.0.0: the appup has no 'down' entry to 1.0.0");
    nines_appup_free(w.appups[0]);
    add_appup(&w, 0,
              "application: echo\nversion: 2.0.0\nup:\n  - from: 0.9.0\n    steps: []\n"
              "down:\n  - to: 0.9.0\n    steps: []\n");
    up(&w, -EINVAL);
    assert_string_equal(w.err.message, "cannot plan echo 1.0.0 -> 2.0.0: the appup has no 'up' entry from 1.0.0");
    down(&w, -EINVAL);
    assert_string_equal(w.err.message, "cannot plan echo 2.0.0 -> 1.0.0: the appup has no 'down' entry to 1.0.0");
    world_free(&w);
}

static void the_previous_release_has_the_same_name(void **unused) {
    struct world w = {.prev = manifest("other", "1.0.0", COUNTER_1, ""), .m = manifest("myapp", "1.1.0", COUNTER_1, "")};
    assert_int_equal(previous_problem(w.prev, w.m, &w.err), -EINVAL);
    assert_string_equal(w.err.file, "rel/release.yaml");
    assert_int_equal(w.err.line, 0);
    assert_string_equal(w.err.message, "the previous release is other 1.0.0, not a version of myapp: an upgrade goes "
                                       "between versions of one release");
    world_free(&w);
}

/* Each mistake is reported where the manifest lists the appup. */
static void an_appup_is_of_one_application_at_its_version(void **unused) {
    struct world w = {.m = manifest("myapp", "1.1.0", COUNTER_1 ECHO_2,
                                    "appups/echo.appup.yaml, appups/kv.appup.yaml, old/echo.appup.yaml")};
    add_appup(&w, 0, ECHO_APPUP);
    add_appup(&w, 1, "application: kv\nversion: 2.0.0\nup: []\ndown: []\n");
    add_appup(&w, 2, "application: echo\nversion: 2.0.0\nup: []\ndown: []\n");
    const struct nines_appup *const *a = (const struct nines_appup *const *)w.appups;
    assert_int_equal(appup_problem(w.m, a, 0, &w.err), 0);
    assert_int_equal(appup_problem(w.m, a, 1, &w.err), -EINVAL);
    assert_string_equal(w.err.file, "rel/release.yaml");
    assert_int_equal(w.err.line, 7);
    assert_int_equal(w.err.column, 34);
    assert_string_equal(w.err.message, "appup appups/kv.appup.yaml is of application 'kv', which is not in the release");
    assert_int_equal(appup_problem(w.m, a, 2, &w.err), -EINVAL);
    assert_int_equal(w.err.column, 56);
    assert_string_equal(w.err.message,
                        "appup old/echo.appup.yaml is a second appup of 'echo' (the first is appups/echo.appup.yaml)");
    nines_appup_free(w.appups[0]);
    add_appup(&w, 0, "application: echo\nversion: 1.5.0\nup: []\ndown: []\n");
    assert_int_equal(appup_problem(w.m, a, 0, &w.err), -EINVAL);
    assert_int_equal(w.err.column, 10);
    assert_string_equal(w.err.message, "appup appups/echo.appup.yaml leads to echo 1.5.0, the release has echo 2.0.0");
    world_free(&w);
}

/* What appup_problem looks applications up with (release/manifest.h). */
static void the_manifest_finds_an_application_by_name(void **unused) {
    struct nines_manifest *m = manifest("myapp", "1.1.0", COUNTER_1 ECHO_2, "");
    assert_ptr_equal(nines_manifest_find_app(m, "echo"), &m->apps[1]);
    assert_ptr_equal(nines_manifest_find_app(m, "counter"), &m->apps[0]);
    assert_null(nines_manifest_find_app(m, "ech"));
    assert_null(nines_manifest_find_app(m, "kv"));
    nines_manifest_free(m);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(an_appup_of_each_changed_application_covers_both_ways),
        cmocka_unit_test(unchanged_and_new_applications_need_no_appup),
        cmocka_unit_test(a_missing_appup_fails_both_ways),
        cmocka_unit_test(each_way_needs_its_entry),
        cmocka_unit_test(the_previous_release_has_the_same_name),
        cmocka_unit_test(an_appup_is_of_one_application_at_its_version),
        cmocka_unit_test(the_manifest_finds_an_application_by_name),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
