/*
 * ctl_proto.c — the control protocol's frames, request arguments and
 * logfmt records (see ctl_proto.h and doc/control-protocol.md).
 *
 * Everything here but the decoder's buffer and the two blocking I/O
 * helpers is pure: the daemon runs these functions on bytes a client
 * chose, so each one checks lengths before it reads and never trusts a
 * count it has not compared with the buffer that holds it.
 */
#include "ctl_proto.h"
#include "utf8.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#define HDR sizeof(struct ctl_header)

/* The decoder's first allocation: enough for a request or a few records,
 * so short exchanges never reallocate. */
#define DECODER_MIN_CAP 4096u
/* ctl_recv asks read() for what the frame being assembled lacks, but at
 * least this much (small frames that arrive together come in one read),
 * and never more than one whole frame holds. */
#define RECV_CHUNK 65536u

_Static_assert(sizeof(struct ctl_header) == 16, "the header is 16 bytes on the wire");

const char *ctl_status_name(enum ctl_status s) {
    /* Stable names: --json output and scripts depend on them. */
    static const char *const names[] = {
        [CTL_ST_OK] = "ok",
        [CTL_ST_BAD_REQUEST] = "bad_request",
        [CTL_ST_DENIED] = "denied",
        [CTL_ST_NOT_FOUND] = "not_found",
        [CTL_ST_REFUSED] = "refused",
        [CTL_ST_FAILED] = "failed",
        [CTL_ST_TIMEOUT] = "timeout",
        [CTL_ST_TOO_BIG] = "too_big",
        [CTL_ST_SHUTTING_DOWN] = "shutting_down",
        [CTL_ST_INTERNAL] = "internal",
    };
    /* A status comes off the wire unchecked (a newer daemon may add some),
     * so an unknown one gets a name rather than a NULL to crash a printf. */
    if ((unsigned)s >= sizeof names / sizeof names[0])
        return "unknown";
    return names[s];
}

/* --- frames --------------------------------------------------------------- */

void ctl_header_make(struct ctl_header *out, enum ctl_type type, enum ctl_status status, size_t length) {
    *out = (struct ctl_header){
        .magic = CTL_MAGIC,
        .version = CTL_VERSION,
        .type = (uint16_t)type,
        /* The protocol says status is 0 outside END; keep senders to it. */
        .status = type == CTL_END ? (uint32_t)status : 0,
        .length = (uint32_t)length, /* callers check the limit (ctl_send does) */
    };
}

int ctl_header_check(const struct ctl_header *h, size_t max_payload) {
    /* Magic first, then version: a stranger speaking another protocol is
     * told "bad message", a newer ninesctl "unsupported version". */
    if (h->magic != CTL_MAGIC)
        return -EBADMSG;
    if (h->version != CTL_VERSION)
        return -EPROTONOSUPPORT;
    if (h->type != CTL_REQUEST && h->type != CTL_DATA && h->type != CTL_END)
        return -EBADMSG;
    if (h->length > max_payload)
        return -EMSGSIZE;
    return 0;
}

void ctl_decoder_init(struct ctl_decoder *d, size_t max_payload) {
    *d = (struct ctl_decoder){.max_payload = max_payload};
}

void ctl_decoder_free(struct ctl_decoder *d) {
    free(d->buf);
    d->buf = NULL;
    d->len = d->cap = d->consumed = 0;
}

/* One header and the largest payload: all the decoder ever needs at once. */
static size_t decoder_frame_max(const struct ctl_decoder *d) {
    return d->max_payload > SIZE_MAX - HDR ? SIZE_MAX : HDR + d->max_payload;
}

/* Drop the bytes of frames already taken, so the buffer holds only what is
 * still to come: one partial frame when the caller drains between feeds. */
static void decoder_compact(struct ctl_decoder *d) {
    if (d->consumed == 0)
        return;
    d->len -= d->consumed;
    if (d->len > 0)
        memmove(d->buf, d->buf + d->consumed, d->len);
    d->consumed = 0;
}

/* Make room for `extra` more bytes after compacting. Grows by doubling
 * (few reallocations while a big frame trickles in), but never past one
 * whole frame of the maximum size or what is needed, whichever is more.
 * 0 or -ENOMEM (sticky: the caller's bytes are lost, the stream is
 * broken). */
