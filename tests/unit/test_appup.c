/*
 * Unit tests of the appup parser, valid files: every construct field by
 * field, the forms a key may take, loading from a file, and lookups.
 * The errors are test_appup_errors.c's.
 */
#include "appup_fixture.h"

static void minimal_appup(void **unused) {
    struct nines_appup *a = appup_ok(HEAD "up: []\ndown: []\n");
    assert_string_equal(a->application, "echo");
    assert_string_equal(a->version, "1.1.0");
    assert_string_equal(a->path, "echo.appup.yaml");
    assert_int_equal(a->n_up, 0);
    assert_int_equal(a->n_down, 0);
    assert_null(nines_appup_find(a, true, "1.0.0"));
    assert_null(nines_appup_find(a, false, "1.0.0"));
    nines_appup_free(a);
}

/* The example of doc/appup.md, each field of each kind of step. */
static const char full[] =
    "application: echo\n"
    "version: 1.1.0\n"
    "up:\n"
    "  - from: 1.0.0\n"
    "    steps:\n"
    "      - code_change: {extra: reformat}\n"
    "      - add_child: {supervisor: web, child: {id: cache, module: apps/cache.so, args: {size: 64}}}\n"
    "      - remove_child: {supervisor: web, id: old-cache}\n"
    "      - change_child:\n"
    "          supervisor: /web/pool\n"
    "          id: worker\n"
    "          child: {id: worker, exec: [sh, -c, 'exec sleep 9'], restart: transient, shutdown: 250ms}\n"
    "      - supervisor_flags: {supervisor: web, strategy: one_for_all, intensity: 5, period: 10s}\n"
    "  - from: [0.9.0, 0.9.1]\n"
    "    steps:\n"
    "      - restart: {}\n"
    "      - supervisor_flags: {supervisor: /, intensity: 0}\n"
    "down:\n"
    "  - to: 1.0.0\n"
    "    steps:\n"
    "      - code_change: {}\n"
    "  - to: [0.9.0, 0.9.1]\n"
    "    steps: []\n";

static void code_change_add_remove(void **unused) {
    struct nines_appup *a = appup_ok(full);
    assert_int_equal(a->n_up, 2);
    const struct nines_appup_entry *e = &a->up[0];
    assert_int_equal(e->n_versions, 1);
    assert_string_equal(e->versions[0], "1.0.0");
    assert_int_equal(e->mark.line, 4);
    assert_int_equal(e->mark.column, 5);
    assert_int_equal(e->n_steps, 5);
    const struct nines_appup_step *s = &e->steps[0];
    assert_int_equal(s->kind, NINES_STEP_CODE_CHANGE);
    assert_string_equal(s->extra, "reformat");
    assert_null(s->supervisor);
    assert_null(s->child);
    assert_int_equal(s->mark.line, 6);
    assert_int_equal(s->mark.column, 9);
    s = &e->steps[1];
    assert_int_equal(s->kind, NINES_STEP_ADD_CHILD);
    assert_string_equal(s->supervisor, "web");
    assert_null(s->id);
    assert_string_equal(s->child->id, "cache");
    assert_int_equal(s->child->kind, NINES_CHILD_MODULE);
    char module[128];
    snprintf(module, sizeof module, "%s/apps/cache.so", fixture_dir);
    assert_string_equal(s->child->module, module);
    assert_int_equal(s->child->n_args, 1);
    assert_string_equal(s->child->args[0].key, "size");
    assert_string_equal(s->child->args[0].value, "64");
    assert_int_equal(s->child->restart, NINES_PERMANENT); /* the tree file's defaults */
    assert_int_equal(s->child->shutdown.ms, 5000);
    assert_int_equal(s->child->mark.line, 7);
    s = &e->steps[2];
    assert_int_equal(s->kind, NINES_STEP_REMOVE_CHILD);
    assert_string_equal(s->supervisor, "web");
    assert_string_equal(s->id, "old-cache");
    assert_null(s->child);
    nines_appup_free(a);
}

static void change_child_and_flags(void **unused) {
    struct nines_appup *a = appup_ok(full);
    const struct nines_appup_step *s = &a->up[0].steps[3];
    assert_int_equal(s->kind, NINES_STEP_CHANGE_CHILD);
    assert_string_equal(s->supervisor, "web/pool"); /* stored without the leading '/' */
    assert_string_equal(s->id, "worker");
    assert_int_equal(s->child->kind, NINES_CHILD_EXEC);
    assert_non_null(strstr(s->child->exec_argv[0], "/sh"));
    assert_string_equal(s->child->exec_argv[2], "exec sleep 9");
    assert_int_equal(s->child->restart, NINES_TRANSIENT);
    assert_int_equal(s->child->shutdown.ms, 250);
    s = &a->up[0].steps[4];
    assert_int_equal(s->kind, NINES_STEP_SUPERVISOR_FLAGS);
    assert_string_equal(s->supervisor, "web");
    assert_true(s->flags.has_strategy && s->flags.has_intensity && s->flags.has_period);
    assert_int_equal(s->flags.strategy, NINES_ONE_FOR_ALL);
    assert_int_equal(s->flags.intensity, 5);
    assert_int_equal(s->flags.period_ms, 10000);
    /* Unset flags are unset, not defaults: only intensity changes here. */
    s = &a->up[1].steps[1];
    assert_string_equal(s->supervisor, "/");
    assert_true(s->flags.has_intensity);
    assert_false(s->flags.has_strategy || s->flags.has_period);
    assert_int_equal(s->flags.intensity, 0);
    nines_appup_free(a);
}

