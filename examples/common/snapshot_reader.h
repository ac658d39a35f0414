/*
 * snapshot_reader.h — reading a little-endian snapshot safely, shared by
 * the examples (header only: examples/common/ builds no .so of its own).
 * A read past the end sets `bad` and returns 0, and `bad` sticks, so a
 * code_change reads every field and checks once at the end.
 */
#ifndef NINES_EXAMPLE_SNAPSHOT_READER_H
#define NINES_EXAMPLE_SNAPSHOT_READER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct reader {
    const unsigned char *p;
    size_t left;
    bool bad;
};

/* The next `width` bytes (1 to 8) as a little-endian unsigned integer. */
static inline uint64_t get(struct reader *rd, int width) {
    uint64_t v = 0;
    if (rd->bad || rd->left < (size_t)width) {
        rd->bad = true;
        return 0;
    }
    for (int i = 0; i < width; i++)
        v |= (uint64_t)rd->p[i] << (8 * i);
    rd->p += width;
    rd->left -= (size_t)width;
    return v;
}

/* Write v as `width` little-endian bytes at p. */
static inline void put_le(unsigned char *p, uint64_t v, int width) {
    for (int i = 0; i < width; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

#endif /* NINES_EXAMPLE_SNAPSHOT_READER_H */
