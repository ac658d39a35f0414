/*
 * Unit tests: the call latency histogram (counters.h) puts each call in
 * the first bucket whose bound it does not exceed, counts the rest as
 * +Inf, and adds up as Prometheus' cumulative _bucket, _sum and _count.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "counters.h"

static void a_call_lands_in_the_first_bucket_that_holds_it(void **unused) {
    struct call_latency h = {0};
    call_latency_observe(&h, 0);        /* le 25 us */
    call_latency_observe(&h, 25);       /* le 25 us: bounds are inclusive */
    call_latency_observe(&h, 26);       /* le 50 us */
    call_latency_observe(&h, 999);      /* le 1 ms */
    call_latency_observe(&h, 60000000); /* over the last bound: +Inf */
    assert_int_equal(h.bucket[0], 2);
    assert_int_equal(h.bucket[1], 1);
    assert_int_equal(h.bucket[5], 1);
    assert_int_equal(h.bucket[CALL_LATENCY_BUCKETS], 1);
    assert_int_equal(h.count, 5);
    assert_int_equal(h.sum_us, 0 + 25 + 26 + 999 + 60000000);
}

static void buckets_are_cumulative_and_inf_is_the_count(void **unused) {
    struct call_latency h = {0};
    for (uint64_t us = 1; us <= 20000000; us *= 3)
        call_latency_observe(&h, us);
    uint64_t last = 0;
    for (int i = 0; i < CALL_LATENCY_BUCKETS; i++) {
        uint64_t n = call_latency_cumulative(&h, i);
        assert_true(n >= last);
        last = n;
        if (i)
            assert_true(call_latency_bounds_us[i] > call_latency_bounds_us[i - 1]);
    }
    assert_int_equal(call_latency_cumulative(&h, CALL_LATENCY_BUCKETS), h.count);
    assert_int_equal(call_latency_cumulative(&h, 0), 3); /* 1, 3, 9 */
}

static void outcomes_have_the_names_metrics_print(void **unused) {
    assert_string_equal(call_outcome_name(CALL_REPLIED), "replied");
    assert_string_equal(call_outcome_name(CALL_FAILED), "failed");
    assert_string_equal(upgrade_outcome_name(UPGRADE_OK), "ok");
    assert_string_equal(upgrade_outcome_name(UPGRADE_REFUSED), "refused");
    assert_string_equal(upgrade_outcome_name(UPGRADE_ROLLED_BACK), "rolled_back");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_call_lands_in_the_first_bucket_that_holds_it),
        cmocka_unit_test(buckets_are_cumulative_and_inf_is_the_count),
        cmocka_unit_test(outcomes_have_the_names_metrics_print),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
