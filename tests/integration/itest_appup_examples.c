/*
 * Integration: the example release series (examples/releases/), as plain
 * `make` builds it into build/examples/releases/: the planner plans
 * myapp 1.0.0 -> 1.1.0 -> 2.0.0 and back down with the releases' own
 * appups, step by step and undo by undo; and `nines-appup generate`, run
 * again on the built releases, writes appups with the very steps of the
 * committed (reviewed) ones.
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

#include "../unit/appup_compare.h"
#include "harness.h"
#include "relup.h"

#define RELEASES BUILD_PATH("examples/releases")

/* One built release: its manifest, tree and appups. */
struct rel {
    char dir[PATH_MAX];
    struct nines_manifest *m;
    struct nines_tree *tree;
    struct nines_appup *appups[4];
};

static void rel_load(struct rel *r, const char *version) {
    char path[2 * PATH_MAX];
    struct nines_error err;
    memset(r, 0, sizeof *r);
    snprintf(path, sizeof path, RELEASES "/myapp-%s", version);
    if (!realpath(path, r->dir))
        fail_msg("%s: not built (plain make builds the example releases)", path);
    snprintf(path, sizeof path, "%s/release.yaml", r->dir);
    if (nines_manifest_load(path, &r->m, &err) < 0)
        fail_msg("%s: %s", path, err.message);
    snprintf(path, sizeof path, "%s/%s", r->dir, r->m->tree.path);
    if (nines_tree_load(path, &r->tree, &err) < 0)
        fail_msg("%s: %s", path, err.message);
    assert_true(r->m->n_appups <= 4);
    for (size_t i = 0; i < r->m->n_appups; i++) {
        snprintf(path, sizeof path, "%s/%s", r->dir, r->m->appups[i].path);
        if (nines_appup_load(path, &r->appups[i], &err) < 0)
            fail_msg("%s:%u:%u: %s", path, err.line, err.column, err.message);
    }
}

static void rel_free(struct rel *r) {
    for (size_t i = 0; i < r->m->n_appups; i++)
        nines_appup_free(r->appups[i]);
    nines_manifest_free(r->m);
    nines_tree_free(r->tree);
}

/* "swap 1.0.0->2.0.0 myapp-1.1.0/apps/counter-2.so", "add_child store
 * relay", "supervisor_flags store strategy=rest_for_one". */
static size_t op_text(const struct nines_relup_op *op, char *buf, size_t size) {
    const char *kind = nines_relup_kind_name(op->kind), *mod = op->module ? strrchr(op->module, '/') : NULL;
    if (op->kind == NINES_RELUP_SWAP || op->kind == NINES_RELUP_RESTART) {
        /* myapp-VERSION/apps/NAME.so: the release folder and the file */
        while (mod && mod > op->module && *--mod != '/')
            ;
        while (mod && mod > op->module && *--mod != '/')
            ;
        return (size_t)snprintf(buf, size, "%s %s->%s %s", kind, op->from_version, op->to_version, mod + 1);
    }
    if (op->kind == NINES_RELUP_SUPERVISOR_FLAGS)
        return (size_t)snprintf(buf, size, "%s %s strategy=%s", kind, op->supervisor,
                                nines_strategy_name(op->flags.strategy));
    return (size_t)snprintf(buf, size, "%s %s %s", kind, op->supervisor, op->id);
}

/* The plan from `cur` to `tgt`, a step a line: "APP: OP | undo: OP". */
static void expect_plan(const struct rel *cur, const struct rel *tgt, bool down, const char *want) {
    const struct rel *own = down ? cur : tgt; /* whose appups lead the way */
    struct nines_relup_input in = {.current = cur->m, .current_dir = cur->dir, .current_tree = cur->tree,
                                   .target = tgt->m, .target_dir = tgt->dir,
                                   .appups = (const struct nines_appup *const *)own->appups,
                                   .n_appups = own->m->n_appups, .down = down};
    struct nines_relup *p = NULL;
    struct nines_error err;
    if (nines_relup_plan(&in, &p, &err) < 0)
        fail_msg("plan %s -> %s: %s: %s", cur->m->version, tgt->m->version, err.file, err.message);
    char text[4096];
    size_t used = 0;
    for (size_t i = 0; i < p->n_steps; i++) {
        const struct nines_relup_step *s = &p->steps[i];
        assert_true(s->has_undo);
        used += (size_t)snprintf(text + used, sizeof text - used, "%s: ", s->application);
        used += op_text(&s->op, text + used, sizeof text - used);
        used += (size_t)snprintf(text + used, sizeof text - used, " | undo: ");
        used += op_text(&s->undo, text + used, sizeof text - used);
        used += (size_t)snprintf(text + used, sizeof text - used, "\n");
    }
    for (size_t i = 0; i < p->n_notes; i++)
        used += (size_t)snprintf(text + used, sizeof text - used, "note: %s\n", p->notes[i]);
    assert_string_equal(text, want);
    nines_relup_free(p);
}