static int decoder_reserve(struct ctl_decoder *d, size_t extra) {
    decoder_compact(d);
    if (extra > SIZE_MAX - d->len)
        return d->error = -ENOMEM;
    size_t need = d->len + extra;
    if (need <= d->cap)
        return 0;
    size_t frame_max = decoder_frame_max(d);
    size_t cap = d->cap < DECODER_MIN_CAP ? DECODER_MIN_CAP : d->cap;
    while (cap < need && cap <= SIZE_MAX / 2)
        cap *= 2;
    size_t ceiling = need > frame_max ? need : frame_max;
    if (cap > ceiling || cap < need)
        cap = ceiling;
    uint8_t *buf = realloc(d->buf, cap);
    if (!buf)
        return d->error = -ENOMEM;
    d->buf = buf;
    d->cap = cap;
    return 0;
}

int ctl_decoder_feed(struct ctl_decoder *d, const void *data, size_t len) {
    if (d->error)
        return d->error;
    if (len == 0)
        return 0;
    int r = decoder_reserve(d, len);
    if (r < 0)
        return r;
    memcpy(d->buf + d->len, data, len);
    d->len += len;
    return 0;
}

/* Bytes the frame at the read position still lacks (0: it is whole), or a
 * header error. The header is checked as soon as its 16 bytes are in, so
 * an oversized frame is refused before any of its payload is buffered. */
static int decoder_missing(struct ctl_decoder *d, size_t *missing, struct ctl_header *h) {
    size_t avail = d->len - d->consumed;
    if (avail < HDR) {
        *missing = HDR - avail;
        return 0;
    }
    memcpy(h, d->buf + d->consumed, HDR); /* the buffer may be unaligned here */
    int r = ctl_header_check(h, d->max_payload);
    if (r < 0)
        return d->error = r;
    size_t total = HDR + h->length;
    *missing = avail >= total ? 0 : total - avail;
    return 0;
}

/* The next frame (1), or how many bytes it still lacks (0), or the error. */
static int decoder_take(struct ctl_decoder *d, struct ctl_frame *f, size_t *missing) {
    if (d->error)
        return d->error;
    struct ctl_header h;
    int r = decoder_missing(d, missing, &h);
    if (r < 0)
        return r;
    if (*missing > 0)
        return 0;
    *f = (struct ctl_frame){
        .type = (enum ctl_type)h.type,
        .status = (enum ctl_status)h.status,
        .payload = d->buf + d->consumed + HDR,
        .length = h.length,
    };
    d->consumed += HDR + h.length;
    return 1;
}

int ctl_decoder_next(struct ctl_decoder *d, struct ctl_frame *f) {
    size_t missing;
    return decoder_take(d, f, &missing);
}

/* Write all of iov, resuming after partial writes and signals. Sockets get
 * MSG_NOSIGNAL (a client that went away is an error, not SIGPIPE); other
 * descriptors (a pipe in a test, a file) get writev(). */
