/* Unit tests of who may do what on the control socket. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "control_policy.h"

static const struct control_rules with_group = {.daemon_uid = 1000, .has_group = true, .group = 50};
static const struct control_rules without_group = {.daemon_uid = 1000};

static void root_and_the_daemons_uid_may_do_everything(void **unused) {
    struct control_peer root = {.uid = 0, .gid = 0}, self = {.uid = 1000, .gid = 1000};
    assert_int_equal(control_access_of(&root, &without_group), CONTROL_FULL);
    assert_int_equal(control_access_of(&self, &without_group), CONTROL_FULL);
    assert_int_equal(control_access_of(&self, &with_group), CONTROL_FULL);
}

static void the_group_reads_by_primary_or_supplementary_gid(void **unused) {
    gid_t groups[] = {7, 50};
    struct control_peer primary = {.uid = 2000, .gid = 50};
    struct control_peer supplementary = {.uid = 2000, .gid = 7, .groups = groups, .n_groups = 2};
    struct control_peer neither = {.uid = 2000, .gid = 7, .groups = groups, .n_groups = 1};
    assert_int_equal(control_access_of(&primary, &with_group), CONTROL_READ);
    assert_int_equal(control_access_of(&supplementary, &with_group), CONTROL_READ);
    assert_int_equal(control_access_of(&neither, &with_group), CONTROL_NONE);
    assert_int_equal(control_access_of(&primary, &without_group), CONTROL_NONE);
}

static void reading_commands_are_exactly_status_events_version(void **unused) {
    const char *readers[] = {"status", "events", "version"};
    const char *writers[] = {"call", "cast", "restart", "terminate", "delete", "start", "start-child", "stop", "reload",
                             "Status", "", "statusx"};
    for (size_t i = 0; i < 3; i++) {
        assert_true(control_allows(CONTROL_READ, readers[i]));
        assert_true(control_allows(CONTROL_FULL, readers[i]));
        assert_false(control_allows(CONTROL_NONE, readers[i]));
    }
    for (size_t i = 0; i < sizeof writers / sizeof *writers; i++) {
        assert_false(control_allows(CONTROL_READ, writers[i]));
        assert_true(control_allows(CONTROL_FULL, writers[i]));
        assert_false(control_allows(CONTROL_NONE, writers[i]));
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(root_and_the_daemons_uid_may_do_everything),
        cmocka_unit_test(the_group_reads_by_primary_or_supplementary_gid),
        cmocka_unit_test(reading_commands_are_exactly_status_events_version),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