static void the_series_plans_up_and_down(void **unused) {
    struct rel r1, r11, r2;
    rel_load(&r1, "1.0.0");
    rel_load(&r11, "1.1.0");
    rel_load(&r2, "2.0.0");
    expect_plan(&r1, &r11, false,
                "counter: swap 1.0.0->2.0.0 myapp-1.1.0/apps/counter-2.so | undo: swap 2.0.0->1.0.0 "
                "myapp-1.0.0/apps/counter.so\n"
                "echo: swap 1.0.0->2.0.0 myapp-1.1.0/apps/echo-2.so | undo: swap 2.0.0->1.0.0 "
                "myapp-1.0.0/apps/echo.so\n");
    expect_plan(&r11, &r2, false,
                "kv: add_child store relay | undo: remove_child store relay\n"
                "kv: supervisor_flags store strategy=rest_for_one | undo: supervisor_flags store strategy=one_for_one\n"
                "kv: swap 1.0.0->2.0.0 myapp-2.0.0/apps/kv-2.so | undo: swap 2.0.0->1.0.0 myapp-1.1.0/apps/kv.so\n"
                "kv: remove_child / heartbeat | undo: add_child / heartbeat\n"
                "note: application relay 1.0.0 is new: no step of its own, its workers start with add_child steps\n");
    expect_plan(&r2, &r11, true,
                "kv: add_child / heartbeat | undo: remove_child / heartbeat\n"
                "kv: swap 2.0.0->1.0.0 myapp-1.1.0/apps/kv.so | undo: swap 1.0.0->2.0.0 myapp-2.0.0/apps/kv-2.so\n"
                "kv: supervisor_flags store strategy=one_for_one | undo: supervisor_flags store strategy=rest_for_one\n"
                "kv: remove_child store relay | undo: add_child store relay\n"
                "note: application relay 1.0.0 is gone: no step of its own, its workers stop with remove_child "
                "steps\n");
    expect_plan(&r11, &r1, true,
                "counter: swap 2.0.0->1.0.0 myapp-1.0.0/apps/counter.so | undo: swap 1.0.0->2.0.0 "
                "myapp-1.1.0/apps/counter-2.so\n"
                "echo: swap 2.0.0->1.0.0 myapp-1.0.0/apps/echo.so | undo: swap 1.0.0->2.0.0 "
                "myapp-1.1.0/apps/echo-2.so\n");
    rel_free(&r1);
    rel_free(&r11);
    rel_free(&r2);
}

/* Generate the appups from `from` to `to` again, into a folder beside
 * which apps/ is the new release's (where the appups' module paths lead),
 * and compare them with the release's own. */
static void expect_generated(const char *from, const char *to) {
    char tmp[] = "/tmp/nines-itest-appup-XXXXXX", cmd[4 * PATH_MAX], path[2 * PATH_MAX];
    struct rel old, now;
    struct nines_error err;
    assert_non_null(mkdtemp(tmp));
    rel_load(&old, from);
    rel_load(&now, to);
    snprintf(cmd, sizeof cmd, "ln -s '%s/apps' '%s/apps' && '%s' generate '%s' '%s' '%s/appups' >/dev/null",
             now.dir, tmp, BUILD_PATH("nines-appup"), old.dir, now.dir, tmp);
    assert_int_equal(system(cmd), 0);
    for (size_t i = 0; i < now.m->n_appups; i++) {
        struct nines_appup *again = NULL;
        snprintf(path, sizeof path, "%s/appups/%s.appup.yaml", tmp, now.appups[i]->application);
        if (nines_appup_load(path, &again, &err) < 0)
            fail_msg("%s:%u:%u: %s", path, err.line, err.column, err.message);
        compare_appups(now.appups[i], again, NULL);
        nines_appup_free(again);
    }
    snprintf(cmd, sizeof cmd, "test $(ls '%s/appups' | wc -l) -eq %zu && rm -rf '%s'", tmp, now.m->n_appups, tmp);
    assert_int_equal(system(cmd), 0);
    rel_free(&old);
    rel_free(&now);
}

static void generate_gives_the_committed_appups(void **unused) {
    expect_generated("1.0.0", "1.1.0");
    expect_generated("1.1.0", "2.0.0");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(the_series_plans_up_and_down),
        cmocka_unit_test(generate_gives_the_committed_appups),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
