/*
 * fuzz_ctl_proto.c — libFuzzer target for the control protocol: the bytes
 * a client or a daemon may send, cut into reads of any size.
 *
 * Input: one control byte, one seed byte, then the bytes of the stream.
 * The control byte picks the decoder's payload limit, and whether the rest
 * is a framed stream or one raw payload handed straight to the parsers
 * (so the fuzzer need not learn the framing to reach them). The seed picks
 * the sizes of the chunks fed to the decoder.
 *
 * Beyond "no crash, no sanitizer report", it checks what must hold:
 * the streaming decoder yields exactly the frames a one-pass parse of the
 * whole stream finds, and the same error where that parse stops; payloads
 * lie inside the buffer; the buffer stays within one frame and one chunk;
 * errors are sticky; argv decoded and encoded again gives the same bytes;
 * a parsed record written by the daemon's logfmt writer parses back the
 * same.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl_proto.h"
#include "log.h"

#define HDR sizeof(struct ctl_header)
#define MAX_FIELDS 16

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void require(bool ok, const char *what) {
    if (!ok) {
        fprintf(stderr, "invariant broken: %s\n", what);
        abort();
    }
}

static bool key_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '.' || c == '-';
}

static void check_argv(const uint8_t *p, size_t len) {
    static const char *argv[CTL_MAX_ARGS];
    static uint8_t again[CTL_MAX_REQUEST];
    int argc = ctl_argv_decode(p, len, argv, CTL_MAX_ARGS);
    if (argc < 0) {
        require(argc == -EBADMSG, "argv: the only error is -EBADMSG");
        return;
    }
    require(argc >= 1 && argc <= CTL_MAX_ARGS, "argv: 1 <= argc <= max");
    require(argv[0][0] != '\0', "argv: the command is not empty");
    const char *end = (const char *)p + len;
    for (int i = 0; i < argc; i++)
        require(argv[i] >= (const char *)p && argv[i] + strlen(argv[i]) < end, "argv: strings inside the payload");
    int n = ctl_argv_encode(again, sizeof again, argc, argv);
    if (len > CTL_MAX_REQUEST) {
        require(n == -EMSGSIZE, "argv: an oversized request does not encode");
        return;
    }
    require(n >= 0 && (size_t)n == len && memcmp(again, p, len) == 0, "argv: encode(decode(p)) == p");
}

/* Write the fields with the daemon's writer and parse them again. */
static void check_rewrite(const struct ctl_field *fields, int n, size_t line_len) {
    struct nines_field out[MAX_FIELDS];
    for (int i = 0; i < n; i++)
        out[i] = (struct nines_field){fields[i].key, fields[i].value};
    size_t size = 4 * line_len + 2 * (size_t)n + 2; /* \xHH per byte, quotes */
    char *line = malloc(size);
    char *scratch = malloc(size);
    require(line && scratch, "out of memory");
    size_t need = nines_logfmt_record(line, size, out, (size_t)n);
    require(need < size && need >= 1 && line[need - 1] == '\n', "record: the writer's line fits");
    struct ctl_field back[MAX_FIELDS];
    int m = ctl_record_parse(line, need - 1, back, MAX_FIELDS, scratch);
    require(m == n, "record: the rewritten line has as many fields");
    for (int i = 0; i < n; i++)
        require(strcmp(back[i].key, fields[i].key) == 0 && strcmp(back[i].value, fields[i].value) == 0,
                "record: parse(write(fields)) == fields");
    free(line);
    free(scratch);
}

static void check_record(const char *line, size_t len) {
    struct ctl_field fields[MAX_FIELDS];
    char *scratch = malloc(len + 1); /* exactly the documented size */
    require(scratch != NULL, "out of memory");
    int n = ctl_record_parse(line, len, fields, MAX_FIELDS, scratch);
    if (n < 0) {
        require(n == -EBADMSG || n == -E2BIG, "record: -EBADMSG or -E2BIG");
    } else {
        require(n <= MAX_FIELDS, "record: n <= max");
        for (int i = 0; i < n; i++) {
            require(fields[i].key >= scratch && fields[i].key < scratch + len + 1, "record: key in scratch");
            require(fields[i].value >= scratch && fields[i].value < scratch + len + 1, "record: value in scratch");
            require(fields[i].key[0] != '\0', "record: keys are not empty");
            for (const char *k = fields[i].key; *k; k++)
                require(key_char(*k), "record: keys are [A-Za-z0-9_.-]+");
            require(ctl_record_get(fields, n, fields[i].key) != NULL, "record: every key is found");
        }
        check_rewrite(fields, n, len);
    }
    free(scratch);
}

