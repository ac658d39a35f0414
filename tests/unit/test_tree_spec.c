/*
 * Unit tests of the child spec's one owner (lib/tree_spec.c): a deep copy
 * equals its original and shares no memory with it; every field that
 * declares a child makes two specs differ, the marks and the order of
 * args do not; a failing module rewrite leaves a copy that clears cleanly
 * (ASan checks nothing leaks).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "tree_spec.h"

static char **argv_of(const char *a, const char *b) {
    char **v = calloc(3, sizeof *v);
    v[0] = strdup(a), v[1] = b ? strdup(b) : NULL;
    return v;
}

static void leaf(struct nines_child_spec *c, const char *id, enum nines_child_kind kind) {
    *c = (struct nines_child_spec){.id = strdup(id), .kind = kind, .restart = NINES_TRANSIENT,
                                   .shutdown = {NINES_SHUTDOWN_TIMEOUT, 2000}, .mark = {3, 5}};
    if (kind == NINES_CHILD_MODULE)
        c->module = strdup("/apps/a.so"), c->max_queued_casts = 300, c->start_timeout_ms = 700,
        c->swap_timeout_ms = 900;
    else
        c->exec_argv = argv_of("/bin/tool", "-v");
    c->n_args = 2;
    c->args = calloc(2, sizeof *c->args);
    c->args[0] = (struct nines_arg){strdup("port"), strdup("80")};
    c->args[1] = (struct nines_arg){strdup("mode"), strdup("fast")};
}

/* A supervisor holding a module, an exec child and a dynamic supervisor
 * with a template: every part a copy must follow. */
static struct nines_child_spec *sample(void) {
    struct nines_child_spec *c = calloc(1, sizeof *c);
    *c = (struct nines_child_spec){.id = strdup("top"), .kind = NINES_CHILD_SUPERVISOR,
                                   .shutdown = {NINES_SHUTDOWN_INFINITY, 0}};
    struct nines_sup_spec *s = c->supervisor = calloc(1, sizeof *s);
    *s = (struct nines_sup_spec){.strategy = NINES_REST_FOR_ONE, .intensity = 3, .period_ms = 7000, .n_children = 3};
    s->children = calloc(3, sizeof *s->children);
    leaf(&s->children[0], "cache", NINES_CHILD_MODULE);
    leaf(&s->children[1], "web", NINES_CHILD_EXEC);
    struct nines_child_spec *d = &s->children[2];
    *d = (struct nines_child_spec){.id = strdup("pool"), .kind = NINES_CHILD_SUPERVISOR};
    d->supervisor = calloc(1, sizeof *d->supervisor);
    *d->supervisor = (struct nines_sup_spec){.strategy = NINES_DYNAMIC, .intensity = 1, .period_ms = 5000,
                                             .max_children = 10};
    d->supervisor->child_template = calloc(1, sizeof *d->supervisor->child_template);
    leaf(d->supervisor->child_template, "tenant", NINES_CHILD_MODULE);
    return c;
}

static void copy_equals_and_shares_nothing(void **unused) {
    struct nines_child_spec *a = sample(), *b = nines_child_spec_copy(a);
    assert_non_null(b);
    assert_true(nines_child_spec_equal(a, b, NULL, NULL));
    assert_ptr_not_equal(a->id, b->id);
    struct nines_child_spec *ka = a->supervisor->children, *kb = b->supervisor->children;
    assert_ptr_not_equal(ka[0].module, kb[0].module);
    assert_ptr_not_equal(ka[1].exec_argv[0], kb[1].exec_argv[0]);
    assert_ptr_not_equal(ka[1].args[1].value, kb[1].args[1].value);
    assert_ptr_not_equal(ka[2].supervisor->child_template, kb[2].supervisor->child_template);
    assert_string_equal(kb[2].supervisor->child_template->args[0].key, "port");
    assert_int_equal(kb[2].supervisor->max_children, 10);
    assert_int_equal(kb[0].max_queued_casts, 300);
    assert_int_equal(kb[0].start_timeout_ms, 700);
    assert_int_equal(kb[0].swap_timeout_ms, 900);
    nines_child_spec_free(a); /* b must survive its original */
    assert_string_equal(kb[1].exec_argv[1], "-v");
    nines_child_spec_free(b);
}

/* Each change below must make the copy differ from the original. */
static void change_id(struct nines_child_spec *c) { free(c->supervisor->children[0].id), c->supervisor->children[0].id = strdup("x"); }
static void change_restart(struct nines_child_spec *c) { c->supervisor->children[0].restart = NINES_PERMANENT; }
static void change_grace(struct nines_child_spec *c) { c->supervisor->children[0].shutdown.ms = 1; }
static void change_shutdown(struct nines_child_spec *c) { c->supervisor->children[1].shutdown.kind = NINES_SHUTDOWN_BRUTAL_KILL; }
static void change_notify(struct nines_child_spec *c) { c->supervisor->children[1].notify = true; }
static void change_cast_bound(struct nines_child_spec *c) { c->supervisor->children[0].max_queued_casts = 7; }
static void change_start_timeout(struct nines_child_spec *c) { c->supervisor->children[0].start_timeout_ms = 0; }
static void change_swap_timeout(struct nines_child_spec *c) { c->supervisor->children[0].swap_timeout_ms = 1; }
static void change_module(struct nines_child_spec *c) { c->supervisor->children[0].module[1] = 'b'; }
static void change_argv(struct nines_child_spec *c) { c->supervisor->children[1].exec_argv[1][1] = 'q'; }
static void change_arg(struct nines_child_spec *c) { c->supervisor->children[1].args[0].value[0] = '9'; }
static void drop_arg(struct nines_child_spec *c) { c->supervisor->children[1].n_args = 1; }
static void change_strategy(struct nines_child_spec *c) { c->supervisor->strategy = NINES_ONE_FOR_ALL; }
static void change_intensity(struct nines_child_spec *c) { c->supervisor->intensity = 4; }
static void change_period(struct nines_child_spec *c) { c->supervisor->period_ms = 1; }
static void drop_child(struct nines_child_spec *c) { c->supervisor->n_children = 2; }
static void change_max(struct nines_child_spec *c) { c->supervisor->children[2].supervisor->max_children = 11; }
static void change_template(struct nines_child_spec *c) { c->supervisor->children[2].supervisor->child_template->restart = NINES_TEMPORARY; }

