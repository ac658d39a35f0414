/*
 * Unit tests of the snapshot writer and reader (include/nines/snap.h,
 * worker/snap.c): every type round-trips; every truncation point of a
 * snapshot holding every type fails cleanly (the prefix is copied into a
 * buffer of exactly its size, so an over-read is a sanitizer report);
 * every one-byte change either reads or fails, never more; wrong types,
 * trailing bytes, counts over their bounds, strings without their NUL,
 * closed fds and the writer's own failures are refused with a reason.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "nines/snap.h"

/* The host's buffer, as a test double: fixed room, and a limit to fail at. */
struct nines_buf {
    unsigned char data[4096];
    size_t len, limit;
};

int nines_buf_append(nines_buf *buf, const void *data, size_t len) {
    if (buf->len + len > buf->limit)
        return -ENOMEM;
    memcpy(buf->data + buf->len, data, len);
    buf->len += len;
    return 0;
}

static nines_buf *new_buf(void) {
    nines_buf *b = calloc(1, sizeof *b);
    b->limit = sizeof b->data;
    return b;
}

/* A snapshot with one field of each type; fd is an open descriptor. */
static void write_sample(nines_buf *b, int fd) {
    struct nines_snap_writer w;
    nines_snap_write_begin(&w, b, 7);
    nines_snap_put_u8(&w, 200);
    nines_snap_put_bool(&w, true);
    nines_snap_put_u32(&w, 0xdeadbeef);
    nines_snap_put_u64(&w, UINT64_MAX - 1);
    nines_snap_put_i64(&w, INT64_MIN);
    nines_snap_put_str(&w, "hello");
    nines_snap_put_str(&w, "");
    nines_snap_put_blob(&w, "a\0b", 3);
    nines_snap_put_blob(&w, NULL, 0);
    nines_snap_put_count(&w, 2);
    nines_snap_put_i64(&w, -1);
    nines_snap_put_i64(&w, 1);
    nines_snap_put_fd(&w, fd);
    assert_int_equal(nines_snap_write_end(&w), 0);
}

/* Read the sample back; 0 and every value checked, or the failure. */
static int read_sample(const void *data, size_t len, int fd) {
    struct nines_snap_reader r;
    size_t n;
    nines_snap_read_begin(&r, data, len);
    uint8_t u8 = nines_snap_get_u8(&r);
    bool flag = nines_snap_get_bool(&r);
    uint32_t u32 = nines_snap_get_u32(&r);
    uint64_t u64 = nines_snap_get_u64(&r);
    int64_t i64 = nines_snap_get_i64(&r);
    const char *s = nines_snap_get_str(&r, &n);
    size_t slen = n;
    const char *empty = nines_snap_get_str(&r, NULL);
    size_t blen, elen;
    const void *blob = nines_snap_get_blob(&r, &blen);
    const void *eblob = nines_snap_get_blob(&r, &elen);
    size_t count = nines_snap_get_count(&r, 10);
    int64_t items[2] = {0, 0};
    for (size_t i = 0; i < count && i < 2; i++)
        items[i] = nines_snap_get_i64(&r);
    int got_fd = nines_snap_get_fd(&r);
    int rc = nines_snap_read_end(&r);
    if (rc < 0) {
        assert_true(r.why[0] != '\0');
        return rc;
    }
    assert_int_equal(r.version, 7);
    assert_int_equal(u8, 200);
    assert_true(flag);
    assert_int_equal(u32, 0xdeadbeef);
    assert_true(u64 == UINT64_MAX - 1);
    assert_true(i64 == INT64_MIN);
    assert_string_equal(s, "hello");
    assert_int_equal(slen, 5);
    assert_string_equal(empty, "");
    assert_int_equal(blen, 3);
    assert_memory_equal(blob, "a\0b", 3);
    assert_null(eblob);
    assert_int_equal(elen, 0);
    assert_int_equal(count, 2);
    assert_true(items[0] == -1 && items[1] == 1);
    assert_int_equal(got_fd, fd);
    return 0;
}

static void every_type_round_trips(void **unused) {
    nines_buf *b = new_buf();
    write_sample(b, STDIN_FILENO);
    assert_int_equal(read_sample(b->data, b->len, STDIN_FILENO), 0);
    free(b);
}

static void every_truncation_fails_cleanly(void **unused) {
    nines_buf *b = new_buf();
    write_sample(b, STDIN_FILENO);
    for (size_t len = 0; len < b->len; len++) {
        unsigned char *copy = malloc(len ? len : 1);
        memcpy(copy, b->data, len);
        int rc = read_sample(copy, len, STDIN_FILENO);
        if (rc != -EBADMSG)
            fail_msg("cut to %zu of %zu bytes: %d", len, b->len, rc);
        free(copy);
    }
    free(b);
}

