/*
 * snap.c — nines/snap.h: the snapshot writer and reader the host provides
 * to modules (nines-worker and nines-modtest both link it).
 *
 * The reader never reads outside [start, start + len): every field is
 * taken through need(), which checks the type byte and the room left, and
 * the first failure sticks. It does not allocate.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "nines/snap.h"

static const unsigned char magic[4] = {'N', 'S', 'N', 'P'};
#define HEADER_LEN 8

/* --- the writer ------------------------------------------------------------ */

static void le(unsigned char *p, uint64_t v, size_t width) {
    for (size_t i = 0; i < width; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

static void emit(struct nines_snap_writer *w, const void *data, size_t len) {
    if (w->error == 0 && len > 0) {
        int r = nines_buf_append(w->out, data, len);
        if (r < 0)
            w->error = r;
    }
}

/* One field: the type byte and `width` bytes of v. */
static void field(struct nines_snap_writer *w, enum nines_snap_type type, uint64_t v, size_t width) {
    unsigned char b[9] = {(unsigned char)type};
    le(b + 1, v, width);
    emit(w, b, 1 + width);
}

void nines_snap_write_begin(struct nines_snap_writer *w, nines_buf *out, uint32_t version) {
    unsigned char h[HEADER_LEN];
    *w = (struct nines_snap_writer){.out = out};
    memcpy(h, magic, sizeof magic);
    le(h + 4, version, 4);
    emit(w, h, sizeof h);
}

void nines_snap_put_u8(struct nines_snap_writer *w, uint8_t v) {
    field(w, NINES_SNAP_U8, v, 1);
}

void nines_snap_put_bool(struct nines_snap_writer *w, bool v) {
    field(w, NINES_SNAP_U8, v ? 1 : 0, 1);
}

void nines_snap_put_u32(struct nines_snap_writer *w, uint32_t v) {
    field(w, NINES_SNAP_U32, v, 4);
}

void nines_snap_put_u64(struct nines_snap_writer *w, uint64_t v) {
    field(w, NINES_SNAP_U64, v, 8);
}

void nines_snap_put_i64(struct nines_snap_writer *w, int64_t v) {
    field(w, NINES_SNAP_I64, (uint64_t)v, 8);
}

static void bytes(struct nines_snap_writer *w, enum nines_snap_type type, const void *data, size_t len,
                  bool nul) {
    if (w->error == 0 && len > UINT32_MAX - 1)
        w->error = -EOVERFLOW;
    field(w, type, len, 4);
    emit(w, data, len);
    if (nul)
        emit(w, "", 1);
}

void nines_snap_put_str(struct nines_snap_writer *w, const char *s) {
    if (!s) {
        if (w->error == 0)
            w->error = -EINVAL;
        return;
    }
    bytes(w, NINES_SNAP_STR, s, strlen(s), true);
}

void nines_snap_put_blob(struct nines_snap_writer *w, const void *data, size_t len) {
    bytes(w, NINES_SNAP_BLOB, data, len, false);
}

void nines_snap_put_count(struct nines_snap_writer *w, size_t n) {
    if (w->error == 0 && n > UINT32_MAX)
        w->error = -EOVERFLOW;
    field(w, NINES_SNAP_COUNT, n, 4);
}

void nines_snap_put_fd(struct nines_snap_writer *w, int fd) {
    if (w->error == 0 && fd < 0)
        w->error = -EINVAL;
    field(w, NINES_SNAP_FD, (uint32_t)fd, 4);
}

int nines_snap_write_end(struct nines_snap_writer *w) {
    return w->error;
}

/* --- the reader ------------------------------------------------------------ */

static const char *type_name(int type) {
    switch (type) {
    case NINES_SNAP_U8:
        return "a u8";
    case NINES_SNAP_U32:
        return "a u32";
    case NINES_SNAP_U64:
        return "a u64";
    case NINES_SNAP_I64:
        return "an i64";
    case NINES_SNAP_STR:
        return "a string";
    case NINES_SNAP_BLOB:
        return "a blob";
    case NINES_SNAP_COUNT:
        return "a count";
    case NINES_SNAP_FD:
        return "an fd";
    default:
        return "an unknown type";
    }
}

static NINES_PRINTF(3, 4) void fail(struct nines_snap_reader *r, int error, const char *fmt, ...) {
    if (r->error)
        return;
    r->error = error;
    int n = snprintf(r->why, sizeof r->why, "byte %zu: ", (size_t)(r->p - r->start));
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->why + n, sizeof r->why - (size_t)n, fmt, ap);
    va_end(ap);
}

static uint64_t get_le(const unsigned char *p, size_t width) {
    uint64_t v = 0;
    for (size_t i = 0; i < width; i++)
        v |= (uint64_t)p[i] << (8 * i);
    return v;
}

/* The value of the next field, of `type` and `width` bytes; false (and the
 * reader failed) when it is not there. */
static bool need(struct nines_snap_reader *r, enum nines_snap_type type, size_t width, uint64_t *v) {
    *v = 0;
    if (r->error)
        return false;
    if (r->left == 0) {
        fail(r, -EBADMSG, "%s expected, the snapshot ends", type_name(type));
        return false;
    }
    if (*r->p != (unsigned char)type) {
        fail(r, -EBADMSG, "%s expected, %s found", type_name(type), type_name(*r->p));
        return false;
    }
    if (r->left < 1 + width) {
        fail(r, -EBADMSG, "%s cut short", type_name(type));
        return false;
    }
    *v = get_le(r->p + 1, width);
    r->p += 1 + width;
    r->left -= 1 + width;
    return true;
}

int nines_snap_read_begin(struct nines_snap_reader *r, const void *data, size_t len) {
    *r = (struct nines_snap_reader){.start = data, .p = data, .left = data ? len : 0};
    if (r->left < HEADER_LEN || memcmp(r->p, magic, sizeof magic) != 0) {
        fail(r, -EBADMSG, "not a snapshot (no NSNP header)");
        r->left = 0; /* nothing more is read */
        return r->error;
    }
    r->version = (uint32_t)get_le(r->p + 4, 4);
    r->p += HEADER_LEN;
    r->left -= HEADER_LEN;
    return 0;
}

uint8_t nines_snap_get_u8(struct nines_snap_reader *r) {
    uint64_t v;
    return need(r, NINES_SNAP_U8, 1, &v) ? (uint8_t)v : 0;
}

bool nines_snap_get_bool(struct nines_snap_reader *r) {
    uint64_t v;
    if (!need(r, NINES_SNAP_U8, 1, &v))
        return false;
    if (v > 1) {
        r->p -= 2; /* say where the field starts */
        fail(r, -EBADMSG, "a bool expected, %u found", (unsigned)v);
        r->p += 2;
    }
    return v == 1;
}

uint32_t nines_snap_get_u32(struct nines_snap_reader *r) {
    uint64_t v;
    return need(r, NINES_SNAP_U32, 4, &v) ? (uint32_t)v : 0;
}

uint64_t nines_snap_get_u64(struct nines_snap_reader *r) {
    uint64_t v;
    return need(r, NINES_SNAP_U64, 8, &v) ? v : 0;
}

int64_t nines_snap_get_i64(struct nines_snap_reader *r) {
    uint64_t v;
    return need(r, NINES_SNAP_I64, 8, &v) ? (int64_t)v : 0;
}

/* A length-prefixed run of bytes (and a NUL after it when `nul`). */
static const unsigned char *run(struct nines_snap_reader *r, enum nines_snap_type type, bool nul,
                                size_t *len) {
    uint64_t n;
    *len = 0;
    if (!need(r, type, 4, &n))
        return NULL;
    if (r->left < n + (nul ? 1 : 0)) {
        fail(r, -EBADMSG, "%s of %llu bytes cut short", type_name(type), (unsigned long long)n);
        return NULL;
    }
    const unsigned char *p = r->p;
    if (nul && (p[n] != '\0' || memchr(p, '\0', n) != NULL)) {
        fail(r, -EBADMSG, "a string without its NUL, or with one inside");
        return NULL;
    }
    r->p += n + (nul ? 1 : 0);
    r->left -= n + (nul ? 1 : 0);
    *len = (size_t)n;
    return p;
}

const char *nines_snap_get_str(struct nines_snap_reader *r, size_t *len) {
    size_t n;
    const char *s = (const char *)run(r, NINES_SNAP_STR, true, &n);
    if (len)
        *len = n;
    return s;
}

const void *nines_snap_get_blob(struct nines_snap_reader *r, size_t *len) {
    const unsigned char *p = run(r, NINES_SNAP_BLOB, false, len);
    return *len ? p : NULL;
}

size_t nines_snap_get_count(struct nines_snap_reader *r, size_t max) {
    uint64_t n;
    if (!need(r, NINES_SNAP_COUNT, 4, &n))
        return 0;
    if (n > max || n > r->left) {
        fail(r, -EBADMSG, "a count of %llu, over %s (%zu)", (unsigned long long)n,
             n > max ? "its bound" : "the bytes left", n > max ? max : r->left);
        return 0;
    }
    return (size_t)n;
}

int nines_snap_get_fd(struct nines_snap_reader *r) {
    uint64_t v;
    if (!need(r, NINES_SNAP_FD, 4, &v))
        return -1;
    int fd = (int)(int32_t)(uint32_t)v;
    if (fd < 0 || fcntl(fd, F_GETFD) < 0) {
        fail(r, -EBADF, "fd %d is not open", fd);
        return -1;
    }
    return fd;
}

int nines_snap_fail(struct nines_snap_reader *r, int error, const char *why) {
    fail(r, error < 0 ? error : -EINVAL, "%s", why ? why : "refused");
    return r->error;
}

int nines_snap_read_end(struct nines_snap_reader *r) {
    if (r->error == 0 && r->left > 0)
        fail(r, -EBADMSG, "%zu bytes after the last field", r->left);
    return r->error;
}
