/* Unit tests of the START message a spare worker host is given. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "spare.h"

static void payload_holds_module_path_and_args_in_order(void **unused) {
    struct nines_arg args[] = {{"port", "7007"}, {"bind", "0.0.0.0"}, {"empty", ""}};
    struct nines_child_spec spec = {.kind = NINES_CHILD_MODULE, .module = "/srv/echo.so",
                                    .args = args, .n_args = 3};
    char buf[256];
    static const char want[] = "/srv/echo.so\0web/echo\0\0port=7007\0bind=0.0.0.0\0empty=";
    int n = spare_start_payload(&spec, spec.module, NULL, "web/echo", buf, sizeof buf);
    assert_int_equal(n, sizeof want); /* the final NUL included */
    assert_memory_equal(buf, want, sizeof want);
}

static void payload_without_args_is_module_and_path(void **unused) {
    struct nines_child_spec spec = {.kind = NINES_CHILD_MODULE, .module = "/m.so"};
    char buf[64];
    assert_int_equal(spare_start_payload(&spec, spec.module, NULL, "a", buf, sizeof buf), 9);
    assert_memory_equal(buf, "/m.so\0a\0", 9);
    /* the application it must be, when ninesd knows it */
    assert_int_equal(spare_start_payload(&spec, spec.module, "echo", "a", buf, sizeof buf), 13);
    assert_memory_equal(buf, "/m.so\0a\0echo", 13);
}

static void payload_that_does_not_fit_is_refused_at_every_boundary(void **unused) {
    struct nines_arg args[] = {{"k", "v"}};
    struct nines_child_spec spec = {.kind = NINES_CHILD_MODULE, .module = "/m.so", .args = args, .n_args = 1};
    char buf[64];
    int full = spare_start_payload(&spec, spec.module, NULL, "a", buf, sizeof buf);
    assert_int_equal(full, 13);
    for (int size = 0; size < full; size++)
        assert_int_equal(spare_start_payload(&spec, spec.module, NULL, "a", buf, (size_t)size), -E2BIG);
    assert_int_equal(spare_start_payload(&spec, spec.module, NULL, "a", buf, (size_t)full), full);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(payload_holds_module_path_and_args_in_order),
        cmocka_unit_test(payload_without_args_is_module_and_path),
        cmocka_unit_test(payload_that_does_not_fit_is_refused_at_every_boundary),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