static void every_changed_byte_reads_or_fails(void **unused) {
    nines_buf *b = new_buf();
    write_sample(b, STDIN_FILENO);
    size_t failed = 0;
    for (size_t at = 0; at < b->len; at++)
        for (unsigned v = 0; v < 256; v++) {
            if (v == b->data[at])
                continue;
            unsigned char *copy = malloc(b->len);
            memcpy(copy, b->data, b->len);
            copy[at] = (unsigned char)v;
            /* Changing a value may still read (checked against the sample,
             * which then fails an assertion) — so only count failures on
             * the bytes that are structure: types, lengths, the header. */
            struct nines_snap_reader r;
            nines_snap_read_begin(&r, copy, b->len);
            while (r.error == 0 && r.left > 0) {
                switch (*r.p) {
                case NINES_SNAP_U8: nines_snap_get_u8(&r); break;
                case NINES_SNAP_U32: nines_snap_get_u32(&r); break;
                case NINES_SNAP_U64: nines_snap_get_u64(&r); break;
                case NINES_SNAP_I64: nines_snap_get_i64(&r); break;
                case NINES_SNAP_STR: nines_snap_get_str(&r, NULL); break;
                case NINES_SNAP_BLOB: { size_t n; nines_snap_get_blob(&r, &n); break; }
                case NINES_SNAP_COUNT: nines_snap_get_count(&r, SIZE_MAX); break;
                case NINES_SNAP_FD: nines_snap_get_fd(&r); break;
                default: nines_snap_fail(&r, -EBADMSG, "unknown type"); break;
                }
            }
            if (nines_snap_read_end(&r) < 0)
                failed++, assert_true(r.why[0] != '\0');
            assert_true(r.p >= r.start && r.p <= r.start + b->len);
            free(copy);
        }
    /* The header's magic alone is 4 bytes x 255 changes that must fail. */
    assert_true(failed >= 4 * 255);
    free(b);
}

static void a_wrong_type_says_which(void **unused) {
    nines_buf *b = new_buf();
    struct nines_snap_writer w;
    nines_snap_write_begin(&w, b, 1);
    nines_snap_put_str(&w, "x");
    nines_snap_put_u64(&w, 5);
    struct nines_snap_reader r;
    assert_int_equal(nines_snap_read_begin(&r, b->data, b->len), 0);
    assert_int_equal(nines_snap_get_u64(&r), 0);
    assert_int_equal(r.error, -EBADMSG);
    assert_string_equal(r.why, "byte 8: a u64 expected, a string found");
    /* Sticky: the u64 that follows is not read either. */
    assert_null(nines_snap_get_str(&r, NULL));
    assert_int_equal(nines_snap_get_u64(&r), 0);
    assert_int_equal(nines_snap_read_end(&r), -EBADMSG);
    assert_string_equal(r.why, "byte 8: a u64 expected, a string found");
    free(b);
}

static void trailing_bytes_are_refused(void **unused) {
    nines_buf *b = new_buf();
    struct nines_snap_writer w;
    nines_snap_write_begin(&w, b, 1);
    nines_snap_put_u8(&w, 1);
    nines_snap_put_u8(&w, 2);
    struct nines_snap_reader r;
    nines_snap_read_begin(&r, b->data, b->len);
    assert_int_equal(nines_snap_get_u8(&r), 1);
    assert_int_equal(nines_snap_read_end(&r), -EBADMSG);
    assert_string_equal(r.why, "byte 10: 2 bytes after the last field");
    free(b);
}

static void not_a_snapshot(void **unused) {
    struct nines_snap_reader r;
    assert_int_equal(nines_snap_read_begin(&r, "\x01\x02\x03", 3), -EBADMSG);
    assert_int_equal(nines_snap_get_u8(&r), 0);
    assert_int_equal(nines_snap_read_begin(&r, NULL, 0), -EBADMSG);
    assert_int_equal(nines_snap_read_begin(&r, "NSNQ\1\0\0\0", 8), -EBADMSG);
    assert_string_equal(r.why, "byte 0: not a snapshot (no NSNP header)");
    assert_int_equal(nines_snap_read_begin(&r, "NSNP\1\0\0\0", 8), 0);
    assert_int_equal(r.version, 1);
    assert_int_equal(nines_snap_read_end(&r), 0);
}

static void counts_are_bounded(void **unused) {
    nines_buf *b = new_buf();
    struct nines_snap_writer w;
    nines_snap_write_begin(&w, b, 1);
    nines_snap_put_count(&w, 3);
    nines_snap_put_u8(&w, 1);
    nines_snap_put_u8(&w, 2);
    nines_snap_put_u8(&w, 3);
    struct nines_snap_reader r;
    nines_snap_read_begin(&r, b->data, b->len);
    assert_int_equal(nines_snap_get_count(&r, 2), 0);
    assert_int_equal(r.error, -EBADMSG);
    assert_string_equal(r.why, "byte 13: a count of 3, over its bound (2)");
    nines_snap_read_begin(&r, b->data, b->len);
    assert_int_equal(nines_snap_get_count(&r, 3), 3);
    /* A count larger than the bytes left cannot be real. */
    b->len = 0;
    nines_snap_write_begin(&w, b, 1);
    nines_snap_put_count(&w, 1000000);
    nines_snap_read_begin(&r, b->data, b->len);
    assert_int_equal(nines_snap_get_count(&r, SIZE_MAX), 0);
    assert_string_equal(r.why, "byte 13: a count of 1000000, over the bytes left (0)");
    free(b);
}