static void restart_lists_and_down(void **unused) {
    struct nines_appup *a = appup_ok(full);
    const struct nines_appup_entry *e = &a->up[1];
    assert_int_equal(e->n_versions, 2);
    assert_string_equal(e->versions[0], "0.9.0");
    assert_string_equal(e->versions[1], "0.9.1");
    assert_int_equal(e->n_steps, 2);
    assert_int_equal(e->steps[0].kind, NINES_STEP_RESTART);
    assert_null(e->steps[0].extra);
    assert_int_equal(a->n_down, 2);
    e = &a->down[0];
    assert_string_equal(e->versions[0], "1.0.0");
    assert_int_equal(e->n_steps, 1);
    assert_int_equal(e->steps[0].kind, NINES_STEP_CODE_CHANGE);
    assert_null(e->steps[0].extra); /* not given: NULL, not "" */
    e = &a->down[1];
    assert_int_equal(e->n_versions, 2);
    assert_int_equal(e->n_steps, 0);
    assert_null(e->steps);
    nines_appup_free(a);
}

static void find_up_and_down(void **unused) {
    struct nines_appup *a = appup_ok(full);
    assert_ptr_equal(nines_appup_find(a, true, "1.0.0"), &a->up[0]);
    assert_ptr_equal(nines_appup_find(a, true, "0.9.0"), &a->up[1]);
    assert_ptr_equal(nines_appup_find(a, true, "0.9.1"), &a->up[1]);
    assert_ptr_equal(nines_appup_find(a, false, "1.0.0"), &a->down[0]);
    assert_ptr_equal(nines_appup_find(a, false, "0.9.1"), &a->down[1]);
    assert_null(nines_appup_find(a, true, "1.1.0"));
    assert_null(nines_appup_find(a, true, "0.9"));
    assert_null(nines_appup_find(a, false, ""));
    nines_appup_free(a);
}

/* Each direction is looked up on its own: a version may be in both. */
static void find_keeps_directions_apart(void **unused) {
    struct nines_appup *a = appup_ok(HEAD "up:\n  - from: 1.0.0\n    steps: [restart: {}]\n"
                                          "down:\n  - to: 0.9.0\n    steps: []\n");
    assert_non_null(nines_appup_find(a, true, "1.0.0"));
    assert_null(nines_appup_find(a, false, "1.0.0"));
    assert_non_null(nines_appup_find(a, false, "0.9.0"));
    assert_null(nines_appup_find(a, true, "0.9.0"));
    nines_appup_free(a);
}

static void versions_and_names_forms(void **unused) {
    /* Keys in any order; `version` after the entries is still compared
     * with them; versions are text ("2" and "1.0.0-rc.1+b7" alike). */
    static const char text[] = "down: []\nup:\n  - steps: []\n    from: ['2', 1.0.0-rc.1+b7]\n"
                               "version: '3'\napplication: my_app-2\n";
    struct nines_appup *a = NULL;
    struct nines_error err;
    assert_int_equal(nines_appup_load_string("my_app-2.appup.yaml", ".", text, strlen(text), &a, &err), 0);
    assert_string_equal(a->application, "my_app-2");
    assert_string_equal(a->version, "3");
    assert_string_equal(a->up[0].versions[0], "2");
    assert_string_equal(a->up[0].versions[1], "1.0.0-rc.1+b7");
    nines_appup_free(a);
}

static void flow_style_and_extras(void **unused) {
    struct nines_appup *a = appup_ok("{application: echo, version: 1.1.0, down: [],"
                                     " up: [{from: 1.0.0, steps: [{code_change: {extra: ''}}]},"
                                     " {from: 0.1.0, steps: [{code_change: {extra: \"a: b, \\\"c\\\"\"}}]}]}");
    assert_string_equal(a->up[0].steps[0].extra, "");
    assert_string_equal(a->up[1].steps[0].extra, "a: b, \"c\"");
    nines_appup_free(a);
}

