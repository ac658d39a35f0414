/*
 * nines/snap.h — writing and reading the snapshot of a live upgrade.
 *
 * export_state() writes the state with a nines_snap_writer; code_change()
 * reads it back with a nines_snap_reader. Both are a few calls per field:
 *
 *     int my_export(nines_ctx *ctx, void *state, nines_buf *out) {
 *         struct my *s = state;
 *         struct nines_snap_writer w;
 *         nines_snap_write_begin(&w, out, 2);          // layout 2
 *         nines_snap_put_i64(&w, s->value);
 *         nines_snap_put_count(&w, s->n_items);
 *         for (size_t i = 0; i < s->n_items; i++)
 *             nines_snap_put_str(&w, s->items[i]);
 *         return nines_snap_write_end(&w);
 *     }
 *
 *     int my_code_change(nines_ctx *ctx, const char *from, const void *snap,
 *                        size_t len, const char *extra, void **state) {
 *         struct nines_snap_reader r;
 *         nines_snap_read_begin(&r, snap, len);
 *         if (r.version > 2) nines_snap_fail(&r, -EINVAL, "a layout from the future");
 *         long long value = nines_snap_get_i64(&r);
 *         size_t n = nines_snap_get_count(&r, 1000);
 *         ... for each: nines_snap_get_str(&r, NULL) ...
 *         if (nines_snap_read_end(&r) < 0) {
 *             nines_log(ctx, NINES_LOG_ERR, "refusing the snapshot: %s", r.why);
 *             ... free what was built ...
 *             return r.error;
 *         }
 *     }
 *
 * The format: "NSNP", the layout version the writer chose (u32), then the
 * fields in order, each a one-byte type and its value, integers
 * little-endian; strings and blobs are a u32 length and the bytes (a
 * string also a NUL after them). The type bytes let the reader tell a
 * field of the wrong kind from a value: a layout read with the wrong code
 * fails at the first field that differs instead of yielding nonsense.
 *
 * Errors are sticky, as stdio's: the first failure is kept in `error`
 * (and, for the reader, `why`: the byte offset and what was wrong), every
 * later call does nothing and a getter returns 0 (NULL for a string or
 * blob). So a reader reads every field, then checks once: with
 * nines_snap_read_end(), which also refuses bytes left after the last
 * field. Malformed input never makes the reader read outside the
 * snapshot, allocate or crash; a count is bounded by the caller's maximum
 * and by the bytes that are left, so it can size an allocation.
 *
 * The functions are provided by the host, like the rest of the runtime
 * (nines-worker and nines-modtest); a module links nothing for them. The
 * structures are the caller's, usually on the stack; their fields are
 * read-only to the caller.
 */
#ifndef NINES_SNAP_H
#define NINES_SNAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "nines/module.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The type bytes of the format. */
enum nines_snap_type {
    NINES_SNAP_U8 = 'B',
    NINES_SNAP_U32 = 'I',
    NINES_SNAP_U64 = 'L',
    NINES_SNAP_I64 = 'S',
    NINES_SNAP_STR = 's',
    NINES_SNAP_BLOB = 'b',
    NINES_SNAP_COUNT = 'n',
    NINES_SNAP_FD = 'f',
};

struct nines_snap_writer {
    nines_buf *out;
    int error; /* 0, or the first failure: -EOVERFLOW (a string or blob over
                * 4 GiB - 1, a count over UINT32_MAX), -EINVAL (a string
                * with a NUL in it, a negative fd), or nines_buf_append()'s */
};

struct nines_snap_reader {
    const unsigned char *start, *p; /* the snapshot and the next byte */
    size_t left;                    /* bytes after p */
    uint32_t version;               /* the writer's layout version */
    int error;                      /* 0, or the first failure (below) */
    char why[112];                  /* "" or what failed, e.g. "byte 13: a u64 expected, a string found" */
};

