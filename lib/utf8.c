/*
 * utf8.c — the UTF-8 decoder (see utf8.h).
 */
#include "utf8.h"

size_t nines_utf8_decode(const uint8_t *p, size_t avail, uint32_t *cp) {
    if (avail == 0)
        return 0;
    uint8_t c = p[0];
    if (c < 0x80) {
        *cp = c;
        return 1;
    }
    size_t n;
    uint8_t lo = 0x80, hi = 0xbf; /* the allowed range of the second byte */
    if (c >= 0xc2 && c <= 0xdf)
        n = 2;
    else if (c >= 0xe0 && c <= 0xef)
        n = 3, lo = c == 0xe0 ? 0xa0 : 0x80, hi = c == 0xed ? 0x9f : 0xbf; /* overlong; surrogates */
    else if (c >= 0xf0 && c <= 0xf4)
        n = 4, lo = c == 0xf0 ? 0x90 : 0x80, hi = c == 0xf4 ? 0x8f : 0xbf; /* overlong; past U+10FFFF */
    else
        return 0; /* a continuation byte, an overlong lead (C0, C1), F5..FF */
    if (avail < n || p[1] < lo || p[1] > hi)
        return 0;
    uint32_t v = c & (0x7f >> n);
    for (size_t i = 1; i < n; i++) {
        if (p[i] < 0x80 || p[i] > 0xbf)
            return 0;
        v = v << 6 | (p[i] & 0x3f);
    }
    *cp = v;
    return n;
}