/* A child spec is a tree file's child: nested supervisors included. */
static void add_a_supervisor(void **unused) {
    struct nines_appup *a = appup_ok(HEAD "down: []\nup:\n  - from: 1.0.0\n    steps:\n"
                                          "      - add_child:\n          supervisor: web/pool\n"
                                          "          child:\n            id: shards\n"
                                          "            supervisor:\n              strategy: dynamic\n"
                                          "              child: {id: shard, module: apps/cache.so}\n");
    const struct nines_child_spec *c = a->up[0].steps[0].child;
    assert_int_equal(c->kind, NINES_CHILD_SUPERVISOR);
    assert_int_equal(c->supervisor->strategy, NINES_DYNAMIC);
    assert_string_equal(c->supervisor->child_template->id, "shard");
    assert_string_equal(a->up[0].steps[0].supervisor, "web/pool");
    nines_appup_free(a);
}

/* Steps run in the order written: kept so, any number of child steps. */
static void steps_keep_their_order(void **unused) {
    struct nines_appup *a = appup_ok(HEAD "down: []\nup:\n  - from: 1.0.0\n    steps:\n"
                                          "      - remove_child: {supervisor: /, id: a}\n"
                                          "      - add_child: {supervisor: /, child: {id: a, module: apps/cache.so}}\n"
                                          "      - remove_child: {supervisor: /, id: b}\n"
                                          "      - restart: {}\n"
                                          "      - supervisor_flags: {supervisor: /, period: 1m}\n");
    static const enum nines_appup_step_kind want[] = {NINES_STEP_REMOVE_CHILD, NINES_STEP_ADD_CHILD,
                                                      NINES_STEP_REMOVE_CHILD, NINES_STEP_RESTART,
                                                      NINES_STEP_SUPERVISOR_FLAGS};
    assert_int_equal(a->up[0].n_steps, 5);
    for (size_t i = 0; i < 5; i++) {
        assert_int_equal(a->up[0].steps[i].kind, want[i]);
        assert_int_equal(a->up[0].steps[i].mark.line, 7 + i);
    }
    assert_string_equal(a->up[0].steps[2].id, "b");
    assert_int_equal(a->up[0].steps[4].flags.period_ms, 60000);
    nines_appup_free(a);
}

static void step_names(void **unused) {
    assert_string_equal(nines_appup_step_name(NINES_STEP_CODE_CHANGE), "code_change");
    assert_string_equal(nines_appup_step_name(NINES_STEP_RESTART), "restart");
    assert_string_equal(nines_appup_step_name(NINES_STEP_ADD_CHILD), "add_child");
    assert_string_equal(nines_appup_step_name(NINES_STEP_REMOVE_CHILD), "remove_child");
    assert_string_equal(nines_appup_step_name(NINES_STEP_CHANGE_CHILD), "change_child");
    assert_string_equal(nines_appup_step_name(NINES_STEP_SUPERVISOR_FLAGS), "supervisor_flags");
    assert_string_equal(nines_appup_step_name((enum nines_appup_step_kind)99), "?");
    nines_appup_free(NULL);
}

/* Write `text` to fixture_dir/NAME; returns the path (static). */
static const char *write_file(const char *name, const char *text) {
    static char path[256];
    snprintf(path, sizeof path, "%s/%s", fixture_dir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    assert_int_equal(fclose(f), 0);
    return path;
}

/* From a file, child specs' relative paths are the appup's folder's. */
static void load_from_file(void **unused) {
    const char *path = write_file("echo.appup.yaml", HEAD "down: []\nup:\n  - from: 1.0.0\n    steps:\n"
                                                          "      - add_child: {supervisor: /, child: {id: c, module: apps/cache.so}}\n");
    struct nines_appup *a = NULL;
    struct nines_error err;
    assert_int_equal(nines_appup_load(path, &a, &err), 0);
    assert_string_equal(a->path, path);
    char module[128];
    snprintf(module, sizeof module, "%s/apps/cache.so", fixture_dir);
    assert_string_equal(a->up[0].steps[0].child->module, module);
    nines_appup_free(a);
    /* A file not named NAME.appup.yaml is not held to a name. */
    path = write_file("other.yaml", HEAD "up: []\ndown: []\n");
    assert_int_equal(nines_appup_load(path, &a, &err), 0);
    nines_appup_free(a);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(minimal_appup),
        cmocka_unit_test(code_change_add_remove),
        cmocka_unit_test(change_child_and_flags),
        cmocka_unit_test(restart_lists_and_down),
        cmocka_unit_test(find_up_and_down),
        cmocka_unit_test(find_keeps_directions_apart),
        cmocka_unit_test(versions_and_names_forms),
        cmocka_unit_test(flow_style_and_extras),
        cmocka_unit_test(add_a_supervisor),
        cmocka_unit_test(steps_keep_their_order),
        cmocka_unit_test(step_names),
        cmocka_unit_test(load_from_file),
    };
    return cmocka_run_group_tests(tests, fixture_setup, fixture_teardown);
}
