/* Unit tests of the reload planner (engine_tree_diff.h): every kind of
 * difference between two trees, the order the ops come in, what a
 * supervisor that cannot be walked becomes, and each op's undo. A diff is
 * rendered as one line ("remove web/x; add y; flags web i=3") compared
 * whole, so that kind, path and order are all checked at once. */
#include <errno.h>

#include "engine_fixture.h"
#include "engine_tree_diff.h"

static char line[2048];

static const char *strategy(enum nines_strategy s) {
    static const char *names[] = {"one_for_one", "one_for_all", "rest_for_one", "dynamic"};
    return names[s];
}

static const char *render(const struct engine_diff *d) {
    size_t len = 0;
    line[0] = '\0';
    for (size_t i = 0; i < d->n; i++) {
        const struct engine_diff_op *op = &d->v[i];
        char path[256];
        engine_diff_path(op, path, sizeof path);
        len += (size_t)snprintf(line + len, sizeof line - len, "%s%s %s", i ? "; " : "",
                                engine_diff_kind_name(op->kind), path);
        if (op->kind == ENGINE_DIFF_FLAGS) {
            if (op->flags.has_strategy)
                len += (size_t)snprintf(line + len, sizeof line - len, " s=%s", strategy(op->flags.strategy));
            if (op->flags.has_intensity)
                len += (size_t)snprintf(line + len, sizeof line - len, " i=%u", op->flags.intensity);
            if (op->flags.has_period)
                len += (size_t)snprintf(line + len, sizeof line - len, " p=%llu",
                                        (unsigned long long)op->flags.period_ms);
        }
    }
    return line;
}

static const char *diff(const struct nines_sup_spec *a, const struct nines_sup_spec *b) {
    struct engine_diff d;
    char why[256];
    assert_int_equal(engine_tree_diff(a, b, &d, why, sizeof why), 0);
    const char *out = render(&d);
    engine_diff_free(&d);
    return out;
}

static struct nines_child_spec mod(const char *id, const char *so) {
    struct nines_child_spec c = w(id);
    c.module = (char *)so;
    return c;
}

static void identical_trees_make_no_op(void **unused) {
    struct nines_child_spec k[] = {w("a"), w("b")};
    struct nines_sup_spec r = sup(NINES_ONE_FOR_ONE, 1, 5000, k, 2);
    assert_string_equal(diff(&r, &r), "");
}

static void added_removed_changed_children(void **unused) {
    struct nines_child_spec old[] = {w("a"), w("b"), w("c")};
    struct nines_child_spec now[] = {w("a"), mod("c", "/apps/y.so"), w("d"), w("e")};
    struct nines_sup_spec a = sup(NINES_ONE_FOR_ONE, 1, 5000, old, 3), b = sup(NINES_ONE_FOR_ONE, 1, 5000, now, 4);
    assert_string_equal(diff(&a, &b), "remove b; change c; add d; add e");
    assert_string_equal(diff(&b, &a), "remove e; remove d; add b; change c");
}

/* Every field of a worker's spec counts: restart, shutdown, args, argv. */
static void any_spec_field_is_a_change(void **unused) {
    struct nines_child_spec old[] = {w("a"), w("b"), w("c"), w("d")};
    struct nines_child_spec now[] = {wr("a", NINES_TRANSIENT), wk("b", NINES_PERMANENT, BRUTAL), w("c"), w("d")};
    struct nines_arg args[] = {{(char *)"size", (char *)"64"}};
    now[2].args = args, now[2].n_args = 1;
    char *argv[] = {(char *)"/bin/sleep", (char *)"9", NULL};
    now[3].kind = NINES_CHILD_EXEC, now[3].module = NULL, now[3].exec_argv = argv;
    struct nines_sup_spec a = sup(NINES_ONE_FOR_ONE, 1, 5000, old, 4), b = sup(NINES_ONE_FOR_ONE, 1, 5000, now, 4);
    assert_string_equal(diff(&a, &b), "change a; change b; change c; change d");
}

/* A reorder alone is no change: running children keep their places. */
static void reordering_is_not_a_change(void **unused) {
    struct nines_child_spec old[] = {w("a"), w("b")}, now[] = {w("b"), w("a")};
    struct nines_sup_spec a = sup(NINES_ONE_FOR_ONE, 1, 5000, old, 2), b = sup(NINES_ONE_FOR_ONE, 1, 5000, now, 2);
    assert_string_equal(diff(&a, &b), "");
}