static void strings_need_their_nul_and_no_other(void **unused) {
    unsigned char inner[] = {'N', 'S', 'N', 'P', 1, 0, 0, 0, 's', 3, 0, 0, 0, 'a', 0, 'b', 0};
    unsigned char none[] = {'N', 'S', 'N', 'P', 1, 0, 0, 0, 's', 2, 0, 0, 0, 'a', 'b', 'c'};
    unsigned char ok[] = {'N', 'S', 'N', 'P', 1, 0, 0, 0, 's', 2, 0, 0, 0, 'a', 'b', 0};
    struct nines_snap_reader r;
    nines_snap_read_begin(&r, inner, sizeof inner);
    assert_null(nines_snap_get_str(&r, NULL));
    assert_int_equal(r.error, -EBADMSG);
    nines_snap_read_begin(&r, none, sizeof none);
    assert_null(nines_snap_get_str(&r, NULL));
    assert_int_equal(r.error, -EBADMSG);
    nines_snap_read_begin(&r, ok, sizeof ok);
    assert_string_equal(nines_snap_get_str(&r, NULL), "ab");
    assert_int_equal(nines_snap_read_end(&r), 0);
}

static void bools_are_zero_or_one(void **unused) {
    unsigned char two[] = {'N', 'S', 'N', 'P', 1, 0, 0, 0, 'B', 2};
    struct nines_snap_reader r;
    nines_snap_read_begin(&r, two, sizeof two);
    assert_false(nines_snap_get_bool(&r));
    assert_int_equal(r.error, -EBADMSG);
    assert_string_equal(r.why, "byte 8: a bool expected, 2 found");
}

static void a_closed_fd_is_refused(void **unused) {
    int p[2];
    assert_int_equal(pipe(p), 0);
    nines_buf *b = new_buf();
    struct nines_snap_writer w;
    nines_snap_write_begin(&w, b, 1);
    nines_snap_put_fd(&w, p[0]);
    close(p[0]);
    close(p[1]);
    struct nines_snap_reader r;
    nines_snap_read_begin(&r, b->data, b->len);
    assert_int_equal(nines_snap_get_fd(&r), -1);
    assert_int_equal(nines_snap_read_end(&r), -EBADF);
    free(b);
}

static void the_writer_keeps_its_first_failure(void **unused) {
    nines_buf *b = new_buf();
    struct nines_snap_writer w;
    nines_snap_write_begin(&w, b, 1);
    nines_snap_put_str(&w, NULL);
    nines_snap_put_fd(&w, -3);
    assert_int_equal(nines_snap_write_end(&w), -EINVAL);
    /* The buffer's failure, and nothing written after it. */
    b->len = 0;
    b->limit = 12;
    nines_snap_write_begin(&w, b, 1);
    nines_snap_put_u32(&w, 1);
    nines_snap_put_u64(&w, 2);
    size_t at = b->len;
    nines_snap_put_u8(&w, 3);
    assert_int_equal(nines_snap_write_end(&w), -ENOMEM);
    assert_int_equal(b->len, at);
    /* Over the format's bounds. */
    b->len = 0;
    b->limit = sizeof b->data;
    nines_snap_write_begin(&w, b, 1);
    nines_snap_put_count(&w, (size_t)UINT32_MAX + 1);
    assert_int_equal(nines_snap_write_end(&w), -EOVERFLOW);
    free(b);
}

static void a_module_refusal_is_kept_first(void **unused) {
    nines_buf *b = new_buf();
    write_sample(b, STDIN_FILENO);
    struct nines_snap_reader r;
    nines_snap_read_begin(&r, b->data, b->len);
    assert_int_equal(nines_snap_fail(&r, -EINVAL, "layout 7 is not known"), -EINVAL);
    assert_int_equal(nines_snap_fail(&r, -ENOMEM, "later"), -EINVAL);
    assert_int_equal(nines_snap_get_u8(&r), 0);
    assert_int_equal(nines_snap_read_end(&r), -EINVAL);
    assert_string_equal(r.why, "byte 8: layout 7 is not known");
    free(b);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_type_round_trips),
        cmocka_unit_test(every_truncation_fails_cleanly),
        cmocka_unit_test(every_changed_byte_reads_or_fails),
        cmocka_unit_test(a_wrong_type_says_which),
        cmocka_unit_test(trailing_bytes_are_refused),
        cmocka_unit_test(not_a_snapshot),
        cmocka_unit_test(counts_are_bounded),
        cmocka_unit_test(strings_need_their_nul_and_no_other),
        cmocka_unit_test(bools_are_zero_or_one),
        cmocka_unit_test(a_closed_fd_is_refused),
        cmocka_unit_test(the_writer_keeps_its_first_failure),
        cmocka_unit_test(a_module_refusal_is_kept_first),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
