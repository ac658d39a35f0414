/*
 * ctl_proto.h — the control protocol between a client (ninesctl) and
 * ninesd, over the control socket. doc/control-protocol.md is the
 * reference; this header is its C side, shared by both programs.
 *
 * Transport: a SOCK_STREAM unix socket. Everything is a frame: a fixed
 * 16-byte header (host byte order: both ends run on one machine), then
 * `length` payload bytes. A client sends one REQUEST frame per command;
 * the daemon answers with zero or more DATA frames and exactly one END
 * frame whose `status` says how it went (its payload: a one-line message).
 * `events --follow` streams DATA frames until the client hangs up.
 *
 * Every frame is checked before its payload is looked at: magic, version,
 * type, and a size limit per direction. A malformed or oversized frame is
 * answered with an END of status CTL_ST_BAD_REQUEST and the connection is
 * closed; nothing else in the daemon is disturbed.
 */
#ifndef NINES_CTL_PROTO_H
#define NINES_CTL_PROTO_H

#include <stddef.h>
#include <stdint.h>

#define CTL_MAGIC 0x4c54434eu /* "NCTL" in memory on little-endian machines */
#define CTL_VERSION 1
#define CTL_MAX_REQUEST (64u * 1024u)    /* payload of a REQUEST frame */
#define CTL_MAX_RESPONSE (1024u * 1024u) /* payload of a DATA or END frame */
#define CTL_MAX_ARGS 256                 /* strings in one request */

enum ctl_type {
    CTL_REQUEST = 1, /* payload: the command and its arguments, each NUL-terminated */
    CTL_DATA = 2,    /* payload: logfmt records (one per line), or raw bytes (call) */
    CTL_END = 3,     /* status in the header; payload: a message, may be empty */
};

/* END statuses. ninesctl maps them to its exit codes (ninesctl --help). */
enum ctl_status {
    CTL_ST_OK = 0,
    CTL_ST_BAD_REQUEST = 1,  /* malformed frame, unknown command, wrong arguments */
    CTL_ST_DENIED = 2,       /* the peer's uid/gid may not do this */
    CTL_ST_NOT_FOUND = 3,    /* no such child or supervisor */
    CTL_ST_REFUSED = 4,      /* a supervisor rule says no (running, restarting, ...) */
    CTL_ST_FAILED = 5,       /* tried and failed (a start, a call to a crashed child) */
    CTL_ST_TIMEOUT = 6,      /* a call got no reply in time */
    CTL_ST_TOO_BIG = 7,      /* a request, message or reply over its limit */
    CTL_ST_SHUTTING_DOWN = 8,/* the tree is stopping */
    CTL_ST_INTERNAL = 9,     /* the daemon could not do it (out of memory, ...) */
};

struct ctl_header {
    uint32_t magic;
    uint16_t version;
    uint16_t type;
    uint32_t status; /* END only; 0 otherwise */
    uint32_t length; /* payload bytes that follow */
};

struct ctl_frame {
    enum ctl_type type;
    enum ctl_status status;
    const uint8_t *payload; /* inside the decoder's buffer, until its next call */
    size_t length;
};

/* "ok", "bad_request", "denied", ... (stable: used in --json); "unknown"
 * for a status this version does not know (it comes off the wire). */
const char *ctl_status_name(enum ctl_status s);

/* --- frames --------------------------------------------------------------- */

/* Write a 16-byte header for a frame into `out`. `status` is kept for END
 * only (the protocol wants 0 elsewhere); `length` must fit the limit of
 * its type, which the caller checks (ctl_send does). */
void ctl_header_make(struct ctl_header *out, enum ctl_type type, enum ctl_status status, size_t length);

/* Check a received header against the limit for payloads in this direction
 * (CTL_MAX_REQUEST at the daemon, CTL_MAX_RESPONSE at the client). 0, or
 * -EBADMSG (magic, type), -EPROTONOSUPPORT (version), -EMSGSIZE (length).
 * Pure. */
int ctl_header_check(const struct ctl_header *h, size_t max_payload);

/*
 * A decoder turns a byte stream into frames, whatever the reads' sizes.
 * Feed it what read() returned; take frames until it says it needs more.
 * An oversized frame is refused from its header, before its payload is
 * buffered. Bytes of frames taken are dropped at the next feed, so a
 * caller that takes every frame before feeding again holds at most one
 * partial frame plus what it feeds; ctl_recv reads no more than fits in
 * one header + `max_payload` bytes, its whole bound.
 */