static void flags_name_only_what_differs(void **unused) {
    struct nines_child_spec k[] = {w("a")};
    struct nines_sup_spec a = sup(NINES_ONE_FOR_ONE, 1, 5000, k, 1), b = sup(NINES_ONE_FOR_ALL, 1, 5000, k, 1),
                          c = sup(NINES_ONE_FOR_ONE, 3, 1000, k, 1);
    assert_string_equal(diff(&a, &b), "flags / s=one_for_all");
    assert_string_equal(diff(&a, &c), "flags / i=3 p=1000");
    struct engine_diff d;
    char why[64];
    assert_int_equal(engine_tree_diff(&a, &c, &d, why, sizeof why), 0);
    struct engine_diff_op u = engine_diff_undo(&d.v[0]);
    assert_int_equal(u.kind, ENGINE_DIFF_FLAGS);
    assert_true(u.flags.has_intensity && u.flags.has_period && !u.flags.has_strategy);
    assert_int_equal(u.flags.intensity, 1);
    assert_int_equal(u.flags.period_ms, 5000);
    engine_diff_free(&d);
}

/* A nested supervisor in both files is walked: a change deep inside is
 * one op on the child, with the path of its supervisor. */
static void nested_supervisors_are_walked(void **unused) {
    struct nines_child_spec in_old[] = {w("x"), w("y")}, in_new[] = {w("x"), mod("y", "/apps/z.so"), w("n")};
    struct nines_sup_spec so = sup(NINES_ONE_FOR_ONE, 1, 5000, in_old, 2), sn = sup(NINES_REST_FOR_ONE, 1, 5000, in_new, 3);
    struct nines_child_spec old[] = {w("a"), sv("web", NINES_PERMANENT, &so)};
    struct nines_child_spec now[] = {w("a"), sv("web", NINES_PERMANENT, &sn)};
    struct nines_sup_spec a = sup(NINES_ONE_FOR_ONE, 1, 5000, old, 2), b = sup(NINES_ONE_FOR_ONE, 1, 5000, now, 2);
    assert_string_equal(diff(&a, &b), "flags web s=rest_for_one; change web/y; add web/n");
    assert_string_equal(diff(&b, &a), "remove web/n; flags web s=one_for_one; change web/y");
}

/* What cannot be walked or changed in place is removed, then added. */
static void what_cannot_change_in_place_is_replaced(void **unused) {
    struct nines_child_spec t1 = w("conn"), t2 = mod("conn", "/apps/v2.so");
    struct nines_sup_spec d1 = {.strategy = NINES_DYNAMIC, .intensity = 1, .period_ms = 5000, .child_template = &t1};
    struct nines_sup_spec d2 = d1, d3 = d1;
    d2.child_template = &t2;
    d3.intensity = 4;
    struct nines_child_spec in[] = {w("x")};
    struct nines_sup_spec st = sup(NINES_ONE_FOR_ONE, 1, 5000, in, 1);
    struct nines_child_spec old[] = {sv("pool", NINES_PERMANENT, &d1), w("a"), sv("s", NINES_PERMANENT, &st),
                                     sv("t", NINES_PERMANENT, &st)};
    struct nines_child_spec now[] = {sv("pool", NINES_PERMANENT, &d2), sv("a", NINES_PERMANENT, &st), w("s"),
                                     sv("t", NINES_TRANSIENT, &st)};
    struct nines_sup_spec a = sup(NINES_ONE_FOR_ONE, 1, 5000, old, 4), b = sup(NINES_ONE_FOR_ONE, 1, 5000, now, 4);
    assert_string_equal(diff(&a, &b), "remove t; remove s; remove a; remove pool; add pool; add a; add s; add t");
    /* A dynamic supervisor's intensity is a flag, its children stay. */
    old[0].supervisor = &d1, now[0].supervisor = &d3;
    struct nines_sup_spec c = sup(NINES_ONE_FOR_ONE, 1, 5000, old, 1), e = sup(NINES_ONE_FOR_ONE, 1, 5000, now, 1);
    assert_string_equal(diff(&c, &e), "flags pool i=4");
}

/* Removals come first, tree-wide: a child that moves to another
 * supervisor leaves before it arrives. */
