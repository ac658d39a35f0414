/* Unit tests of which modules the preflight checks, and for which child. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "preflight.h"

#define WORKER(i, m, l) {.id = i, .kind = NINES_CHILD_MODULE, .module = m, .mark = {l, 7}}

static void each_module_once_with_its_first_child_in_file_order(void **unused) {
    static char *argv[] = {"/bin/true", NULL};
    struct nines_child_spec template = WORKER("session", "/m/b.so", 20);
    struct nines_sup_spec dynamic = {.strategy = NINES_DYNAMIC, .child_template = &template};
    struct nines_child_spec deep[] = {WORKER("x", "/m/c.so", 12), WORKER("y", "/m/a.so", 13)};
    struct nines_sup_spec nested = {.children = deep, .n_children = 2};
    struct nines_child_spec top[] = {
        WORKER("first", "/m/a.so", 3),
        {.id = "tool", .kind = NINES_CHILD_EXEC, .exec_argv = argv, .mark = {5, 7}},
        {.id = "sub", .kind = NINES_CHILD_SUPERVISOR, .supervisor = &nested, .mark = {9, 7}},
        {.id = "pool", .kind = NINES_CHILD_SUPERVISOR, .supervisor = &dynamic, .mark = {18, 7}},
        WORKER("again", "/m/c.so", 25),
    };
    struct nines_tree tree = {.path = "t.yaml", .root = {.children = top, .n_children = 5}};
    struct preflight_item *items = NULL;
    int n = preflight_collect(&tree, &items);
    assert_int_equal(n, 3);
    /* sorted by module; each names the child declared first */
    assert_string_equal(items[0].module, "/m/a.so");
    assert_string_equal(items[0].child->id, "first");
    assert_string_equal(items[1].module, "/m/b.so");
    assert_string_equal(items[1].child->id, "session");
    assert_string_equal(items[2].module, "/m/c.so");
    assert_string_equal(items[2].child->id, "x");
    free(items);
}

static void a_tree_without_modules_has_nothing_to_check(void **unused) {
    static char *argv[] = {"/bin/true", NULL};
    struct nines_child_spec top[] = {{.id = "tool", .kind = NINES_CHILD_EXEC, .exec_argv = argv}};
    struct nines_tree tree = {.path = "t.yaml", .root = {.children = top, .n_children = 1}};
    struct preflight_item *items = NULL;
    assert_int_equal(preflight_collect(&tree, &items), 0);
    free(items);
    struct nines_error err;
    assert_int_equal(preflight_check(&tree, "/nonexistent/worker", &err), 0); /* nothing spawned */
}

static void a_worker_host_that_cannot_run_is_reported(void **unused) {
    struct nines_child_spec top[] = {WORKER("a", "/m/a.so", 3)};
    struct nines_tree tree = {.path = "t.yaml", .root = {.children = top, .n_children = 1}};
    struct nines_error err;
    assert_int_equal(preflight_check(&tree, "/nonexistent/worker", &err), -EINVAL);
    assert_non_null(strstr(err.message, "cannot run the worker host /nonexistent/worker"));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(each_module_once_with_its_first_child_in_file_order),
        cmocka_unit_test(a_tree_without_modules_has_nothing_to_check),
        cmocka_unit_test(a_worker_host_that_cannot_run_is_reported),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
