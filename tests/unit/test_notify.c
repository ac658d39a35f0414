/* Unit test of the sd_notify message check used for `ready: notify`. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "notify.h"

static bool ready(const char *s) { return notify_says_ready(s, strlen(s)); }

static void ready_only_as_a_whole_line(void **unused) {
    assert_true(ready("READY=1"));
    assert_true(ready("STATUS=up\nREADY=1\n"));
    assert_true(ready("READY=1\nSTATUS=up"));
    assert_false(ready("READY=0"));
    assert_false(ready("READY=10"));
    assert_false(ready("XREADY=1"));
    assert_false(ready("STATUS=READY=1 soon"));
    assert_false(ready(""));
    /* Not NUL-terminated: only `len` bytes count. */
    assert_false(notify_says_ready("READY=1", 6));
}

int main(void) {
    const struct CMUnitTest tests[] = {cmocka_unit_test(ready_only_as_a_whole_line)};
    return cmocka_run_group_tests_name("notify", tests, NULL, NULL);
}
