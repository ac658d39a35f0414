/* Unit tests of the logfmt formatter: one parseable line per event. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>
#include <syslog.h>

#include "log.h"

static void formats_fields_in_order_and_skips_null(void **unused) {
    char buf[512];
    struct nines_field f[] = {{"supervisor", "/"}, {"child", "web/listener"}, {"pid", NULL}, {"restarts", "2"}};
    size_t n = nines_logfmt_format(buf, sizeof buf, "T", LOG_INFO, "child_started", NULL, f, 4);
    assert_string_equal(buf, "ts=T level=info event=child_started supervisor=/ child=web/listener restarts=2\n");
    assert_int_equal(n, strlen(buf));
}

static void quotes_and_escapes_values(void **unused) {
    char buf[512];
    struct nines_field f[] = {{"reason", "init failed: say \"hi\"\\now"}, {"empty", ""}, {"tab", "a\tb"}};
    nines_logfmt_format(buf, sizeof buf, "T", LOG_ERR, "start_error", "two\nlines", f, 3);
    assert_string_equal(buf,
        "ts=T level=error event=start_error reason=\"init failed: say \\\"hi\\\"\\\\now\" "
        "empty=\"\" tab=\"a\\x09b\" msg=\"two\\nlines\"\n");
}

static void reports_needed_size_when_truncated(void **unused) {
    char small[16];
    size_t need = nines_logfmt_format(small, sizeof small, "T", LOG_WARNING, "output", "x", NULL, 0);
    assert_int_equal(need, strlen("ts=T level=warning event=output msg=x\n"));
    assert_int_equal(strlen(small), sizeof small - 1);
}

/* Cut anywhere, a record is the start of the whole one, and the length
 * needed is the same: plain values are copied as they are scanned, and
 * one that does not fit must not come out quoted or short. */
static void a_record_cut_anywhere_is_its_start(void **unused) {
    struct nines_field f[] = {{"path", "web/listener"}, {"kind", "worker"}, {"empty", ""},
                              {"msg", "say \"hi\""}, {"depth", "12"}};
    char whole[256], cut[256];
    size_t need = nines_logfmt_record(whole, sizeof whole, f, 5);
    assert_true(need < sizeof whole);
    for (size_t size = 1; size <= need + 1; size++) {
        memset(cut, 'X', sizeof cut);
        assert_int_equal(nines_logfmt_record(cut, size, f, 5), need);
        size_t kept = need < size ? need : size - 1;
        assert_int_equal(strlen(cut), kept);
        assert_memory_equal(cut, whole, kept);
        assert_int_equal(cut[size], 'X'); /* nothing past size */
    }
}

static void level_names(void **unused) {
    assert_string_equal(nines_log_level_name(LOG_CRIT), "error");
    assert_string_equal(nines_log_level_name(LOG_ERR), "error");
    assert_string_equal(nines_log_level_name(LOG_WARNING), "warning");
    assert_string_equal(nines_log_level_name(LOG_NOTICE), "notice");
    assert_string_equal(nines_log_level_name(LOG_INFO), "info");
    assert_string_equal(nines_log_level_name(LOG_DEBUG), "debug");
}

static void log_targets_parse(void **unused) {
    enum nines_log_target t;
    assert_int_equal(nines_log_target_parse("journal", &t), 0);
    assert_int_equal(t, NINES_LOG_TARGET_JOURNAL);
    assert_int_equal(nines_log_target_parse("stderr", &t), 0);
    assert_int_equal(t, NINES_LOG_TARGET_STDERR);
    assert_int_not_equal(nines_log_target_parse("syslog", &t), 0);
}

/* The journal's MESSAGE_ID of an event kind is a contract: it must never
 * change for a name, and differ between names. */
static void message_ids_are_stable_and_distinct(void **unused) {
    char a[33], b[33];
    assert_int_equal(nines_log_message_id("child_started", a), 32);
    assert_string_equal(a, "d408dfd729d2009d471b7bb647618a04"); /* printf nines/child_started | sha256sum */
    nines_log_message_id("child_terminated", b);
    assert_string_not_equal(a, b);
    nines_log_message_id("child_started", b);
    assert_string_equal(a, b);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(formats_fields_in_order_and_skips_null),
        cmocka_unit_test(message_ids_are_stable_and_distinct),
        cmocka_unit_test(quotes_and_escapes_values),
        cmocka_unit_test(reports_needed_size_when_truncated),
        cmocka_unit_test(a_record_cut_anywhere_is_its_start),
        cmocka_unit_test(level_names),
        cmocka_unit_test(log_targets_parse),
    };
    return cmocka_run_group_tests_name("logfmt", tests, NULL, NULL);
}
