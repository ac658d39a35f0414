/*
 * Unit tests of the release upgrade planner (appup/relup.h): each kind of
 * step with its concrete data and its undo, the order of applications and
 * steps, up and down, what makes a plan impossible, and the printed plan.
 * Inputs are parsed from text by the real loaders; child specs run
 * /bin/sh so that no fixture file is needed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "relup.h"

static struct nines_manifest *manifest(const char *version, const char *apps) {
    char text[2048];
    snprintf(text, sizeof text, "release: myapp\nversion: %s\ntree: tree.yaml\napplications:\n%s", version, apps);
    struct nines_manifest *m = NULL;
    struct nines_error err;
    if (nines_manifest_load_string("release.yaml", text, strlen(text), &m, &err) < 0)
        fail_msg("manifest: %s", err.message);
    return m;
}

static struct nines_appup *appup(const char *text) {
    struct nines_appup *a = NULL;
    struct nines_error err;
    if (nines_appup_load_string("test.yaml", "/tmp", text, strlen(text), &a, &err) < 0)
        fail_msg("appup: %d:%d: %s", err.line, err.column, err.message);
    return a;
}

static const char tree_text[] = "supervisor:\n"
                                "  children:\n"
                                "    - id: web\n"
                                "      supervisor:\n"
                                "        intensity: 3\n"
                                "        children:\n"
                                "          - {id: old-cache, exec: [/bin/sh]}\n"
                                "          - {id: pool, exec: [/bin/sh, -c, 'exec sleep 9']}\n";

/* One test's world: two manifests, up to three appups, the current tree. */
struct world {
    struct nines_manifest *cur, *tgt;
    struct nines_appup *appups[3];
    struct nines_tree *tree;
    struct nines_relup_input in;
};

static void world_init(struct world *w, struct nines_manifest *cur, struct nines_manifest *tgt, bool down) {
    struct nines_error err;
    memset(w, 0, sizeof *w);
    w->cur = cur;
    w->tgt = tgt;
    if (nines_tree_load_string("tree.yaml", "/tmp", tree_text, strlen(tree_text), &w->tree, &err) < 0)
        fail_msg("tree: %u:%u: %s", err.line, err.column, err.message);
    w->in = (struct nines_relup_input){.current = cur, .current_dir = "/rel/myapp/1.0.0/", .current_tree = w->tree,
                                       .target = tgt, .target_dir = "/rel/myapp/1.1.0",
                                       .appups = (const struct nines_appup *const *)w->appups, .down = down};
}

static void world_add(struct world *w, const char *text) { w->appups[w->in.n_appups++] = appup(text); }

static struct nines_relup *plan_ok(struct world *w) {
    struct nines_relup *p = NULL;
    struct nines_error err;
    if (nines_relup_plan(&w->in, &p, &err) < 0)
        fail_msg("plan: %s: %s", err.file, err.message);
    return p;
}

static void world_free(struct world *w) {
    for (size_t i = 0; i < w->in.n_appups; i++)
        nines_appup_free(w->appups[i]);
    nines_manifest_free(w->cur);
    nines_manifest_free(w->tgt);
    nines_tree_free(w->tree);
}

#define ECHO_APPUP                                                                                                     \
    "application: echo\nversion: 1.1.0\n"                                                                            \
    "up:\n  - from: 1.0.0\n    steps:\n      - code_change: {extra: reformat}\n"                                   \
    "down:\n  - to: 1.0.0\n    steps:\n      - code_change: {extra: back}\n"
#define KV_APPUP                                                                                                       \
    "application: kv\nversion: 2.0.0\nup:\n  - from: 1.0.0\n    steps:\n      - restart: {}\ndown: []\n"

#define CUR_APPS                                                                                                       \
    "  - {name: echo, version: 1.0.0, module: apps/echo.so}\n"                                                        \
    "  - {name: kv, version: 1.0.0, module: apps/kv.so}\n"                                                            \
    "  - {name: counter, version: 1.0.0, module: apps/counter.so}\n"

