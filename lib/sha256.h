/*
 * sha256.h — SHA-256 (FIPS 180-4), for the checksums of a release's files.
 *
 * Our own small implementation rather than a dependency: a release is
 * checked by ninesd and by nines-release, and neither should need a crypto
 * library for one hash. Streaming: init, update as often as needed, final.
 */
#ifndef NINES_SHA256_H
#define NINES_SHA256_H

#include <stddef.h>
#include <stdint.h>

#define NINES_SHA256_SIZE 32                       /* bytes of a digest */
#define NINES_SHA256_HEX (2 * NINES_SHA256_SIZE + 1) /* its hex text, with the NUL */

struct nines_sha256 {
    uint32_t h[8];      /* the hash state */
    uint64_t length;    /* bytes hashed so far */
    uint8_t block[64];  /* the partial block */
    size_t used;        /* bytes in `block` */
};

void nines_sha256_init(struct nines_sha256 *s);
void nines_sha256_update(struct nines_sha256 *s, const void *data, size_t len);
/* The digest; `s` must be initialized again before it is used again. */
void nines_sha256_final(struct nines_sha256 *s, uint8_t digest[NINES_SHA256_SIZE]);

/* The digest as 64 lowercase hex digits and a NUL. */
void nines_sha256_hex(const uint8_t digest[NINES_SHA256_SIZE], char hex[NINES_SHA256_HEX]);

/* Hash `len` bytes at once, into hex. */
void nines_sha256_buffer(const void *data, size_t len, char hex[NINES_SHA256_HEX]);

/* Hash the content of the file at `path`, into hex. 0, or -errno if it
 * cannot be opened or read. */
int nines_sha256_file(const char *path, char hex[NINES_SHA256_HEX]);

#endif /* NINES_SHA256_H */