static void removals_come_before_everything(void **unused) {
    struct nines_child_spec e1[] = {w("db")}, e2[] = {w("other")};
    struct nines_sup_spec s1 = sup(NINES_ONE_FOR_ONE, 1, 5000, e1, 1), s2 = sup(NINES_ONE_FOR_ONE, 1, 5000, e2, 1);
    struct nines_sup_spec s1b = sup(NINES_ONE_FOR_ONE, 1, 5000, e2, 1), s2b = sup(NINES_ONE_FOR_ONE, 1, 5000, e1, 1);
    struct nines_child_spec old[] = {sv("p", NINES_PERMANENT, &s1), sv("q", NINES_PERMANENT, &s2)};
    struct nines_child_spec now[] = {sv("p", NINES_PERMANENT, &s1b), sv("q", NINES_PERMANENT, &s2b)};
    struct nines_sup_spec a = sup(NINES_ONE_FOR_ONE, 1, 5000, old, 2), b = sup(NINES_ONE_FOR_ONE, 1, 5000, now, 2);
    assert_string_equal(diff(&a, &b), "remove q/other; remove p/db; add p/other; add q/db");
}

static void the_root_cannot_change_kind(void **unused) {
    struct nines_child_spec t = w("conn"), k[] = {w("a")};
    struct nines_sup_spec dyn = {.strategy = NINES_DYNAMIC, .intensity = 1, .period_ms = 5000, .child_template = &t};
    struct nines_sup_spec st = sup(NINES_ONE_FOR_ONE, 1, 5000, k, 1);
    struct engine_diff d;
    char why[256];
    assert_int_equal(engine_tree_diff(&st, &dyn, &d, why, sizeof why), -EINVAL);
    assert_non_null(strstr(why, "the root supervisor turns dynamic"));
    assert_int_equal(d.n, 0);
    assert_int_equal(engine_tree_diff(&dyn, &st, &d, why, sizeof why), -EINVAL);
    assert_non_null(strstr(why, "turns static"));
    struct nines_child_spec t2 = mod("conn", "/apps/v2.so");
    struct nines_sup_spec dyn2 = dyn;
    dyn2.child_template = &t2;
    assert_int_equal(engine_tree_diff(&dyn, &dyn2, &d, why, sizeof why), -EINVAL);
    assert_non_null(strstr(why, "template"));
    dyn2 = dyn, dyn2.period_ms = 10;
    assert_string_equal(diff(&dyn, &dyn2), "flags / p=10");
}

static void each_op_has_its_undo(void **unused) {
    struct nines_child_spec a1 = w("a"), a2 = mod("a", "/apps/y.so");
    struct engine_diff_op add = {.kind = ENGINE_DIFF_ADD, .supervisor = (char *)"/", .id = "a", .to = &a1};
    struct engine_diff_op u = engine_diff_undo(&add);
    assert_int_equal(u.kind, ENGINE_DIFF_REMOVE);
    assert_ptr_equal(u.from, &a1);
    assert_null(u.to);
    u = engine_diff_undo(&u);
    assert_int_equal(u.kind, ENGINE_DIFF_ADD);
    assert_ptr_equal(u.to, &a1);
    struct engine_diff_op ch = {.kind = ENGINE_DIFF_CHANGE, .supervisor = (char *)"web", .id = "a", .from = &a1, .to = &a2};
    u = engine_diff_undo(&ch);
    assert_int_equal(u.kind, ENGINE_DIFF_CHANGE);
    assert_ptr_equal(u.from, &a2);
    assert_ptr_equal(u.to, &a1);
    char path[64];
    engine_diff_path(&u, path, sizeof path);
    assert_string_equal(path, "web/a");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(identical_trees_make_no_op),
        cmocka_unit_test(added_removed_changed_children),
        cmocka_unit_test(any_spec_field_is_a_change),
        cmocka_unit_test(reordering_is_not_a_change),
        cmocka_unit_test(flags_name_only_what_differs),
        cmocka_unit_test(nested_supervisors_are_walked),
        cmocka_unit_test(what_cannot_change_in_place_is_replaced),
        cmocka_unit_test(removals_come_before_everything),
        cmocka_unit_test(the_root_cannot_change_kind),
        cmocka_unit_test(each_op_has_its_undo),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