/* Applications in the target's order; swap and restart with both modules. */
static void swap_restart_up(void **unused) {
    struct world w;
    world_init(&w,
               manifest("1.0.0", CUR_APPS),
               manifest("1.1.0", "  - {name: kv, version: 2.0.0, module: apps/kv-2.so}\n"
                                 "  - {name: counter, version: 1.0.0, module: apps/counter.so}\n"
                                 "  - {name: echo, version: 1.1.0, module: apps/echo.so}\n"),
               false);
    world_add(&w, ECHO_APPUP);
    world_add(&w, KV_APPUP);
    struct nines_relup *p = plan_ok(&w);
    assert_int_equal(p->n_steps, 2);
    assert_int_equal(p->n_notes, 0);
    const struct nines_relup_step *s = &p->steps[0];
    assert_string_equal(s->application, "kv");
    assert_int_equal(s->op.kind, NINES_RELUP_RESTART);
    assert_string_equal(s->op.module, "/rel/myapp/1.1.0/apps/kv-2.so");
    assert_string_equal(s->op.from_version, "1.0.0");
    assert_string_equal(s->op.to_version, "2.0.0");
    assert_true(s->has_undo);
    assert_int_equal(s->undo.kind, NINES_RELUP_RESTART);
    assert_string_equal(s->undo.module, "/rel/myapp/1.0.0/apps/kv.so");
    assert_string_equal(s->undo.to_version, "1.0.0");
    s = &p->steps[1];
    assert_string_equal(s->application, "echo");
    assert_int_equal(s->op.kind, NINES_RELUP_SWAP);
    assert_string_equal(s->op.module, "/rel/myapp/1.1.0/apps/echo.so");
    assert_string_equal(s->op.extra, "reformat");
    assert_int_equal(s->mark.line, 6);
    assert_int_equal(s->undo.kind, NINES_RELUP_SWAP);
    assert_string_equal(s->undo.module, "/rel/myapp/1.0.0/apps/echo.so");
    assert_string_equal(s->undo.from_version, "1.1.0");
    assert_string_equal(s->undo.extra, "back"); /* the down entry's code_change */
    nines_relup_free(p);
    world_free(&w);
}

/* Going down: the current release's appup, its down entry; the undo
 * swaps up again with the up entry's extra. */
static void swap_down(void **unused) {
    struct world w;
    world_init(&w, manifest("1.1.0", "  - {name: echo, version: 1.1.0, module: apps/echo.so}\n"),
               manifest("1.0.0", "  - {name: echo, version: 1.0.0, module: apps/echo.so}\n"), true);
    w.in.current_dir = "/rel/myapp/1.1.0";
    w.in.target_dir = "/rel/myapp/1.0.0";
    world_add(&w, ECHO_APPUP);
    struct nines_relup *p = plan_ok(&w);
    assert_true(p->down);
    assert_int_equal(p->n_steps, 1);
    assert_string_equal(p->steps[0].op.module, "/rel/myapp/1.0.0/apps/echo.so");
    assert_string_equal(p->steps[0].op.from_version, "1.1.0");
    assert_string_equal(p->steps[0].op.to_version, "1.0.0");
    assert_string_equal(p->steps[0].op.extra, "back");
    assert_string_equal(p->steps[0].undo.module, "/rel/myapp/1.1.0/apps/echo.so");
    assert_string_equal(p->steps[0].undo.extra, "reformat");
    nines_relup_free(p);
    world_free(&w);
}

/* Same versions: nothing to do and no appup needed. */
static void unchanged_nothing(void **unused) {
    struct world w;
    world_init(&w, manifest("1.0.0", CUR_APPS), manifest("1.1.0", CUR_APPS), false);
    struct nines_relup *p = plan_ok(&w);
    assert_int_equal(p->n_steps, 0);
    assert_int_equal(p->n_notes, 0);
    nines_relup_free(p);
    world_free(&w);
}

static void expect_error(struct world *w, const char *file, const char *message) {
    struct nines_relup *p = (struct nines_relup *)1;
    struct nines_error err;
    assert_int_equal(nines_relup_plan(&w->in, &p, &err), -EINVAL);
    assert_null(p);
    assert_string_equal(err.file, file);
    assert_string_equal(err.message, message);
}

static void missing_entry(void **unused) {
    struct world w;
    world_init(&w, manifest("1.0.0", CUR_APPS),
               manifest("1.1.0", "  - {name: echo, version: 1.1.0, module: apps/echo.so}\n"
                                 "  - {name: kv, version: 2.0.0, module: apps/kv.so}\n"),
               false);
    world_add(&w, ECHO_APPUP);
    expect_error(&w, "release.yaml", "cannot plan kv 1.0.0 -> 2.0.0: the target release has no appup for 'kv'");
    world_add(&w, "application: kv\nversion: 2.0.0\nup:\n  - from: 0.9.0\n    steps: []\ndown: []\n");
    expect_error(&w, "test.yaml", "cannot plan kv 1.0.0 -> 2.0.0: the appup has no 'up' entry from 1.0.0");
    world_free(&w);
}

static void wrong_appup_version(void **unused) {
    struct world w;
    world_init(&w, manifest("1.0.0", CUR_APPS),
               manifest("1.1.0", "  - {name: echo, version: 1.2.0, module: apps/echo.so}\n"), false);
    world_add(&w, ECHO_APPUP);
    expect_error(&w, "test.yaml", "cannot plan echo 1.0.0 -> 1.2.0: this appup is for version 1.1.0, not 1.2.0");
    world_free(&w);
}

