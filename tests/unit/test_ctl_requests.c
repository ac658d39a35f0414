/*
 * The one table of control requests (lib/ctl_requests.h) and its two
 * users: every ninesctl command sends a request of the table with
 * arguments the table allows, and every request of the table is sent by
 * some ninesctl command; the read-only column is exactly the four
 * requests that change nothing. (The daemon's side — a handler for every
 * row — is test_control_requests.)
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "args.h"
#include "ctl_requests.h"

static void every_command_sends_a_request_of_the_table(void **unused) {
    for (size_t i = 0; i < ctl_n_commands; i++) {
        const struct ctl_command *c = &ctl_commands[i];
        const struct ctl_request_info *r = ctl_request_find(ctl_command_request(c));
        if (!r)
            fail_msg("ninesctl %s sends '%s', not in the protocol's table", c->name, ctl_command_request(c));
        if (!c->variadic && r->max_args >= 0 && c->required > r->max_args)
            fail_msg("ninesctl %s takes %d arguments, request %s at most %d", c->name, c->required, r->name,
                     r->max_args);
    }
}

static void every_request_is_sent_by_a_command(void **unused) {
    for (size_t i = 0; i < ctl_n_requests; i++) {
        bool sent = false;
        for (size_t j = 0; j < ctl_n_commands; j++)
            sent |= strcmp(ctl_command_request(&ctl_commands[j]), ctl_requests[i].name) == 0;
        if (!sent)
            fail_msg("request %s has no ninesctl command", ctl_requests[i].name);
    }
}

static void the_read_only_column(void **unused) {
    const char *readers[] = {"version", "status", "events", "metrics", "release-list"};
    size_t n = 0;
    for (size_t i = 0; i < ctl_n_requests; i++)
        n += ctl_requests[i].reads_only;
    assert_int_equal(n, sizeof readers / sizeof *readers);
    for (size_t i = 0; i < sizeof readers / sizeof *readers; i++)
        assert_true(ctl_request_find(readers[i])->reads_only);
    assert_null(ctl_request_find("Status"));
    assert_null(ctl_request_find(""));
    char names[600];
    ctl_request_names(names, sizeof names);
    assert_non_null(strstr(names, "version, status, events, metrics, call"));
    assert_non_null(strstr(names, "release-install"));
    char small[8];
    assert_true(ctl_request_names(small, sizeof small) > (int)sizeof small); /* truncated, counted */
    assert_string_equal(small, "version");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_command_sends_a_request_of_the_table),
        cmocka_unit_test(every_request_is_sent_by_a_command),
        cmocka_unit_test(the_read_only_column),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
