/* Unit tests of the log's bounded buffer (issue 16). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "log_buffer.h"

static struct nines_log_buffer b;

static void records_wait_whole_and_leave_in_order(void **unused) {
    memset(&b, 0, sizeof b);
    assert_true(nines_log_buffer_add(&b, "one\n", 4));
    assert_true(nines_log_buffer_add(&b, "two\n", 4));
    nines_log_buffer_consume(&b, 2);
    assert_int_equal(b.len, 6);
    assert_memory_equal(b.data, "e\ntwo\n", 6);
    nines_log_buffer_consume(&b, 100);
    assert_int_equal(b.len, 0);
}

static void a_full_buffer_drops_and_counts(void **unused) {
    static char big[NINES_LOG_BUFFER_SIZE];
    memset(&b, 0, sizeof b);
    memset(big, 'x', sizeof big);
    assert_true(nines_log_buffer_add(&b, big, sizeof big - 3));
    assert_true(nines_log_buffer_add(&b, "ab\n", 3)); /* exactly full */
    assert_false(nines_log_buffer_add(&b, "c\n", 2));
    assert_false(nines_log_buffer_add(&b, "d\n", 2));
    assert_int_equal(b.len, sizeof big);
    assert_memory_equal(b.data + sizeof big - 3, "ab\n", 3);
    /* Nothing is reported while the sink still has to take what waits... */
    nines_log_buffer_consume(&b, 10);
    assert_int_equal(nines_log_buffer_take_dropped(&b), 0);
    /* ...then the count, once. */
    nines_log_buffer_consume(&b, sizeof big);
    assert_int_equal(nines_log_buffer_take_dropped(&b), 2);
    assert_int_equal(nines_log_buffer_take_dropped(&b), 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(records_wait_whole_and_leave_in_order),
        cmocka_unit_test(a_full_buffer_drops_and_counts),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