/* Parse the payload as argv, and each of its lines as a record. */
static void check_payload(const uint8_t *p, size_t len) {
    check_argv(p, len);
    const char *s = (const char *)p, *end = s + len;
    while (s < end) {
        const char *nl = memchr(s, '\n', (size_t)(end - s));
        size_t n = nl ? (size_t)(nl - s) : (size_t)(end - s);
        check_record(s, n);
        s += n + 1;
    }
}

/* The one-pass reference: the frame at stream[*pos], if whole. 1, 0 (more
 * bytes needed), or the header's error. */
static int reference_next(const uint8_t *s, size_t n, size_t *pos, size_t max, struct ctl_header *h) {
    if (n - *pos < HDR)
        return 0;
    memcpy(h, s + *pos, HDR);
    int r = ctl_header_check(h, max);
    if (r < 0)
        return r;
    if (n - *pos - HDR < h->length)
        return 0;
    *pos += HDR + h->length;
    return 1;
}

static uint32_t next_rand(uint32_t *state) {
    *state ^= *state << 13;
    *state ^= *state >> 17;
    *state ^= *state << 5;
    return *state;
}

/* Frames out of the decoder so far must match the reference's; returns the
 * decoder's last answer (0 or an error). */
static int drain(struct ctl_decoder *d, const uint8_t *s, size_t n, size_t *pos) {
    struct ctl_frame f;
    struct ctl_header h;
    int r;
    while ((r = ctl_decoder_next(d, &f)) == 1) {
        size_t at = *pos;
        require(reference_next(s, n, pos, d->max_payload, &h) == 1, "decoder: a frame the reference finds");
        require(f.type == h.type && f.status == h.status && f.length == h.length, "decoder: same header");
        require(f.payload >= d->buf && f.payload + f.length <= d->buf + d->len, "decoder: payload in buffer");
        require(memcmp(f.payload, s + at + HDR, f.length) == 0, "decoder: same payload");
        check_payload(f.payload, f.length);
    }
    if (r < 0) {
        require(reference_next(s, n, pos, d->max_payload, &h) == r, "decoder: the reference's error");
        require(ctl_decoder_next(d, &f) == r && d->error == r, "decoder: errors are sticky");
    }
    return r;
}

static void check_stream(size_t max, uint32_t seed, const uint8_t *s, size_t n) {
    struct ctl_decoder d;
    size_t pos = 0, fed = 0;
    size_t max_chunk = seed & 1 ? 8 : 4096;
    int r = 0;
    ctl_decoder_init(&d, max);
    while (fed < n && r == 0) {
        size_t chunk = 1 + next_rand(&seed) % max_chunk;
        if (chunk > n - fed)
            chunk = n - fed;
        r = ctl_decoder_feed(&d, s + fed, chunk);
        require(r == 0, "decoder: feeding a healthy decoder works");
        fed += chunk;
        r = drain(&d, s, fed, &pos);
        if (r < 0) {
            require(ctl_decoder_feed(&d, s, 1) == r, "decoder: feed returns the sticky error");
            break;
        }
        /* Drained: what is left is less than one whole frame, and the
         * buffer never grew past one frame and one chunk. */
        require(d.len - d.consumed < HDR + max, "decoder: at most one partial frame is held");
        require(d.cap <= HDR + max + max_chunk || d.cap <= 4096, "decoder: bounded buffer");
    }
    struct ctl_header h;
    if (r == 0)
        require(reference_next(s, n, &pos, max, &h) == 0, "decoder: no whole frame left behind");
    ctl_decoder_free(&d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static const size_t limits[] = {CTL_MAX_REQUEST, CTL_MAX_RESPONSE, 64, 0};
    if (size < 2)
        return 0;
    uint8_t control = data[0];
    uint32_t seed = 0x9e3779b9u ^ data[1];
    if (control & 0x80)
        check_payload(data + 2, size - 2);
    else
        check_stream(limits[control % 4], seed, data + 2, size - 2);
    return 0;
}