static void missing_down_entry(void **unused) {
    struct world w;
    world_init(&w, manifest("2.0.0", "  - {name: kv, version: 2.0.0, module: apps/kv.so}\n"),
               manifest("1.0.0", "  - {name: kv, version: 1.0.0, module: apps/kv.so}\n"), true);
    world_add(&w, KV_APPUP);
    expect_error(&w, "test.yaml", "cannot plan kv 2.0.0 -> 1.0.0: the appup has no 'down' entry to 1.0.0");
    world_free(&w);
}

/* Child and flag steps in the appup's order, each with its undo against
 * the tree as the earlier steps leave it. */
static const char child_appup[] =
    "application: echo\nversion: 1.1.0\nup:\n  - from: 1.0.0\n    steps:\n"
    "      - add_child: {supervisor: web, child: {id: cache, exec: [/bin/sh]}}\n"
    "      - remove_child: {supervisor: /web, id: old-cache}\n"
    "      - change_child: {supervisor: web, id: pool, child: {id: pool, exec: [/bin/sh]}}\n"
    "      - supervisor_flags: {supervisor: web, strategy: one_for_all, intensity: 5}\n"
    "      - supervisor_flags: {supervisor: web, intensity: 7, period: 2s}\n"
    "      - remove_child: {supervisor: web, id: cache}\n"
    "      - remove_child: {supervisor: web, id: ghost}\n"
    "      - supervisor_flags: {supervisor: nowhere, intensity: 1}\n"
    "down: []\n";

static void child_steps_and_undo(void **unused) {
    struct world w;
    world_init(&w, manifest("1.0.0", CUR_APPS),
               manifest("1.1.0", "  - {name: echo, version: 1.1.0, module: apps/echo.so}\n"), false);
    world_add(&w, child_appup);
    struct nines_relup *p = plan_ok(&w);
    assert_int_equal(p->n_steps, 8);
    const struct nines_relup_step *s = p->steps;
    assert_int_equal(s[0].op.kind, NINES_RELUP_ADD_CHILD);
    assert_string_equal(s[0].op.supervisor, "web");
    assert_string_equal(s[0].op.id, "cache");
    assert_int_equal(s[0].undo.kind, NINES_RELUP_REMOVE_CHILD);
    assert_string_equal(s[0].undo.id, "cache");
    /* The removed child comes back with its spec from the current tree. */
    assert_int_equal(s[1].op.kind, NINES_RELUP_REMOVE_CHILD);
    assert_int_equal(s[1].undo.kind, NINES_RELUP_ADD_CHILD);
    assert_ptr_equal(s[1].undo.child, &w.tree->root.children[0].supervisor->children[0]);
    assert_int_equal(s[2].op.kind, NINES_RELUP_CHANGE_CHILD);
    assert_ptr_equal(s[2].op.child, w.appups[0]->up[0].steps[2].child);
    assert_int_equal(s[2].undo.kind, NINES_RELUP_CHANGE_CHILD);
    assert_ptr_equal(s[2].undo.child, &w.tree->root.children[0].supervisor->children[1]);
    /* Old flags from the tree (intensity 3, the default strategy)... */
    assert_true(s[3].undo.flags.has_strategy && s[3].undo.flags.has_intensity && !s[3].undo.flags.has_period);
    assert_int_equal(s[3].undo.flags.strategy, NINES_ONE_FOR_ONE);
    assert_int_equal(s[3].undo.flags.intensity, 3);
    /* ...or from the earlier step that set them. */
    assert_int_equal(s[4].undo.flags.intensity, 5);
    assert_int_equal(s[4].undo.flags.period_ms, 5000);
    /* A child added by an earlier step comes back with that step's spec. */
    assert_true(s[5].has_undo);
    assert_ptr_equal(s[5].undo.child, s[0].op.child);
    /* Nothing to put back: not in the tree, not set before. */
    assert_false(s[6].has_undo);
    assert_false(s[7].has_undo);
    nines_relup_free(p);
    world_free(&w);
}

static void added_removed_notes(void **unused) {
    struct world w;
    world_init(&w, manifest("1.0.0", "  - {name: old, version: 1.0.0, module: apps/old.so}\n"),
               manifest("1.1.0", "  - {name: fresh, version: 0.1.0, module: apps/fresh.so}\n"), false);
    struct nines_relup *p = plan_ok(&w);
    assert_int_equal(p->n_steps, 0);
    assert_int_equal(p->n_notes, 2);
    assert_string_equal(p->notes[0],
                        "application fresh 0.1.0 is new: no step of its own, its workers start with add_child steps");
    assert_string_equal(p->notes[1],
                        "application old 1.0.0 is gone: no step of its own, its workers stop with remove_child steps");
    nines_relup_free(p);
    world_free(&w);
}