static int write_all(int fd, struct iovec *iov, int iovcnt) {
    bool sock = true;
    while (iovcnt > 0) {
        ssize_t n;
        if (sock) {
            struct msghdr m = {.msg_iov = iov, .msg_iovlen = (size_t)iovcnt};
            n = sendmsg(fd, &m, MSG_NOSIGNAL);
            if (n < 0 && errno == ENOTSOCK) {
                sock = false;
                continue;
            }
        } else {
            n = writev(fd, iov, iovcnt);
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -errno;
        if (n == 0)
            return -EIO; /* no progress and no error: do not spin */
        /* Skip what went out: whole entries, then part of the next one. */
        size_t done = (size_t)n;
        for (; iovcnt > 0 && done >= iov->iov_len; iov++, iovcnt--)
            done -= iov->iov_len;
        if (iovcnt > 0) {
            iov->iov_base = (uint8_t *)iov->iov_base + done;
            iov->iov_len -= done;
        }
    }
    return 0;
}

int ctl_send(int fd, enum ctl_type type, enum ctl_status status, const void *payload, size_t length) {
    /* The peer would refuse an oversized frame and close the connection;
     * say so here, where the caller can still act on it. */
    if (length > (type == CTL_REQUEST ? CTL_MAX_REQUEST : CTL_MAX_RESPONSE))
        return -EMSGSIZE;
    struct ctl_header h;
    ctl_header_make(&h, type, status, length);
    struct iovec iov[2] = {
        {.iov_base = &h, .iov_len = sizeof h},
        {.iov_base = (void *)payload, .iov_len = length},
    };
    return write_all(fd, iov, length > 0 ? 2 : 1);
}

int ctl_recv(int fd, struct ctl_decoder *d, struct ctl_frame *f) {
    for (;;) {
        size_t missing;
        int r = decoder_take(d, f, &missing);
        if (r != 0)
            return r;
        /* Read straight into the decoder, no more than the frame lacks
         * rounded up to a chunk, and never past one whole frame: the buffer
         * stays within one header + max_payload. */
        size_t want = missing > RECV_CHUNK ? missing : RECV_CHUNK;
        size_t frame_max = decoder_frame_max(d);
        size_t pending = d->len - d->consumed;
        if (want > frame_max - pending)
            want = frame_max - pending; /* > 0: a whole frame is not there */
        if ((r = decoder_reserve(d, want)) < 0)
            return r;
        ssize_t n = read(fd, d->buf + d->len, want);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -errno;
        if (n == 0)
            return -ECONNRESET;
        d->len += (size_t)n;
    }
}

/* --- request payloads: argv ----------------------------------------------- */

int ctl_argv_encode(uint8_t *buf, size_t size, int argc, const char *const *argv) {
    if (argc < 1 || argc > CTL_MAX_ARGS)
        return -EINVAL;
    size_t limit = size < CTL_MAX_REQUEST ? size : CTL_MAX_REQUEST;
    size_t off = 0;
    for (int i = 0; i < argc; i++) {
        if (!argv[i])
            return -EINVAL;
        size_t n = strlen(argv[i]) + 1; /* with its NUL */
        if (n > limit - off)
            return -EMSGSIZE;
        memcpy(buf + off, argv[i], n);
        off += n;
    }
    return (int)off;
}

/* Length of the well-formed, printable UTF-8 character at p (at most
 * `avail` bytes), or 0. "Printable" refuses the C0 controls but tab and
 * newline, DEL, and the C1 controls U+0080..U+009F (which a terminal may
 * act on). */
static size_t utf8_printable_len(const uint8_t *p, size_t avail) {
    uint32_t cp;
    size_t n = nines_utf8_decode(p, avail, &cp);
    if (n == 0)
        return 0;
    if (cp < 0x80)
        return (cp >= 0x20 && cp < 0x7f) || cp == '\t' || cp == '\n' ? 1 : 0;
    return cp >= 0xa0 ? n : 0;
}

int ctl_argv_decode(const uint8_t *payload, size_t len, const char **argv, int max) {
    if (len == 0 || payload[len - 1] != '\0' || payload[0] == '\0')
        return -EBADMSG;
    int argc = 0;
    size_t start = 0;
    for (size_t i = 0; i < len;) {
        if (payload[i] == '\0') {
            if (argc >= max)
                return -EBADMSG;
            argv[argc++] = (const char *)payload + start;
            start = ++i;
            continue;
        }
        size_t n = utf8_printable_len(payload + i, len - i);
        if (n == 0)
            return -EBADMSG;
        i += n;
    }
    return argc;
}

/* --- DATA payloads: logfmt records ------------------------------------------ */

/* What each byte may be: in a key, in an unquoted value (what the writer,
 * nines_logfmt_format, would not have quoted: no space, '=', '"', '\\' or
 * control byte). One lookup a byte: a status of 10,000 nodes is 2 MB. */
enum { BYTE_KEY = 1, BYTE_PLAIN = 2 };
#define KP (BYTE_KEY | BYTE_PLAIN)
static const uint8_t byte_class[256] = {
    ['!'] = BYTE_PLAIN, ['#' ... ','] = BYTE_PLAIN, ['-' ... '.'] = KP, ['/'] = BYTE_PLAIN,
    ['0' ... '9'] = KP, [':' ... '<'] = BYTE_PLAIN, ['>' ... '@'] = BYTE_PLAIN, ['A' ... 'Z'] = KP,
    ['['] = BYTE_PLAIN, [']' ... '^'] = BYTE_PLAIN, ['_'] = KP, ['`'] = BYTE_PLAIN, ['a' ... 'z'] = KP,
    ['{' ... '~'] = BYTE_PLAIN, [0x80 ... 0xff] = BYTE_PLAIN,
};
#undef KP

static int hex_digit(char c) {
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* One escape after a backslash at line[*i - 1]: \" \\ \n and \xHH, the
 * ones the writer produces. \x00 is refused: values are C strings. */
static int parse_escape(const char *line, size_t len, size_t *i, char *out) {
    if (*i >= len)
        return -EBADMSG;
    char c = line[(*i)++];
    if (c == '"' || c == '\\') {
        *out = c;
        return 0;
    }
    if (c == 'n') {
        *out = '\n';
        return 0;
    }
    if (c != 'x' || len - *i < 2)
        return -EBADMSG;
    int h = hex_digit(line[*i]), l = hex_digit(line[*i + 1]);
    if (h < 0 || l < 0 || (h == 0 && l == 0))
        return -EBADMSG;
    *i += 2;
    *out = (char)(h << 4 | l);
    return 0;
}

/* A quoted value from its opening quote at line[*i] to past its closing
 * one, unescaped into scratch at *out. */
static int parse_quoted(const char *line, size_t len, size_t *i, char *scratch, size_t *out) {
    for (size_t j = *i + 1; j < len;) {
        char c = line[j++];
        if (c == '"') {
            *i = j;
            return 0;
        }
        if ((unsigned char)c < 0x20 || c == 0x7f)
            return -EBADMSG; /* the writer escapes control bytes */
        if (c == '\\') {
            int r = parse_escape(line, len, &j, &c);
            if (r < 0)
                return r;
        }
        scratch[(*out)++] = c;
    }
    return -EBADMSG; /* no closing quote */
}

/* A run of bytes of class `cls` from line[*i], copied to scratch at *out
 * (memmove: scratch may be the line itself). */
static void take_run(const char *line, size_t len, size_t *i, uint8_t cls, char *scratch, size_t *out) {
    size_t start = *i;
    const uint8_t *p = (const uint8_t *)line;
    /* Four bytes a test while all four are of the class: a status of
     * 10,000 nodes is 2 MB of keys and values. */
    while (len - *i >= 4 && (byte_class[p[*i]] & byte_class[p[*i + 1]] & byte_class[p[*i + 2]] &
                             byte_class[p[*i + 3]] & cls))
        *i += 4;
    while (*i < len && byte_class[p[*i]] & cls)
        (*i)++;
    if (scratch + *out != line + start) /* parsed in place, nothing has shifted before a quoted value */
        memmove(scratch + *out, line + start, *i - start);
    *out += *i - start;
}

/* The value at line[*i], unquoted into scratch at *out and NUL-terminated.
 * It must end at the end of the line or at a space, which is stepped
 * over before the NUL is written (in place, the NUL may land on it). */
static int parse_value(const char *line, size_t len, size_t *i, char *scratch, size_t *out) {
    if (*i < len && line[*i] == '"') {
        int r = parse_quoted(line, len, i, scratch, out);
        if (r < 0)
            return r;
    } else {
        take_run(line, len, i, BYTE_PLAIN, scratch, out);
    }
    if (*i < len && line[*i] != ' ')
        return -EBADMSG; /* a byte the writer would have quoted, or text after the quotes */
    if (*i < len)
        (*i)++;
    scratch[(*out)++] = '\0';
    return 0;
}

/*
 * Keys and values are both copied into scratch, since the line is not
 * NUL-terminated. It fits in len + 1 bytes: a field's key, '=' and value
 * take at least as many bytes of the line as the key, value and two NULs
 * take in scratch, less the space that separates it from the next one.
 * The copy never gets ahead of the reading, so scratch may be the line.
 */
int ctl_record_parse(const char *line, size_t len, struct ctl_field *fields, int max, char *scratch) {
    int n = 0;
    size_t i = 0, out = 0;
    for (;;) {
        while (i < len && line[i] == ' ')
            i++; /* spaces between fields, leading and trailing ones */
        if (i >= len)
            return n;
        size_t key = out;
        take_run(line, len, &i, BYTE_KEY, scratch, &out);
        if (out == key || i >= len || line[i] != '=')
            return -EBADMSG; /* an empty key, a bad key byte, no '=' */
        i++;
        scratch[out++] = '\0';
        size_t value = out;
        int r = parse_value(line, len, &i, scratch, &out);
        if (r < 0)
            return r;
        if (n >= max)
            return -E2BIG;
        fields[n++] = (struct ctl_field){.key = scratch + key, .value = scratch + value};
    }
}

/* The first byte first: a status record has some 30 keys and a render
 * asks it for a dozen, 10,000 records at a time. */
const char *ctl_record_get(const struct ctl_field *fields, int n, const char *key) {
    for (int i = 0; i < n; i++)
        if (fields[i].key[0] == key[0] && strcmp(fields[i].key, key) == 0)
            return fields[i].value;
    return NULL;
}