static void every_field_counts(void **unused) {
    void (*changes[])(struct nines_child_spec *) = {change_id, change_restart, change_grace, change_shutdown,
        change_notify, change_cast_bound, change_start_timeout, change_swap_timeout, change_module, change_argv, change_arg, drop_arg, change_strategy, change_intensity,
        change_period, drop_child, change_max, change_template};
    struct nines_child_spec *a = sample();
    for (size_t i = 0; i < sizeof changes / sizeof *changes; i++) {
        struct nines_child_spec *b = nines_child_spec_copy(a);
        size_t n_kids = b->supervisor->n_children, n_args = b->supervisor->children[1].n_args;
        changes[i](b);
        assert_false(nines_child_spec_equal(a, b, NULL, NULL));
        assert_false(nines_child_spec_equal(b, a, NULL, NULL));
        b->supervisor->n_children = n_kids, b->supervisor->children[1].n_args = n_args; /* free all */
        nines_child_spec_free(b);
    }
    nines_child_spec_free(a);
}

static void marks_and_arg_order_do_not_count(void **unused) {
    struct nines_child_spec *a = sample(), *b = nines_child_spec_copy(a);
    struct nines_child_spec *w = &b->supervisor->children[1];
    w->mark = (struct nines_mark){40, 1};
    struct nines_arg t = w->args[0];
    w->args[0] = w->args[1], w->args[1] = t;
    assert_true(nines_child_spec_equal(a, b, NULL, NULL));
    nines_child_spec_free(a), nines_child_spec_free(b);
}

/* The module comparison is the caller's when given. */
static bool modules_always_same(void *ctx, const struct nines_child_spec *a, const struct nines_child_spec *b) {
    ++*(int *)ctx;
    return true;
}

static void module_comparison_is_the_callers(void **unused) {
    struct nines_child_spec *a = sample(), *b = nines_child_spec_copy(a);
    change_module(b);
    int calls = 0;
    assert_true(nines_child_spec_equal(a, b, modules_always_same, &calls));
    assert_int_equal(calls, 2); /* cache and the template */
    assert_true(nines_sup_spec_same_kind(a->supervisor->children[2].supervisor, b->supervisor->children[2].supervisor,
                                         modules_always_same, &calls));
    nines_child_spec_free(a), nines_child_spec_free(b);
}

static int rewrite_module(void *ctx, const struct nines_child_spec *c, char **out) {
    if (--*(int *)ctx < 0)
        return -ENOMEM;
    return (*out = strdup("/release/a.so")) ? 0 : -ENOMEM;
}

/* A rewrite that succeeds is what the copy holds; one that fails at any
 * module leaves a partial copy that clears without a leak. */
static void module_rewrite_and_its_failure(void **unused) {
    struct nines_child_spec *a = sample();
    for (int budget = 0; budget <= 2; budget++) {
        struct nines_child_spec d;
        int left = budget;
        int r = nines_child_spec_copy_into(&d, a, rewrite_module, &left);
        assert_int_equal(r, budget == 2 ? 0 : -ENOMEM);
        if (r == 0) {
            assert_string_equal(d.supervisor->children[0].module, "/release/a.so");
            assert_string_equal(d.supervisor->children[2].supervisor->child_template->module, "/release/a.so");
            assert_string_equal(d.supervisor->children[1].exec_argv[0], "/bin/tool");
        }
        nines_child_spec_clear(&d);
        assert_null(d.id);
    }
    nines_child_spec_free(a);
}

static void args_copy_and_free(void **unused) {
    bool ok = true;
    assert_null(nines_args_copy(NULL, 0, &ok));
    assert_true(ok);
    struct nines_child_spec *a = sample();
    struct nines_arg *v = nines_args_copy(a->supervisor->children[0].args, 2, &ok);
    assert_true(ok);
    assert_string_equal(v[1].value, "fast");
    nines_args_free(v, 2);
    nines_args_free(NULL, 0);
    nines_child_spec_free(a);
    nines_child_spec_free(NULL);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(copy_equals_and_shares_nothing),
        cmocka_unit_test(every_field_counts),
        cmocka_unit_test(marks_and_arg_order_do_not_count),
        cmocka_unit_test(module_comparison_is_the_callers),
        cmocka_unit_test(module_rewrite_and_its_failure),
        cmocka_unit_test(args_copy_and_free),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
