/*
 * Unit tests of the one UTF-8 decoder (lib/utf8.h), exhaustive where it
 * can be: every code point round-trips through an encoder written here;
 * of all 2^16 two-byte and 2^24 three-byte sequences, exactly the
 * encodings of valid code points are accepted; four-byte leads are
 * checked over every second byte; a truncated sequence is refused.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "utf8.h"

static size_t encode(uint32_t cp, uint8_t out[4]) {
    if (cp < 0x80)
        return out[0] = (uint8_t)cp, 1;
    if (cp < 0x800)
        return out[0] = (uint8_t)(0xc0 | cp >> 6), out[1] = (uint8_t)(0x80 | (cp & 0x3f)), 2;
    if (cp < 0x10000) {
        out[0] = (uint8_t)(0xe0 | cp >> 12), out[1] = (uint8_t)(0x80 | (cp >> 6 & 0x3f));
        out[2] = (uint8_t)(0x80 | (cp & 0x3f));
        return 3;
    }
    out[0] = (uint8_t)(0xf0 | cp >> 18), out[1] = (uint8_t)(0x80 | (cp >> 12 & 0x3f));
    out[2] = (uint8_t)(0x80 | (cp >> 6 & 0x3f)), out[3] = (uint8_t)(0x80 | (cp & 0x3f));
    return 4;
}

static int is_surrogate(uint32_t cp) { return cp >= 0xd800 && cp <= 0xdfff; }

static void every_code_point_round_trips(void **unused) {
    for (uint32_t cp = 0; cp <= 0x10ffff; cp++) {
        uint8_t b[4];
        size_t n = encode(cp, b);
        uint32_t got = 0xffffffff;
        size_t len = nines_utf8_decode(b, n, &got);
        if (is_surrogate(cp)) {
            if (len != 0)
                fail_msg("surrogate U+%04X accepted", cp);
            continue;
        }
        if (len != n || got != cp)
            fail_msg("U+%04X: length %zu, code point U+%04X", cp, len, got);
        for (size_t short_by = 1; short_by < n; short_by++)
            if (nines_utf8_decode(b, n - short_by, &got) != 0)
                fail_msg("U+%04X truncated to %zu bytes accepted", cp, n - short_by);
    }
}

static void only_encodings_of_code_points_are_accepted(void **unused) {
    size_t two = 0, three = 0;
    for (uint32_t v = 0; v < 1u << 16; v++) {
        uint8_t b[2] = {(uint8_t)(v >> 8), (uint8_t)v};
        uint32_t cp;
        if (b[0] >= 0x80 && nines_utf8_decode(b, 2, &cp) == 2)
            two++, assert_true(cp >= 0x80 && cp < 0x800);
    }
    for (uint32_t v = 0; v < 1u << 24; v++) {
        uint8_t b[3] = {(uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};
        uint32_t cp;
        if (b[0] >= 0xe0 && nines_utf8_decode(b, 3, &cp) == 3)
            three++, assert_true(cp >= 0x800 && cp < 0x10000 && !is_surrogate(cp));
    }
    assert_int_equal(two, 0x800 - 0x80);
    assert_int_equal(three, 0x10000 - 0x800 - 0x800);
}

static void four_byte_leads_cover_exactly_the_supplementary_planes(void **unused) {
    for (unsigned lead = 0xf0; lead <= 0xff; lead++)
        for (unsigned second = 0; second <= 0xff; second++) {
            uint8_t b[4] = {(uint8_t)lead, (uint8_t)second, 0x80, 0xbf};
            uint32_t cp;
            size_t n = nines_utf8_decode(b, 4, &cp);
            uint32_t want = (lead & 0x07) << 18 | (second & 0x3f) << 12 | 0x3f;
            int valid = lead <= 0xf4 && second >= 0x80 && second <= 0xbf && want >= 0x10000 && want <= 0x10ffff;
            if ((n == 4) != valid || (valid && cp != want))
                fail_msg("F-lead %02x %02x: length %zu", lead, second, n);
        }
    uint8_t bad_third[4] = {0xf1, 0x80, 0x7f, 0x80};
    uint32_t cp;
    assert_int_equal(nines_utf8_decode(bad_third, 4, &cp), 0);
    assert_int_equal(nines_utf8_decode(bad_third, 0, &cp), 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_code_point_round_trips),
        cmocka_unit_test(only_encodings_of_code_points_are_accepted),
        cmocka_unit_test(four_byte_leads_cover_exactly_the_supplementary_planes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
