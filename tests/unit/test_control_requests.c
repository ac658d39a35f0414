/*
 * The daemon's side of the control request table (lib/ctl_requests.h):
 * every row has a handler, and the access policy's read-only commands are
 * the table's read-only column.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "control.h"
#include "control_policy.h"
#include "ctl_requests.h"

static void every_request_has_a_handler(void **unused) {
    for (size_t i = 0; i < ctl_n_requests; i++)
        if (!control_handles(ctl_requests[i].name))
            fail_msg("no handler for request %s", ctl_requests[i].name);
    assert_false(control_handles("no-such-request"));
}

static void the_policy_reads_the_table(void **unused) {
    for (size_t i = 0; i < ctl_n_requests; i++) {
        assert_int_equal(control_command_reads_only(ctl_requests[i].name), ctl_requests[i].reads_only);
        assert_int_equal(control_allows(CONTROL_READ, ctl_requests[i].name), ctl_requests[i].reads_only);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_request_has_a_handler),
        cmocka_unit_test(the_policy_reads_the_table),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
