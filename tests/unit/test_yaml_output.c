/*
 * Unit tests of the YAML writer (lib/yaml_output.h): every scalar written
 * reads back through libyaml's parser as the very same text, whatever it
 * holds (YAML's own punctuation, words YAML 1.1 reads as booleans or
 * numbers, controls, quotes, UTF-8, a long line that must not be folded);
 * plain style only where that is safe; text that is not UTF-8 is refused.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "yaml_output.h"

static char *write_pairs(const char *const *values, size_t n, int *rc) {
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    fputs("# a comment first\n", f);
    struct nines_yaml_out o;
    nines_yaml_out_begin(&o, f);
    nines_yaml_map_begin(&o, false);
    nines_yaml_scalar(&o, "items");
    nines_yaml_seq_begin(&o, false);
    for (size_t i = 0; i < n; i++) {
        nines_yaml_map_begin(&o, true);
        nines_yaml_pair(&o, "v", values[i]);
        nines_yaml_map_end(&o);
    }
    nines_yaml_seq_end(&o);
    nines_yaml_map_end(&o);
    *rc = nines_yaml_out_end(&o);
    fclose(f);
    return text;
}

/* The scalars of `text` in document order, keys included. */
static size_t read_scalars(const char *text, char **out, size_t max) {
    yaml_parser_t p;
    yaml_event_t ev;
    size_t n = 0;
    assert_true(yaml_parser_initialize(&p));
    yaml_parser_set_input_string(&p, (const unsigned char *)text, strlen(text));
    for (bool done = false; !done;) {
        if (!yaml_parser_parse(&p, &ev))
            fail_msg("does not parse back: %s\n%s", p.problem, text);
        if (ev.type == YAML_SCALAR_EVENT && n < max)
            out[n++] = strndup((const char *)ev.data.scalar.value, ev.data.scalar.length);
        done = ev.type == YAML_STREAM_END_EVENT;
        yaml_event_delete(&ev);
    }
    yaml_parser_delete(&p);
    return n;
}

static void every_scalar_reads_back_as_itself(void **unused) {
    static char long_line[3000];
    memset(long_line, 'w', sizeof long_line - 1);
    for (size_t i = 5; i < sizeof long_line - 1; i += 7)
        long_line[i] = ' ';
    const char *values[] = {"", "-", "yes", "no", "~", "null", "1.0", "0x1f", "a: b", "#x", "x #y", "[a]",
                            "{a}", "*ref", "&anchor", "!tag", "|", ">", "@", "`", "'", "\"", "\\", " lead",
                            "trail ", "tab\there", "line\nbreak", "\r", "\x01\x7f", "été ☃ 𝄞", "\xc2\x85",
                            "\xe2\x80\xa8", "%YAML", "---", "...", "1.2.0-rc1", "apps/a.so", long_line};
    size_t n = sizeof values / sizeof *values;
    int rc;
    char *text = write_pairs(values, n, &rc);
    assert_int_equal(rc, 0);
    assert_true(strncmp(text, "# a comment first\n", 18) == 0);
    char *got[2 * (sizeof values / sizeof *values) + 1];
    size_t m = read_scalars(text, got, sizeof got / sizeof *got);
    assert_int_equal(m, 1 + 2 * n);
    assert_string_equal(got[0], "items");
    for (size_t i = 0; i < n; i++) {
        assert_string_equal(got[1 + 2 * i], "v");
        if (strcmp(got[2 + 2 * i], values[i]) != 0)
            fail_msg("'%s' came back as '%s'", values[i], got[2 + 2 * i]);
    }
    for (size_t i = 0; i < m; i++)
        free(got[i]);
    assert_non_null(strstr(text, "{v: apps/a.so}"));   /* plain where safe */
    assert_non_null(strstr(text, "{v: \"a: b\"}"));    /* punctuation is quoted */
    assert_non_null(strstr(text, "été ☃ "));           /* UTF-8 of the BMP as is (libyaml escapes the rest) */
    assert_non_null(strstr(text, long_line));         /* one line, never folded */
    free(text);
}

static void text_that_is_not_utf8_is_refused(void **unused) {
    const char *bad[] = {"\xff", "a\xc3", "\xed\xa0\x80" /* a surrogate */, "\xc0\xaf" /* overlong */};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        int rc;
        free(write_pairs(&bad[i], 1, &rc));
        assert_int_equal(rc, -EILSEQ);
    }
}

static void an_empty_flow_collection_is_brackets(void **unused) {
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    struct nines_yaml_out o;
    nines_yaml_out_begin(&o, f);
    nines_yaml_map_begin(&o, false);
    nines_yaml_scalar(&o, "a");
    nines_yaml_seq_begin(&o, true);
    nines_yaml_seq_end(&o);
    nines_yaml_scalar(&o, "b");
    nines_yaml_map_begin(&o, true);
    nines_yaml_map_end(&o);
    nines_yaml_map_end(&o);
    assert_int_equal(nines_yaml_out_end(&o), 0);
    fclose(f);
    assert_string_equal(text, "a: []\nb: {}\n");
    free(text);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_scalar_reads_back_as_itself),
        cmocka_unit_test(text_that_is_not_utf8_is_refused),
        cmocka_unit_test(an_empty_flow_collection_is_brackets),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
