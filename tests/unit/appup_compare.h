/*
 * appup_compare.h — for the appup writer's and generator's unit tests:
 * whether two appups say the same, field by field and spec by spec, with
 * a cmocka failure naming the first difference. What the loader does not
 * read back (comments, positions, the path) is not compared.
 */
#ifndef NINES_APPUP_COMPARE_H
#define NINES_APPUP_COMPARE_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "appup.h"

/* A module path as the loader holds it: relative ones resolved against
 * `base` (NULL: as is). */
static inline void compare_module(const char *want, const char *got, const char *base) {
    char joined[2 * PATH_MAX], real[PATH_MAX];
    if (base && want[0] != '/') {
        snprintf(joined, sizeof joined, "%s/%s", base, want);
        if (!realpath(joined, real))
            fail_msg("module %s: cannot resolve %s", want, joined);
        want = real;
    }
    assert_string_equal(want, got);
}

static inline void compare_child(const struct nines_child_spec *a, const struct nines_child_spec *b, const char *base);

static inline void compare_sup(const struct nines_sup_spec *a, const struct nines_sup_spec *b, const char *base) {
    assert_int_equal(a->strategy, b->strategy);
    assert_int_equal(a->intensity, b->intensity);
    assert_int_equal(a->period_ms, b->period_ms);
    assert_int_equal(a->max_children, b->max_children);
    assert_int_equal(a->n_children, b->n_children);
    for (size_t i = 0; i < a->n_children; i++)
        compare_child(&a->children[i], &b->children[i], base);
    assert_int_equal(!a->child_template, !b->child_template);
    if (a->child_template)
        compare_child(a->child_template, b->child_template, base);
}

static inline void compare_child(const struct nines_child_spec *a, const struct nines_child_spec *b, const char *base) {
    assert_non_null(a);
    assert_non_null(b);
    assert_string_equal(a->id, b->id);
    assert_int_equal(a->kind, b->kind);
    assert_int_equal(a->restart, b->restart);
    assert_int_equal(a->shutdown.kind, b->shutdown.kind);
    assert_int_equal(a->shutdown.ms, b->shutdown.ms);
    assert_int_equal(a->notify, b->notify);
    assert_int_equal(a->n_args, b->n_args);
    for (size_t i = 0; i < a->n_args; i++) {
        assert_string_equal(a->args[i].key, b->args[i].key);
        assert_string_equal(a->args[i].value, b->args[i].value);
    }
    if (a->kind == NINES_CHILD_MODULE)
        compare_module(a->module, b->module, base);
    for (size_t i = 0; a->kind == NINES_CHILD_EXEC && (a->exec_argv[i] || b->exec_argv[i]); i++) {
        assert_non_null(a->exec_argv[i]);
        assert_non_null(b->exec_argv[i]);
        assert_string_equal(a->exec_argv[i], b->exec_argv[i]);
    }
    if (a->kind == NINES_CHILD_SUPERVISOR)
        compare_sup(a->supervisor, b->supervisor, base);
}

static inline void compare_text(const char *a, const char *b) {
    assert_int_equal(!a, !b);
    if (a)
        assert_string_equal(a, b);
}

static inline void compare_step(const struct nines_appup_step *a, const struct nines_appup_step *b, const char *base) {
    assert_string_equal(nines_appup_step_name(a->kind), nines_appup_step_name(b->kind));
    compare_text(a->extra, b->extra);
    compare_text(a->supervisor, b->supervisor);
    compare_text(a->id, b->id);
    assert_int_equal(!a->child, !b->child);
    if (a->child)
        compare_child(a->child, b->child, base);
    const struct nines_appup_flags *x = &a->flags, *y = &b->flags;
    assert_int_equal(x->has_strategy, y->has_strategy);
    assert_int_equal(x->has_intensity, y->has_intensity);
    assert_int_equal(x->has_period, y->has_period);
    assert_true(!x->has_strategy || x->strategy == y->strategy);
    assert_true(!x->has_intensity || x->intensity == y->intensity);
    assert_true(!x->has_period || x->period_ms == y->period_ms);
}

static inline void compare_entries(const struct nines_appup_entry *a, size_t na, const struct nines_appup_entry *b,
                                   size_t nb, const char *base) {
    assert_int_equal(na, nb);
    for (size_t i = 0; i < na; i++) {
        assert_int_equal(a[i].n_versions, b[i].n_versions);
        for (size_t j = 0; j < a[i].n_versions; j++)
            assert_string_equal(a[i].versions[j], b[i].versions[j]);
        assert_int_equal(a[i].n_steps, b[i].n_steps);
        for (size_t j = 0; j < a[i].n_steps; j++)
            compare_step(&a[i].steps[j], &b[i].steps[j], base);
    }
}

/* `got` (loaded) says what `want` says; `want`'s relative module paths
 * are resolved against `base`. */
static inline void compare_appups(const struct nines_appup *want, const struct nines_appup *got, const char *base) {
    assert_string_equal(want->application, got->application);
    assert_string_equal(want->version, got->version);
    compare_entries(want->up, want->n_up, got->up, got->n_up, base);
    compare_entries(want->down, want->n_down, got->down, got->n_down, base);
}

/* The text nines_appup_write makes of `a` (free it). */
static inline char *write_text(const struct nines_appup *a) {
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    assert_non_null(f);
    assert_int_equal(nines_appup_write(a, f), 0);
    assert_int_equal(fclose(f), 0);
    return text;
}

/* Write `a`, load the text back as NAME.appup.yaml with relative paths
 * against `base`, and check that it says the same. */
static inline void round_trip(const struct nines_appup *a, const char *base) {
    char *text = write_text(a), name[128];
    struct nines_appup *again = NULL;
    struct nines_error err;
    snprintf(name, sizeof name, "%s.appup.yaml", a->application);
    if (nines_appup_load_string(name, base ? base : "/", text, strlen(text), &again, &err) < 0)
        fail_msg("the written appup does not load: %u:%u: %s\n%s", err.line, err.column, err.message, text);
    compare_appups(a, again, base);
    nines_appup_free(again);
    free(text);
}

#endif