struct ctl_decoder {
    uint8_t *buf;
    size_t len, cap, consumed;
    size_t max_payload;
    int error; /* sticky: once a frame is bad, the stream is not trusted */
};

void ctl_decoder_init(struct ctl_decoder *d, size_t max_payload);
void ctl_decoder_free(struct ctl_decoder *d);
/* Append bytes. 0, -ENOMEM, or the sticky error. -ENOMEM is sticky too:
 * the bytes are lost, so the stream cannot be trusted any more. */
int ctl_decoder_feed(struct ctl_decoder *d, const void *data, size_t len);
/* 1 with *f set (valid until the next feed/next/free), 0 if a whole frame
 * is not there yet, or a negative errno from ctl_header_check (sticky), or
 * the sticky -ENOMEM of a failed feed. */
int ctl_decoder_next(struct ctl_decoder *d, struct ctl_frame *f);

/* Blocking I/O helpers for clients and tests (the daemon uses its loop).
 * ctl_send writes a whole frame (retrying partial writes and EINTR, no
 * SIGPIPE: send() with MSG_NOSIGNAL, or write() if fd is not a socket);
 * 0, -EMSGSIZE over the limit of the type (CTL_MAX_REQUEST for a REQUEST,
 * CTL_MAX_RESPONSE otherwise), or the write's -errno (-EPIPE: the peer is
 * gone). ctl_recv reads until the decoder yields a frame: 1 with *f set,
 * -ECONNRESET at EOF, a read's -errno, or the decoder's error as is. */
int ctl_send(int fd, enum ctl_type type, enum ctl_status status, const void *payload, size_t length);
int ctl_recv(int fd, struct ctl_decoder *d, struct ctl_frame *f);

/* --- request payloads: argv ----------------------------------------------- */

/* Encode argv as NUL-terminated strings into buf. Bytes written, or
 * -EMSGSIZE if it does not fit (or is over CTL_MAX_REQUEST), -EINVAL for
 * argc < 1 or > CTL_MAX_ARGS or a NULL string. The text is not checked
 * here: the daemon's ctl_argv_decode does, and says what it refused. */
int ctl_argv_encode(uint8_t *buf, size_t size, int argc, const char *const *argv);

/* Split a REQUEST payload into argv (pointers into `payload`, which must
 * stay alive; argv[argc] is not set). argc, or -EBADMSG: empty, not
 * NUL-terminated, more than `max` strings, an empty command, or bytes
 * other than printable UTF-8, tab and newline (a request is text).
 * Well-formed UTF-8 as RFC 3629 says: no overlong forms, no surrogates,
 * nothing past U+10FFFF; printable refuses the C0 controls (but tab and
 * newline), DEL and the C1 controls U+0080..U+009F. Pure. */
int ctl_argv_decode(const uint8_t *payload, size_t len, const char **argv, int max);

/* --- DATA payloads: logfmt records ------------------------------------------ */

struct ctl_field {
    const char *key;   /* NUL-terminated, in the caller's scratch buffer */
    const char *value; /* unquoted, NUL-terminated, in the caller's scratch buffer */
};

/* Parse one logfmt line (no newline) into fields: key=value, key="quoted
 * \"value\"", separated by spaces. Keys are [A-Za-z0-9_.-]+. Values are
 * copied, unquoted, into `scratch` (at least len + 1 bytes; it may be the
 * line itself, writable, which is then parsed in place). The number of
 * fields, or -EBADMSG, or -E2BIG for more than `max`. Pure.
 *
 * It reads what nines_logfmt_format (lib/log.c) writes, back to the same
 * strings: in quotes the escapes \" \\ \n and \xHH (not \x00: values are C
 * strings), control bytes only as escapes, never raw. An unquoted value
 * holds no space, '=', '"', '\\' or control byte (the writer would have
 * quoted it); `key=` is an empty value. Keys are copied into `scratch`
 * too, so both are NUL-terminated. Extra spaces are ignored; an empty
 * line has 0 fields. */
int ctl_record_parse(const char *line, size_t len, struct ctl_field *fields, int max, char *scratch);

/* The value of `key` among fields (the first, if it repeats), or NULL. */
const char *ctl_record_get(const struct ctl_field *fields, int n, const char *key);

#endif /* NINES_CTL_PROTO_H */
