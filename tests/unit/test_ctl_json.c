/* Unit tests of ninesctl's --json writer: string escaping (controls,
 * quotes, UTF-8 kept, bytes that are not UTF-8), value types by key and
 * by shape, and records as objects. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl_text.h"
#include "json.h"

static const char *string_of(const void *s, size_t len) {
    FILE *f = mem();
    ctl_json_string(f, s, len);
    fclose(f);
    return text;
}

static void test_plain_and_escapes(void **state) {
    assert_string_equal(string_of("", 0), "\"\"");
    assert_string_equal(string_of("pong", 4), "\"pong\"");
    assert_string_equal(string_of("a\"b\\c", 5), "\"a\\\"b\\\\c\"");
    assert_string_equal(string_of("l1\nl2\r\t\b\f", 9), "\"l1\\nl2\\r\\t\\b\\f\"");
    assert_string_equal(string_of("\x01\x1f\x7f", 3), "\"\\u0001\\u001f\\u007f\"");
    assert_string_equal(string_of("a\0b", 3), "\"a\\u0000b\"");
    assert_string_equal(string_of("/", 1), "\"/\"");
}

static void test_utf8(void **state) {
    /* Well-formed UTF-8 passes through: é, €, 😀 (2, 3 and 4 bytes). */
    const char *ok = "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80";
    char want[64];
    snprintf(want, sizeof want, "\"%s\"", ok);
    assert_string_equal(string_of(ok, strlen(ok)), want);
    /* Not UTF-8: each such byte as \u00XX. */
    assert_string_equal(string_of("\xff", 1), "\"\\u00ff\"");
    assert_string_equal(string_of("a\x80z", 3), "\"a\\u0080z\"");           /* a lone continuation */
    assert_string_equal(string_of("\xc3", 1), "\"\\u00c3\"");                 /* cut short */
    assert_string_equal(string_of("\xc0\xaf", 2), "\"\\u00c0\\u00af\"");       /* overlong '/' */
    assert_string_equal(string_of("\xed\xa0\x80", 3), "\"\\u00ed\\u00a0\\u0080\""); /* a surrogate */
    assert_string_equal(string_of("\xf4\x90\x80\x80", 4), "\"\\u00f4\\u0090\\u0080\\u0080\""); /* > U+10FFFF */
    /* A bad byte does not swallow the good character after it. */
    assert_string_equal(string_of("\xe2\xc3\xa9", 3), "\"\\u00e2\xc3\xa9\"");
}

static void test_types(void **state) {
    assert_int_equal(ctl_json_type_of("pid", "4242"), CTL_JSON_NUMBER);
    assert_int_equal(ctl_json_type_of("restarts", "0"), CTL_JSON_NUMBER);
    assert_int_equal(ctl_json_type_of("uptime_ms", "11040000"), CTL_JSON_NUMBER);
    assert_int_equal(ctl_json_type_of("future", "true"), CTL_JSON_BOOL);
    assert_int_equal(ctl_json_type_of("future", "false"), CTL_JSON_BOOL);
    assert_int_equal(ctl_json_type_of("future", "True"), CTL_JSON_STRING);
    assert_int_equal(ctl_json_type_of("future", ""), CTL_JSON_STRING);
    assert_int_equal(ctl_json_type_of("future", "007"), CTL_JSON_STRING); /* JSON has no leading zeros */
    assert_int_equal(ctl_json_type_of("future", "-1"), CTL_JSON_STRING);
    assert_int_equal(ctl_json_type_of("future", "1.5"), CTL_JSON_STRING);
    assert_int_equal(ctl_json_type_of("future", "12a"), CTL_JSON_STRING);
    assert_int_equal(ctl_json_type_of("future", "12345678901234567890"), CTL_JSON_STRING);
    /* Names people choose stay text whatever they look like. */
    assert_int_equal(ctl_json_type_of("path", "2024"), CTL_JSON_STRING);
    assert_int_equal(ctl_json_type_of("version", "3"), CTL_JSON_STRING);
    assert_int_equal(ctl_json_type_of("name", "true"), CTL_JSON_STRING);
    assert_int_equal(ctl_json_type_of("child", "jobs/1"), CTL_JSON_STRING);
    /* The release commands': versions and names as text, counts as numbers. */
    static const char *const text_keys[] = {"release", "status", "dir", "running", "phase", "application",
                                            "what", "result", "from", "to", "kind", "reason"};
    for (size_t i = 0; i < sizeof text_keys / sizeof text_keys[0]; i++)
        assert_int_equal(ctl_json_type_of(text_keys[i], "2"), CTL_JSON_STRING);
    assert_int_equal(ctl_json_type_of("n", "1"), CTL_JSON_NUMBER);
    assert_int_equal(ctl_json_type_of("of", "3"), CTL_JSON_NUMBER);
    assert_int_equal(ctl_json_type_of("ms", "12"), CTL_JSON_NUMBER);
}

