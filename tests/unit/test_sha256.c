/*
 * Unit tests of SHA-256 against the NIST example vectors (FIPS 180-4,
 * "SHA256.pdf" of the Cryptographic Standards examples): the empty
 * message, "abc", the 448-bit message and one million 'a'; the same
 * digests however the input is cut; and the file helper.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sha256.h"

#define EMPTY "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
#define ABC "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
#define MSG448 "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"
#define MSG448_SUM "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"
#define MILLION_A "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"

static void hash(const char *text, char hex[NINES_SHA256_HEX]) { nines_sha256_buffer(text, strlen(text), hex); }

static void nist_short_vectors(void **unused) {
    char hex[NINES_SHA256_HEX];
    hash("", hex);
    assert_string_equal(hex, EMPTY);
    hash("abc", hex);
    assert_string_equal(hex, ABC);
    hash(MSG448, hex);
    assert_string_equal(hex, MSG448_SUM);
}

static void one_million_a_in_uneven_pieces(void **unused) {
    struct nines_sha256 s;
    uint8_t digest[NINES_SHA256_SIZE];
    char hex[NINES_SHA256_HEX], chunk[1000];
    memset(chunk, 'a', sizeof chunk);
    nines_sha256_init(&s);
    size_t done = 0;
    for (size_t step = 1; done < 1000000; step = step % 997 + 1) {
        size_t n = step < 1000000 - done ? step : 1000000 - done;
        nines_sha256_update(&s, chunk, n);
        done += n;
    }
    nines_sha256_final(&s, digest);
    nines_sha256_hex(digest, hex);
    assert_string_equal(hex, MILLION_A);
}

/* Lengths around the padding boundaries (55, 56, 63, 64, 65 bytes): fed
 * whole and one byte at a time, the digests agree. */
static void any_cut_gives_the_same_digest(void **unused) {
    char text[200];
    for (size_t i = 0; i < sizeof text; i++)
        text[i] = (char)('a' + i % 26);
    for (size_t len = 0; len <= sizeof text; len++) {
        char whole[NINES_SHA256_HEX], bytewise[NINES_SHA256_HEX];
        uint8_t digest[NINES_SHA256_SIZE];
        nines_sha256_buffer(text, len, whole);
        struct nines_sha256 s;
        nines_sha256_init(&s);
        for (size_t i = 0; i < len; i++)
            nines_sha256_update(&s, text + i, 1);
        nines_sha256_final(&s, digest);
        nines_sha256_hex(digest, bytewise);
        assert_string_equal(whole, bytewise);
    }
}

static void a_file_is_hashed_by_path(void **unused) {
    char path[] = "/tmp/nines-sha256-XXXXXX", hex[NINES_SHA256_HEX];
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, MSG448, strlen(MSG448)), (ssize_t)strlen(MSG448));
    close(fd);
    assert_int_equal(nines_sha256_file(path, hex), 0);
    assert_string_equal(hex, MSG448_SUM);
    unlink(path);
    assert_int_equal(nines_sha256_file(path, hex), -ENOENT);
    assert_int_equal(nines_sha256_file("/", hex), -EISDIR);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(nist_short_vectors),
        cmocka_unit_test(one_million_a_in_uneven_pieces),
        cmocka_unit_test(any_cut_gives_the_same_digest),
        cmocka_unit_test(a_file_is_hashed_by_path),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
