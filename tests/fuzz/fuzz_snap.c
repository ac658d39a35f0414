/*
 * fuzz_snap.c — libFuzzer target for the snapshot reader (nines/snap.h):
 * any bytes as a snapshot, read field by field with the getter of the type
 * each field says it is, as a module that trusted the types would.
 *
 * Beyond "no crash, no over-read, no sanitizer report", it checks what the
 * reader promises: it never moves outside the snapshot; a failure always
 * says why and sticks (a getter after it returns 0 and moves nothing); a
 * count is within the bytes left; and a snapshot that reads to its end
 * without a failure is exactly what the writer makes of the values read,
 * byte for byte (so nothing is skipped or misread).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nines/snap.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The host's buffer, as a plain growing array. */
struct nines_buf {
    unsigned char *data;
    size_t len, cap;
};

int nines_buf_append(nines_buf *buf, const void *data, size_t len) {
    if (buf->len + len > buf->cap) {
        size_t cap = (buf->len + len) * 2;
        unsigned char *p = realloc(buf->data, cap);
        if (!p)
            return -ENOMEM;
        buf->data = p;
        buf->cap = cap;
    }
    memcpy(buf->data + buf->len, data, len);
    buf->len += len;
    return 0;
}

static void require(bool ok, const char *what) {
    if (!ok) {
        fprintf(stderr, "invariant broken: %s\n", what);
        abort();
    }
}

/* Read one field with its getter and write it again. */
static void copy_field(struct nines_snap_reader *r, struct nines_snap_writer *w) {
    size_t n;
    const void *p;
    switch (*r->p) {
    case NINES_SNAP_U8: nines_snap_put_u8(w, nines_snap_get_u8(r)); break;
    case NINES_SNAP_U32: nines_snap_put_u32(w, nines_snap_get_u32(r)); break;
    case NINES_SNAP_U64: nines_snap_put_u64(w, nines_snap_get_u64(r)); break;
    case NINES_SNAP_I64: nines_snap_put_i64(w, nines_snap_get_i64(r)); break;
    case NINES_SNAP_STR:
        p = nines_snap_get_str(r, &n);
        require(!p || strlen(p) == n, "a string is as long as it says");
        if (p)
            nines_snap_put_str(w, p);
        break;
    case NINES_SNAP_BLOB:
        p = nines_snap_get_blob(r, &n);
        nines_snap_put_blob(w, p, n);
        break;
    case NINES_SNAP_COUNT:
        n = nines_snap_get_count(r, SIZE_MAX);
        require(r->error || n <= r->left, "a count within the bytes left");
        nines_snap_put_count(w, n);
        break;
    case NINES_SNAP_FD: nines_snap_put_fd(w, nines_snap_get_fd(r)); break;
    default: nines_snap_fail(r, -EBADMSG, "an unknown type"); break;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    unsigned char *copy = malloc(size ? size : 1); /* exactly sized: an over-read is caught */
    memcpy(copy, data, size);
    struct nines_buf out = {0};
    struct nines_snap_reader r;
    struct nines_snap_writer w;
    nines_snap_read_begin(&r, copy, size);
    nines_snap_write_begin(&w, &out, r.version);
    while (r.error == 0 && r.left > 0) {
        copy_field(&r, &w);
        require(r.p >= r.start && r.p + r.left == r.start + size, "the reader stays inside");
    }
    int rc = nines_snap_read_end(&r);
    if (rc < 0) {
        require(r.why[0] != '\0', "a failure says why");
        const unsigned char *at = r.p;
        require(nines_snap_get_u64(&r) == 0 && nines_snap_get_str(&r, NULL) == NULL && r.p == at,
                "a failure sticks");
        require(nines_snap_read_end(&r) == rc, "the first failure is kept");
    } else {
        require(nines_snap_write_end(&w) == 0, "what was read can be written");
        require(out.len == size && memcmp(out.data, copy, size) == 0, "a read snapshot is the writer's bytes");
    }
    free(out.data);
    free(copy);
    return 0;
}