static void test_record(void **state) {
    const char *line = "path=jobs/1 kind=worker depth=2 state=running pid=4300 version=1 "
                       "flag=true msg=\"say \\\"hi\\\"\" empty=\"\"";
    struct ctl_record r;
    assert_int_equal(ctl_record_from_line(&r, line, strlen(line)), 0);
    FILE *f = mem();
    ctl_json_record(f, &r);
    fclose(f);
    assert_string_equal(text, "{\"path\":\"jobs/1\",\"kind\":\"worker\",\"depth\":2,\"state\":\"running\","
                              "\"pid\":4300,\"version\":\"1\",\"flag\":true,\"msg\":\"say \\\"hi\\\"\",\"empty\":\"\"}");
    ctl_record_free(&r);
}

/* The pairs alone, one key left out, for objects with keys of their own. */
static void test_fields(void **state) {
    const char *line = "phase=step n=1 of=3 to=2 result=ok";
    struct ctl_record r;
    assert_int_equal(ctl_record_from_line(&r, line, strlen(line)), 0);
    FILE *f = mem();
    assert_int_equal(ctl_json_fields(f, &r, "phase"), 4);
    fputc('|', f);
    assert_int_equal(ctl_json_fields(f, &r, "result"), 4);
    fputc('|', f);
    assert_int_equal(ctl_json_fields(f, &r, NULL), 5);
    fclose(f);
    assert_string_equal(text, "\"n\":1,\"of\":3,\"to\":\"2\",\"result\":\"ok\"|"
                              "\"phase\":\"step\",\"n\":1,\"of\":3,\"to\":\"2\"|"
                              "\"phase\":\"step\",\"n\":1,\"of\":3,\"to\":\"2\",\"result\":\"ok\"");
    ctl_record_free(&r);
    /* A record of only the key left out: nothing, and no comma. */
    assert_int_equal(ctl_record_from_line(&r, "phase=x", 7), 0);
    f = mem();
    assert_int_equal(ctl_json_fields(f, &r, "phase"), 0);
    fclose(f);
    assert_string_equal(text, "");
    ctl_record_free(&r);
}

static void test_begin(void **state) {
    FILE *f = mem();
    ctl_json_begin(f, true, "ok", "restarted web/listener (pid 1234)", 33);
    fputc('}', f);
    fclose(f);
    assert_string_equal(text, "{\"ok\":true,\"status\":\"ok\",\"message\":\"restarted web/listener (pid 1234)\"}");
    f = mem();
    ctl_json_begin(f, false, "not_found", "", 0);
    fputc('}', f);
    fclose(f);
    assert_string_equal(text, "{\"ok\":false,\"status\":\"not_found\",\"message\":\"\"}");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_plain_and_escapes, text_free),
        cmocka_unit_test_teardown(test_utf8, text_free),
        cmocka_unit_test(test_types),
        cmocka_unit_test_teardown(test_record, text_free),
        cmocka_unit_test_teardown(test_fields, text_free),
        cmocka_unit_test_teardown(test_begin, text_free),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
