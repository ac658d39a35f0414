/* Unit tests of the output line splitter. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "linebuf.h"

struct seen {
    char lines[8][NINES_LINE_MAX + 1];
    size_t lens[8];
    int n;
};

static void collect(void *userdata, const char *line, size_t len) {
    struct seen *s = userdata;
    assert_true(s->n < 8);
    memcpy(s->lines[s->n], line, len);
    s->lines[s->n][len] = '\0';
    s->lens[s->n++] = len;
}

static void splits_complete_lines_and_keeps_partial(void **unused) {
    static struct linebuf b;
    static struct seen s;
    memset(&b, 0, sizeof b), memset(&s, 0, sizeof s);
    linebuf_feed(&b, "one\ntw", 6, collect, &s);
    assert_int_equal(s.n, 1);
    assert_string_equal(s.lines[0], "one");
    linebuf_feed(&b, "o\n\nthree", 8, collect, &s);
    assert_int_equal(s.n, 3);
    assert_string_equal(s.lines[1], "two");
    assert_string_equal(s.lines[2], "");
    linebuf_flush(&b, collect, &s);
    assert_int_equal(s.n, 4);
    assert_string_equal(s.lines[3], "three");
    linebuf_flush(&b, collect, &s);
    assert_int_equal(s.n, 4);
    linebuf_free(&b);
    assert_null(b.data);
}

static void cuts_overlong_lines(void **unused) {
    static struct linebuf b;
    static struct seen s;
    static char big[NINES_LINE_MAX + 10];
    memset(&b, 0, sizeof b), memset(&s, 0, sizeof s);
    memset(big, 'x', sizeof big);
    big[sizeof big - 1] = '\n';
    linebuf_feed(&b, big, sizeof big, collect, &s);
    assert_int_equal(s.n, 2);
    assert_int_equal(s.lens[0], NINES_LINE_MAX);
    assert_int_equal(s.lens[1], sizeof big - 1 - NINES_LINE_MAX);
    assert_int_equal(b.len, 0);
    /* A line exactly as long as the limit: the piece, then an empty line
     * (the '\n' that followed it), as ever. */
    memset(&s, 0, sizeof s);
    big[NINES_LINE_MAX] = '\n';
    linebuf_feed(&b, big, NINES_LINE_MAX + 1, collect, &s);
    assert_int_equal(s.n, 2);
    assert_int_equal(s.lens[0], NINES_LINE_MAX);
    assert_int_equal(s.lens[1], 0);
    /* A partial line followed by more than the limit: cut at the limit. */
    memset(&s, 0, sizeof s);
    linebuf_feed(&b, "abc", 3, collect, &s);
    linebuf_feed(&b, big, sizeof big, collect, &s);
    assert_int_equal(s.n, 3);
    assert_int_equal(s.lens[0], NINES_LINE_MAX);
    assert_memory_equal(s.lines[0], "abcxxx", 6);
    linebuf_free(&b);
}

/* Whole lines never make it keep a buffer; a line left open does, until
 * it is freed. */
static void keeps_a_buffer_only_for_a_line_left_open(void **unused) {
    static struct linebuf b;
    static struct seen s;
    memset(&b, 0, sizeof b), memset(&s, 0, sizeof s);
    linebuf_feed(&b, "one\ntwo\n", 8, collect, &s);
    assert_int_equal(s.n, 2);
    assert_string_equal(s.lines[1], "two");
    assert_null(b.data);
    linebuf_feed(&b, "thr", 3, collect, &s);
    assert_non_null(b.data);
    assert_int_equal(s.n, 2);
    linebuf_feed(&b, "ee\nfour\n", 9, collect, &s);
    assert_int_equal(s.n, 4);
    assert_string_equal(s.lines[2], "three");
    assert_string_equal(s.lines[3], "four");
    linebuf_free(&b);
    assert_null(b.data);
    assert_int_equal(b.len, 0);
}

static void parses_priority_prefix(void **unused) {
    const char *line = "<3>disk full";
    size_t len = strlen(line);
    assert_int_equal(linebuf_priority(&line, &len, 6), 3);
    assert_int_equal(len, 9);
    assert_memory_equal(line, "disk full", 9);

    const char *plain = "<9>not a priority";
    size_t plen = strlen(plain);
    assert_int_equal(linebuf_priority(&plain, &plen, 6), 6);
    assert_int_equal(plen, strlen("<9>not a priority"));

    const char *shortl = "<3";
    size_t slen = 2;
    assert_int_equal(linebuf_priority(&shortl, &slen, 5), 5);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(splits_complete_lines_and_keeps_partial),
        cmocka_unit_test(cuts_overlong_lines),
        cmocka_unit_test(keeps_a_buffer_only_for_a_line_left_open),
        cmocka_unit_test(parses_priority_prefix),
    };
    return cmocka_run_group_tests_name("linebuf", tests, NULL, NULL);
}
