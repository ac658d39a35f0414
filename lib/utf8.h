/*
 * utf8.h — the one UTF-8 decoder: the control protocol's argument check,
 * ninesctl's JSON strings and the YAML writers all read text with it.
 */
#ifndef NINES_UTF8_H
#define NINES_UTF8_H

#include <stddef.h>
#include <stdint.h>

/* The well-formed UTF-8 character at p (at most `avail` bytes): its length
 * (1 to 4) with its code point in *cp, or 0 for anything else. Well-formed
 * is RFC 3629's table: no overlong form, no UTF-16 surrogate, nothing past
 * U+10FFFF, no truncated sequence. */
size_t nines_utf8_decode(const uint8_t *p, size_t avail, uint32_t *cp);

#endif /* NINES_UTF8_H */
