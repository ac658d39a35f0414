/*
 * Unit tests of a worker's `backoff:` key: the values and defaults a valid
 * tree holds, each error at its FILE:LINE:COLUMN, and the copy and
 * comparison of specs with it (a reload restarts a child whose backoff
 * changed).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tree.h"
#include "tree_spec.h"

#define HEAD "supervisor:\n  children:\n    - id: web\n      exec: [/bin/sh, -c, 'exit 0']\n"

static struct nines_tree *load(const char *yaml, struct nines_error *err) {
    struct nines_tree *t = NULL;
    nines_tree_load_string("t.yaml", "/tmp", yaml, strlen(yaml), &t, err);
    return t;
}

static const struct nines_backoff *loaded(const char *yaml, struct nines_tree **t) {
    struct nines_error err;
    *t = load(yaml, &err);
    if (!*t)
        fail_msg("%u:%u: %s", err.line, err.column, err.message);
    return &(*t)->root.children[0].backoff;
}

static void load_err(const char *yaml, unsigned line, unsigned column, const char *fragment) {
    struct nines_error err;
    struct nines_tree *t = load(yaml, &err);
    assert_null(t);
    if (!strstr(err.message, fragment) || err.line != line || err.column != column)
        fail_msg("got %u:%u: %s — wanted %u:%u: ...%s...", err.line, err.column, err.message, line, column, fragment);
}

static void values_and_defaults(void **unused) {
    struct nines_tree *t;
    const struct nines_backoff *b = loaded(HEAD "      backoff: {initial: 250ms, max: 2m, reset: 10s}\n", &t);
    assert_int_equal(b->initial_ms, 250);
    assert_int_equal(b->max_ms, 120000);
    assert_int_equal(b->reset_ms, 10000);
    nines_tree_free(t);
    b = loaded(HEAD "      backoff: {}\n", &t);
    assert_int_equal(b->initial_ms, NINES_BACKOFF_INITIAL_MS);
    assert_int_equal(b->max_ms, NINES_BACKOFF_MAX_MS);
    assert_int_equal(b->reset_ms, NINES_BACKOFF_RESET_MS);
    nines_tree_free(t);
    /* An initial above the default max is its own max. */
    b = loaded(HEAD "      backoff: {initial: 1m}\n", &t);
    assert_int_equal(b->initial_ms, 60000);
    assert_int_equal(b->max_ms, 60000);
    nines_tree_free(t);
    /* Absent: no backoff at all. */
    b = loaded(HEAD, &t);
    assert_int_equal(b->initial_ms, 0);
    nines_tree_free(t);
    /* Module workers too. */
    b = loaded("supervisor:\n  children:\n    - {id: m, module: /bin/true, backoff: {max: 5s}}\n", &t);
    assert_int_equal(b->initial_ms, 100);
    assert_int_equal(b->max_ms, 5000);
    nines_tree_free(t);
}

static void errors_at_their_place(void **unused) {
    load_err(HEAD "      backoff: {initial: fast}\n", 5, 26, "invalid backoff initial 'fast' (a duration from 1ms to 24h");
    load_err(HEAD "      backoff: {initial: 0ms}\n", 5, 26, "invalid backoff initial '0ms'");
    load_err(HEAD "      backoff: {max: 25h}\n", 5, 22, "invalid backoff max '25h'");
    load_err(HEAD "      backoff: {reset: [1s]}\n", 5, 24, "invalid backoff reset 'a sequence'");
    load_err(HEAD "      backoff: {initial: 2s, max: 1s}\n", 5, 35, "backoff max (1000ms) is less than its initial (2000ms)");
    load_err(HEAD "      backoff: {intial: 2s}\n", 5, 17, "unknown key 'intial' in 'backoff' (allowed: initial, max, reset)");
    load_err(HEAD "      backoff: {max: 1s, max: 2s}\n", 5, 26, "duplicate key 'max' in 'backoff'");
    load_err(HEAD "      backoff: 100ms\n", 5, 16, "expected a mapping for 'backoff', got a scalar");
    load_err("supervisor:\n  children:\n    - id: s\n      backoff: {}\n      supervisor: {children: []}\n", 4, 16,
             "'backoff' is only for 'module' and 'exec' children");
}

static void copied_and_compared(void **unused) {
    struct nines_tree *t;
    const struct nines_backoff *b = loaded(HEAD "      backoff: {initial: 1s, max: 8s, reset: 1m}\n", &t);
    struct nines_child_spec *c = nines_child_spec_copy(&t->root.children[0]);
    assert_non_null(c);
    assert_memory_equal(&c->backoff, b, sizeof *b);
    assert_true(nines_child_spec_equal(c, &t->root.children[0], NULL, NULL));
    c->backoff.max_ms = 9000;
    assert_false(nines_child_spec_equal(c, &t->root.children[0], NULL, NULL));
    c->backoff = (struct nines_backoff){0};
    assert_false(nines_child_spec_equal(c, &t->root.children[0], NULL, NULL));
    nines_child_spec_free(c);
    nines_tree_free(t);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(values_and_defaults),
        cmocka_unit_test(errors_at_their_place),
        cmocka_unit_test(copied_and_compared),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