/* Start a snapshot of layout `version` into `out` (export_state's buffer). */
NINES_API void nines_snap_write_begin(struct nines_snap_writer *w, nines_buf *out, uint32_t version);
NINES_API void nines_snap_put_u8(struct nines_snap_writer *w, uint8_t v);
NINES_API void nines_snap_put_bool(struct nines_snap_writer *w, bool v); /* a u8, 0 or 1 */
NINES_API void nines_snap_put_u32(struct nines_snap_writer *w, uint32_t v);
NINES_API void nines_snap_put_u64(struct nines_snap_writer *w, uint64_t v);
NINES_API void nines_snap_put_i64(struct nines_snap_writer *w, int64_t v);
/* A NUL-terminated string (NULL is refused with -EINVAL). */
NINES_API void nines_snap_put_str(struct nines_snap_writer *w, const char *s);
/* `len` bytes, any (data may be NULL when len is 0). */
NINES_API void nines_snap_put_blob(struct nines_snap_writer *w, const void *data, size_t len);
/* The number of elements of a sequence written next, each as the caller
 * chooses. */
NINES_API void nines_snap_put_count(struct nines_snap_writer *w, size_t n);
/* A descriptor that stays open across the upgrade, by number (the host
 * keeps descriptors and their numbers, nines/module.h). */
NINES_API void nines_snap_put_fd(struct nines_snap_writer *w, int fd);
/* 0, or the first failure: export_state's return value. */
NINES_API int nines_snap_write_end(struct nines_snap_writer *w);

/* Start reading `len` bytes at `data`: 0 with r->version set, or
 * -EBADMSG when they do not start with a snapshot header (r->why says
 * why, and every getter then fails). */
NINES_API int nines_snap_read_begin(struct nines_snap_reader *r, const void *data, size_t len);
/* The next field, which must be of the getter's type; 0 on failure. The
 * reader's failures are -EBADMSG (cut short, another type, a bool that is
 * not 0 or 1, a count over its bound), -EBADF (an fd that is not open). */
NINES_API uint8_t nines_snap_get_u8(struct nines_snap_reader *r);
NINES_API bool nines_snap_get_bool(struct nines_snap_reader *r);
NINES_API uint32_t nines_snap_get_u32(struct nines_snap_reader *r);
NINES_API uint64_t nines_snap_get_u64(struct nines_snap_reader *r);
NINES_API int64_t nines_snap_get_i64(struct nines_snap_reader *r);
/* A string, pointing into the snapshot (valid during code_change only):
 * NUL-terminated, with no NUL inside; its length in *len when len is not
 * NULL. NULL on failure. */
NINES_API const char *nines_snap_get_str(struct nines_snap_reader *r, size_t *len);
/* A blob, pointing into the snapshot; its length in *len (not NULL). NULL
 * on failure (and for an empty blob, with *len 0 and no error). */
NINES_API const void *nines_snap_get_blob(struct nines_snap_reader *r, size_t *len);
/* A count written by nines_snap_put_count(): refused above `max`, and
 * above the bytes left (every element takes at least one), so it may
 * size an allocation. 0 on failure. */
NINES_API size_t nines_snap_get_count(struct nines_snap_reader *r, size_t max);
/* A descriptor: refused with -EBADF unless it is open in this process;
 * -1 on failure. */
NINES_API int nines_snap_get_fd(struct nines_snap_reader *r);
/* Fail the read with `error` (negative) and a reason, e.g. a value the
 * module cannot accept; the first failure wins. Always returns `error`
 * (or the earlier failure). */
NINES_API int nines_snap_fail(struct nines_snap_reader *r, int error, const char *why);
/* 0 when every field was read and nothing is left, else the first failure
 * (-EBADMSG "bytes after the last field" if only that). */
NINES_API int nines_snap_read_end(struct nines_snap_reader *r);

#ifdef __cplusplus
}
#endif

#endif /* NINES_SNAP_H */