static const char small_appup[] = "application: echo\nversion: 1.1.0\nup:\n  - from: 1.0.0\n    steps:\n"
                                  "      - add_child: {supervisor: /, child: {id: cache, exec: [/bin/sh]}}\n"
                                  "      - code_change: {extra: 'say \"hi\"'}\n"
                                  "      - supervisor_flags: {supervisor: web, period: 2s}\n"
                                  "      - remove_child: {supervisor: web, id: ghost}\n"
                                  "down: []\n";

static struct nines_relup *small_plan(struct world *w) {
    world_init(w, manifest("1.0.0", "  - {name: echo, version: 1.0.0, module: apps/echo.so}\n"),
               manifest("1.1.0", "  - {name: echo, version: 1.1.0, module: apps/echo.so}\n"), false);
    world_add(w, small_appup);
    return plan_ok(w);
}

static void format_text(void **unused) {
    struct world w;
    struct nines_relup *p = small_plan(&w);
    char buf[2048];
    size_t n = nines_relup_format(p, buf, sizeof buf, false);
    const char *want =
        "upgrade myapp 1.0.0 -> 1.1.0: 4 steps\n"
        "  1. echo: add child cache under /: exec /bin/sh\n"
        "     undo: remove child cache under /\n"
        "  2. echo: swap workers 1.0.0 -> 1.1.0 on /rel/myapp/1.1.0/apps/echo.so, code_change extra \"say \\\"hi\\\"\"\n"
        "     undo: swap workers 1.1.0 -> 1.0.0 on /rel/myapp/1.0.0/apps/echo.so, code_change extra \"\"\n"
        "  3. echo: set flags of web: period 2000ms\n"
        "     undo: set flags of web: period 5000ms\n"
        "  4. echo: remove child ghost under web\n"
        "     undo: none (the old state is not known)\n";
    assert_string_equal(buf, want);
    assert_int_equal(n, strlen(want));
    /* Too small: cut and terminated, the needed length still returned. */
    char small[10];
    assert_int_equal(nines_relup_format(p, small, sizeof small, false), n);
    assert_string_equal(small, "upgrade m");
    nines_relup_free(p);
    world_free(&w);
}

static void format_json(void **unused) {
    struct world w;
    struct nines_relup *p = small_plan(&w);
    char buf[4096];
    nines_relup_format(p, buf, sizeof buf, true);
    const char *want =
        "{\"direction\":\"up\",\"release\":\"myapp\",\"from\":\"1.0.0\",\"to\":\"1.1.0\",\"steps\":["
        "{\"application\":\"echo\",\"appup\":\"test.yaml\",\"line\":6,\"column\":9,"
        "\"do\":{\"action\":\"add_child\",\"supervisor\":\"/\",\"id\":\"cache\","
        "\"child\":{\"kind\":\"exec\",\"runs\":\"/bin/sh\"}},"
        "\"undo\":{\"action\":\"remove_child\",\"supervisor\":\"/\",\"id\":\"cache\"}},"
        "{\"application\":\"echo\",\"appup\":\"test.yaml\",\"line\":7,\"column\":9,"
        "\"do\":{\"action\":\"swap\",\"module\":\"/rel/myapp/1.1.0/apps/echo.so\",\"from_version\":\"1.0.0\","
        "\"to_version\":\"1.1.0\",\"extra\":\"say \\\"hi\\\"\"},"
        "\"undo\":{\"action\":\"swap\",\"module\":\"/rel/myapp/1.0.0/apps/echo.so\",\"from_version\":\"1.1.0\","
        "\"to_version\":\"1.0.0\",\"extra\":\"\"}},"
        "{\"application\":\"echo\",\"appup\":\"test.yaml\",\"line\":8,\"column\":9,"
        "\"do\":{\"action\":\"supervisor_flags\",\"supervisor\":\"web\",\"period_ms\":2000},"
        "\"undo\":{\"action\":\"supervisor_flags\",\"supervisor\":\"web\",\"period_ms\":5000}},"
        "{\"application\":\"echo\",\"appup\":\"test.yaml\",\"line\":9,\"column\":9,"
        "\"do\":{\"action\":\"remove_child\",\"supervisor\":\"web\",\"id\":\"ghost\"},\"undo\":null}"
        "],\"notes\":[]}\n";
    assert_string_equal(buf, want);
    nines_relup_free(p);
    world_free(&w);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(swap_restart_up),      cmocka_unit_test(swap_down),
        cmocka_unit_test(unchanged_nothing),    cmocka_unit_test(missing_entry),
        cmocka_unit_test(wrong_appup_version),  cmocka_unit_test(missing_down_entry),
        cmocka_unit_test(child_steps_and_undo), cmocka_unit_test(added_removed_notes),
        cmocka_unit_test(format_text),          cmocka_unit_test(format_json),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
