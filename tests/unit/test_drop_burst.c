/*
 * Unit tests: drops are said once per burst, with the count (drop_burst.h).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "drop_burst.h"

static void a_burst_is_one_record_with_its_count(void **unused) {
    struct drop_burst b = {0};
    assert_int_equal(drop_burst_due(&b), 0);
    assert_true(drop_burst_add(&b, 1, 5000)); /* began: the shell arms its timer */
    assert_int_equal(drop_burst_due(&b), 5000 + DROP_BURST_MS);
    for (int i = 0; i < 9999; i++)
        assert_false(drop_burst_add(&b, 1, 5000 + (uint64_t)i / 20));
    assert_false(drop_burst_add(&b, 250, 5900)); /* a queue cleared at once */
    assert_int_equal(drop_burst_take(&b, 5999, false), 0); /* not over yet */
    assert_int_equal(drop_burst_take(&b, 6000, false), 10250);
    assert_int_equal(drop_burst_take(&b, 6001, false), 0); /* said once */
    assert_int_equal(drop_burst_due(&b), 0);
}

static void the_next_drop_begins_the_next_burst(void **unused) {
    struct drop_burst b = {0};
    assert_true(drop_burst_add(&b, 3, 100));
    assert_int_equal(drop_burst_take(&b, 1100, false), 3);
    assert_true(drop_burst_add(&b, 2, 7000));
    assert_int_equal(drop_burst_take(&b, 7999, false), 0);
    assert_int_equal(drop_burst_take(&b, 8000, false), 2);
}

static void nothing_dropped_is_no_burst(void **unused) {
    struct drop_burst b = {0};
    assert_false(drop_burst_add(&b, 0, 100));
    assert_int_equal(drop_burst_due(&b), 0);
    assert_int_equal(drop_burst_take(&b, 100000, true), 0);
}

static void the_end_of_the_tree_says_the_burst_under_way(void **unused) {
    struct drop_burst b = {0};
    drop_burst_add(&b, 4, 100);
    assert_int_equal(drop_burst_take(&b, 200, true), 4);
    assert_int_equal(drop_burst_take(&b, 5000, true), 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_burst_is_one_record_with_its_count),
        cmocka_unit_test(the_next_drop_begins_the_next_burst),
        cmocka_unit_test(nothing_dropped_is_no_burst),
        cmocka_unit_test(the_end_of_the_tree_says_the_burst_under_way),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
