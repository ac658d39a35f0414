/* Unit tests of the control protocol: frames over a real socketpair, the
 * decoder under every split of a stream, each malformed header, request
 * argv limits and text checks, and logfmt records as the daemon writes
 * them. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "ctl_proto.h"
#include "log.h"

#define HDR sizeof(struct ctl_header)

/* --- helpers ---------------------------------------------------------------- */

/* Wire bytes of one frame at out; returns their count. */
static size_t put_frame(uint8_t *out, enum ctl_type type, enum ctl_status st, const void *payload, size_t len) {
    struct ctl_header h;
    ctl_header_make(&h, type, st, len);
    memcpy(out, &h, HDR);
    if (len)
        memcpy(out + HDR, payload, len);
    return HDR + len;
}

/* The stream the split tests cut up: a request, a data frame, an END. */
static size_t three_frames(uint8_t *out) {
    size_t n = put_frame(out, CTL_REQUEST, CTL_ST_OK, "status\0web\0", 11);
    n += put_frame(out + n, CTL_DATA, CTL_ST_OK, "path=/ kind=supervisor\n", 23);
    n += put_frame(out + n, CTL_END, CTL_ST_NOT_FOUND, "", 0);
    return n;
}

/* Drain the decoder, checking each frame against the three of the stream
 * (which may repeat); *seen counts frames across calls. */
static void take_frames(struct ctl_decoder *d, int *seen) {
    struct ctl_frame f;
    int r;
    while ((r = ctl_decoder_next(d, &f)) == 1) {
        switch ((*seen)++ % 3) {
        case 0:
            assert_int_equal(f.type, CTL_REQUEST);
            assert_int_equal(f.length, 11);
            assert_memory_equal(f.payload, "status\0web\0", 11);
            break;
        case 1:
            assert_int_equal(f.type, CTL_DATA);
            assert_int_equal(f.length, 23);
            assert_memory_equal(f.payload, "path=/ kind=supervisor\n", 23);
            break;
        case 2:
            assert_int_equal(f.type, CTL_END);
            assert_int_equal(f.status, CTL_ST_NOT_FOUND);
            assert_int_equal(f.length, 0);
            break;
        }
    }
    assert_int_equal(r, 0);
}

/* A small deterministic generator, so a failing split can be replayed. */
static uint32_t rng_state = 2463534242u;
static uint32_t rng(void) {
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 17;
    rng_state ^= rng_state << 5;
    return rng_state;
}

/* --- names and headers ------------------------------------------------------- */

static void status_names_match_the_doc(void **unused) {
    static const char *const want[] = {"ok",      "bad_request", "denied",  "not_found",     "refused",
                                       "failed",  "timeout",     "too_big", "shutting_down", "internal"};
    for (int i = 0; i < 10; i++)
        assert_string_equal(ctl_status_name((enum ctl_status)i), want[i]);
    assert_string_equal(ctl_status_name((enum ctl_status)10), "unknown");
    assert_string_equal(ctl_status_name((enum ctl_status)0xffffffffu), "unknown");
}

static void header_make_fills_every_field(void **unused) {
    struct ctl_header h;
    ctl_header_make(&h, CTL_END, CTL_ST_TIMEOUT, 12);
    assert_int_equal(h.magic, CTL_MAGIC);
    assert_memory_equal(&h.magic, "NCTL", 4); /* little-endian machines */
    assert_int_equal(h.version, 1);
    assert_int_equal(h.type, CTL_END);
    assert_int_equal(h.status, CTL_ST_TIMEOUT);
    assert_int_equal(h.length, 12);
    ctl_header_make(&h, CTL_DATA, CTL_ST_FAILED, 0);
    assert_int_equal(h.status, 0); /* END only */
    assert_int_equal(ctl_header_check(&h, 0), 0);
}

static void header_check_refuses_each_bad_field(void **unused) {
    struct ctl_header good, h;
    ctl_header_make(&good, CTL_REQUEST, CTL_ST_OK, 100);
    assert_int_equal(ctl_header_check(&good, 100), 0);  /* exactly at the limit */
    assert_int_equal(ctl_header_check(&good, 99), -EMSGSIZE); /* over by one */
    h = good, h.magic ^= 1;
    assert_int_equal(ctl_header_check(&h, 100), -EBADMSG);
    h = good, h.version = 0;
    assert_int_equal(ctl_header_check(&h, 100), -EPROTONOSUPPORT);
    h = good, h.version = 2;
    assert_int_equal(ctl_header_check(&h, 100), -EPROTONOSUPPORT);
    h = good, h.type = 0;
    assert_int_equal(ctl_header_check(&h, 100), -EBADMSG);
    h = good, h.type = 4;
    assert_int_equal(ctl_header_check(&h, 100), -EBADMSG);
    /* Magic is checked before version: a stranger is not "a newer version". */
    h = good, h.magic = 0, h.version = 9;
    assert_int_equal(ctl_header_check(&h, 100), -EBADMSG);
    h = good, h.length = CTL_MAX_REQUEST;
    assert_int_equal(ctl_header_check(&h, CTL_MAX_REQUEST), 0);
    h.length = CTL_MAX_REQUEST + 1;
    assert_int_equal(ctl_header_check(&h, CTL_MAX_REQUEST), -EMSGSIZE);
    h.length = UINT32_MAX;
    assert_int_equal(ctl_header_check(&h, CTL_MAX_RESPONSE), -EMSGSIZE);
}

/* --- the decoder --------------------------------------------------------------- */

static void decoder_takes_every_split_into_two_and_three(void **unused) {
    uint8_t s[256];
    size_t n = three_frames(s);
    for (size_t i = 0; i <= n; i++)
        for (size_t j = i; j <= n; j++) {
            struct ctl_decoder d;
            int seen = 0;
            ctl_decoder_init(&d, 1024);
            assert_int_equal(ctl_decoder_feed(&d, s, i), 0);
            take_frames(&d, &seen);
            assert_int_equal(ctl_decoder_feed(&d, s + i, j - i), 0);
            take_frames(&d, &seen);
            assert_int_equal(ctl_decoder_feed(&d, s + j, n - j), 0);
            take_frames(&d, &seen);
            assert_int_equal(seen, 3);
            assert_int_equal(d.len - d.consumed, 0);
            ctl_decoder_free(&d);
        }
}

static void decoder_takes_one_byte_at_a_time(void **unused) {
    uint8_t s[256];
    size_t n = three_frames(s);
    struct ctl_decoder d;
    int seen = 0;
    ctl_decoder_init(&d, 1024);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(ctl_decoder_feed(&d, s + i, 1), 0);
        take_frames(&d, &seen);
    }
    assert_int_equal(seen, 3);
    ctl_decoder_free(&d);
}

static void decoder_takes_random_chunks_of_a_long_stream(void **unused) {
    enum { ROUNDS = 50 };
    uint8_t *s = malloc(ROUNDS * 256);
    size_t n = 0;
    for (int r = 0; r < ROUNDS; r++)
        n += three_frames(s + n);
    for (int trial = 0; trial < 200; trial++) {
        struct ctl_decoder d;
        int seen = 0;
        ctl_decoder_init(&d, 64);
        for (size_t off = 0; off < n;) {
            size_t chunk = 1 + rng() % (trial % 2 ? 7 : 300);
            if (chunk > n - off)
                chunk = n - off;
            assert_int_equal(ctl_decoder_feed(&d, s + off, chunk), 0);
            off += chunk;
            take_frames(&d, &seen);
            /* Drained between feeds, the buffer holds one partial frame
             * and one feed at most. */
            assert_true(d.len - d.consumed < HDR + 64);
        }
        assert_int_equal(seen, 3 * ROUNDS);
        assert_true(d.cap <= 4096);
        ctl_decoder_free(&d);
    }
    free(s);
}

static void decoder_drops_consumed_bytes(void **unused) {
    uint8_t s[256];
    size_t n = three_frames(s);
    struct ctl_decoder d;
    ctl_decoder_init(&d, 1024);
    for (int i = 0; i < 10000; i++) {
        int seen = 0;
        assert_int_equal(ctl_decoder_feed(&d, s, n), 0);
        take_frames(&d, &seen);
        assert_int_equal(seen, 3);
    }
    assert_true(d.cap <= 4096); /* compacted, not grown by a million bytes */
    ctl_decoder_free(&d);
    ctl_decoder_free(&d); /* twice is harmless */
}

static void decoder_takes_a_frame_exactly_at_the_limit(void **unused) {
    static uint8_t s[HDR + CTL_MAX_REQUEST + 1];
    static uint8_t payload[CTL_MAX_REQUEST + 1];
    memset(payload, 'x', sizeof payload);
    struct ctl_decoder d;
    struct ctl_frame f;
    ctl_decoder_init(&d, CTL_MAX_REQUEST);
    size_t n = put_frame(s, CTL_REQUEST, CTL_ST_OK, payload, CTL_MAX_REQUEST);
    for (size_t i = 0; i < n; i += 1000) {
        assert_int_equal(ctl_decoder_feed(&d, s + i, n - i < 1000 ? n - i : 1000), 0);
        assert_true(d.cap <= HDR + CTL_MAX_REQUEST);
    }
    assert_int_equal(ctl_decoder_next(&d, &f), 1);
    assert_int_equal(f.length, CTL_MAX_REQUEST);
    assert_memory_equal(f.payload, payload, CTL_MAX_REQUEST);
    assert_int_equal(ctl_decoder_next(&d, &f), 0);
    ctl_decoder_free(&d);

    /* One byte more is refused from the header alone. */
    ctl_decoder_init(&d, CTL_MAX_REQUEST);
    put_frame(s, CTL_REQUEST, CTL_ST_OK, payload, CTL_MAX_REQUEST + 1);
    assert_int_equal(ctl_decoder_feed(&d, s, HDR), 0);
    assert_int_equal(ctl_decoder_next(&d, &f), -EMSGSIZE);
    ctl_decoder_free(&d);
}

/* A good frame, then a header spoilt by `spoil`: the good frame comes out,
 * then the error, for good. */
static void check_sticky(void (*spoil)(struct ctl_header *), int want) {
    uint8_t s[128];
    struct ctl_header h;
    struct ctl_decoder d;
    struct ctl_frame f;
    size_t n = put_frame(s, CTL_DATA, CTL_ST_OK, "a=1", 3);
    ctl_header_make(&h, CTL_DATA, CTL_ST_OK, 2);
    spoil(&h);
    memcpy(s + n, &h, HDR);
    memcpy(s + n + HDR, "zz", 2);
    n += HDR + 2;
    ctl_decoder_init(&d, 100);
    assert_int_equal(ctl_decoder_feed(&d, s, n), 0);
    assert_int_equal(ctl_decoder_next(&d, &f), 1);
    assert_memory_equal(f.payload, "a=1", 3);
    assert_int_equal(ctl_decoder_next(&d, &f), want);
    assert_int_equal(ctl_decoder_next(&d, &f), want);
    put_frame(s, CTL_DATA, CTL_ST_OK, "b=2", 3);
    assert_int_equal(ctl_decoder_feed(&d, s, HDR + 3), want);
    assert_int_equal(ctl_decoder_next(&d, &f), want);
    assert_int_equal(d.error, want);
    ctl_decoder_free(&d);
}

static void bad_magic(struct ctl_header *h) { h->magic = 0x4c54434f; }
static void bad_version(struct ctl_header *h) { h->version = 2; }
static void bad_type(struct ctl_header *h) { h->type = 7; }
static void over_limit(struct ctl_header *h) { h->length = 101; }

static void decoder_errors_are_sticky(void **unused) {
    check_sticky(bad_magic, -EBADMSG);
    check_sticky(bad_version, -EPROTONOSUPPORT);
    check_sticky(bad_type, -EBADMSG);
    check_sticky(over_limit, -EMSGSIZE);
}

/* A length that cannot be added to what is held is refused, for good:
 * the caller's bytes are lost. */
static void decoder_refuses_an_impossible_feed(void **unused) {
    struct ctl_decoder d;
    struct ctl_frame f;
    ctl_decoder_init(&d, 16);
    assert_int_equal(ctl_decoder_feed(&d, "N", 1), 0);
    assert_int_equal(ctl_decoder_feed(&d, "C", SIZE_MAX), -ENOMEM);
    assert_int_equal(ctl_decoder_next(&d, &f), -ENOMEM);
    assert_int_equal(ctl_decoder_feed(&d, "C", 1), -ENOMEM);
    ctl_decoder_free(&d);
}

static void decoder_takes_an_empty_feed(void **unused) {
    struct ctl_decoder d;
    struct ctl_frame f;
    ctl_decoder_init(&d, 16);
    assert_int_equal(ctl_decoder_feed(&d, NULL, 0), 0);
    assert_int_equal(ctl_decoder_next(&d, &f), 0);
    assert_null(d.buf);
    ctl_decoder_free(&d);
}

/* --- blocking I/O ------------------------------------------------------------- */

static void send_and_recv_round_trip_over_a_socketpair(void **unused) {
    int sv[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
    uint8_t req[64];
    const char *argv[] = {"status", "web/listener"};
    int len = ctl_argv_encode(req, sizeof req, 2, argv);
    assert_int_equal(len, 20);
    assert_int_equal(ctl_send(sv[0], CTL_REQUEST, CTL_ST_OK, req, (size_t)len), 0);
    assert_int_equal(ctl_send(sv[1], CTL_DATA, CTL_ST_OK, "path=/\n", 7), 0);
    assert_int_equal(ctl_send(sv[1], CTL_END, CTL_ST_REFUSED, "running", 7), 0);
    assert_int_equal(ctl_send(sv[1], CTL_END, CTL_ST_OK, NULL, 0), 0);

    struct ctl_decoder daemon, client;
    struct ctl_frame f;
    const char *args[CTL_MAX_ARGS];
    ctl_decoder_init(&daemon, CTL_MAX_REQUEST);
    ctl_decoder_init(&client, CTL_MAX_RESPONSE);
    assert_int_equal(ctl_recv(sv[1], &daemon, &f), 1);
    assert_int_equal(f.type, CTL_REQUEST);
    assert_int_equal(ctl_argv_decode(f.payload, f.length, args, CTL_MAX_ARGS), 2);
    assert_string_equal(args[0], "status");
    assert_string_equal(args[1], "web/listener");
    assert_int_equal(ctl_recv(sv[0], &client, &f), 1);
    assert_int_equal(f.type, CTL_DATA);
    assert_memory_equal(f.payload, "path=/\n", 7);
    assert_int_equal(ctl_recv(sv[0], &client, &f), 1);
    assert_int_equal(f.type, CTL_END);
    assert_int_equal(f.status, CTL_ST_REFUSED);
    assert_memory_equal(f.payload, "running", 7);
    assert_int_equal(ctl_recv(sv[0], &client, &f), 1);
    assert_int_equal(f.status, CTL_ST_OK);
    assert_int_equal(f.length, 0);
    close(sv[1]);
    assert_int_equal(ctl_recv(sv[0], &client, &f), -ECONNRESET);
    close(sv[0]);
    ctl_decoder_free(&daemon);
    ctl_decoder_free(&client);
}

static void recv_reports_eof_inside_a_frame_and_decoder_errors(void **unused) {
    int sv[2];
    struct ctl_decoder d;
    struct ctl_frame f;
    uint8_t s[64];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
    size_t n = put_frame(s, CTL_DATA, CTL_ST_OK, "abcdef", 6);
    assert_int_equal(write(sv[0], s, n - 2), (ssize_t)(n - 2));
    close(sv[0]);
    ctl_decoder_init(&d, 100);
    assert_int_equal(ctl_recv(sv[1], &d, &f), -ECONNRESET);
    ctl_decoder_free(&d);
    close(sv[1]);

    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
    put_frame(s, CTL_DATA, CTL_ST_OK, "abcdef", 6);
    s[0] ^= 0xff;
    assert_int_equal(write(sv[0], s, n), (ssize_t)n);
    ctl_decoder_init(&d, 100);
    assert_int_equal(ctl_recv(sv[1], &d, &f), -EBADMSG);
    assert_int_equal(ctl_recv(sv[1], &d, &f), -EBADMSG);
    ctl_decoder_free(&d);
    close(sv[0]);
    close(sv[1]);

    ctl_decoder_init(&d, 100);
    assert_int_equal(ctl_recv(-1, &d, &f), -EBADF);
    /* A frame already buffered comes out without a read. */
    assert_int_equal(ctl_decoder_feed(&d, s, 0), 0);
    n = put_frame(s, CTL_END, CTL_ST_OK, NULL, 0);
    assert_int_equal(ctl_decoder_feed(&d, s, n), 0);
    assert_int_equal(ctl_recv(-1, &d, &f), 1);
    ctl_decoder_free(&d);
}

static void send_refuses_oversized_frames(void **unused) {
    static uint8_t big[CTL_MAX_RESPONSE + 1];
    assert_int_equal(ctl_send(-1, CTL_REQUEST, CTL_ST_OK, big, CTL_MAX_REQUEST + 1), -EMSGSIZE);
    assert_int_equal(ctl_send(-1, CTL_DATA, CTL_ST_OK, big, CTL_MAX_RESPONSE + 1), -EMSGSIZE);
    assert_int_equal(ctl_send(-1, CTL_DATA, CTL_ST_OK, big, 1), -EBADF);
}

static void send_to_a_closed_peer_is_an_error_not_sigpipe(void **unused) {
    int sv[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
    close(sv[1]);
    assert_int_equal(ctl_send(sv[0], CTL_END, CTL_ST_OK, "bye", 3), -EPIPE);
    close(sv[0]);
}

static void send_falls_back_to_write_on_a_pipe(void **unused) {
    int p[2];
    struct ctl_decoder d;
    struct ctl_frame f;
    assert_int_equal(pipe2(p, O_CLOEXEC), 0);
    assert_int_equal(ctl_send(p[1], CTL_DATA, CTL_ST_OK, "x=1", 3), 0);
    assert_int_equal(ctl_send(p[1], CTL_END, CTL_ST_FAILED, "no", 2), 0);
    close(p[1]);
    ctl_decoder_init(&d, 16);
    assert_int_equal(ctl_recv(p[0], &d, &f), 1);
    assert_memory_equal(f.payload, "x=1", 3);
    assert_int_equal(ctl_recv(p[0], &d, &f), 1);
    assert_int_equal(f.status, CTL_ST_FAILED);
    assert_int_equal(ctl_recv(p[0], &d, &f), -ECONNRESET);
    ctl_decoder_free(&d);
    close(p[0]);
}

static volatile sig_atomic_t alarms;
static void on_alarm(int sig) { alarms++; }

/* SIGALRM every 200 µs without SA_RESTART: blocked reads and writes are
 * interrupted (EINTR, or a partial write) and must carry on. */
static void interrupt_often(void) {
    struct sigaction sa = {.sa_handler = on_alarm};
    sigaction(SIGALRM, &sa, NULL);
    struct itimerval it = {.it_interval = {0, 200}, .it_value = {0, 200}};
    setitimer(ITIMER_REAL, &it, NULL);
}

static void stop_interrupting(void) {
    struct itimerval it = {0};
    setitimer(ITIMER_REAL, &it, NULL);
    signal(SIGALRM, SIG_DFL);
}

/* Sleep that long even though signals interrupt the sleep. */
static void nap_ms(long ms) {
    struct timespec t = {.tv_sec = ms / 1000, .tv_nsec = ms % 1000 * 1000000};
    while (nanosleep(&t, &t) < 0 && errno == EINTR)
        ;
}

static void fill(uint8_t *p, size_t n, unsigned seed) {
    for (size_t i = 0; i < n; i++)
        p[i] = (uint8_t)(i * 31 + seed);
}

/* The child writes two frames of the largest size through a small socket
 * buffer while signals rain on both sides; the parent starts reading late,
 * so the writer blocks, and the reader blocks before the data comes. */
static void big_frames_survive_partial_writes_and_signals(void **unused) {
    static uint8_t data[CTL_MAX_RESPONSE];
    int sv[2], sndbuf = 4096;
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
    assert_int_equal(setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(sv[1]);
        interrupt_often();
        nap_ms(20);
        fill(data, sizeof data, 1);
        int ok = ctl_send(sv[0], CTL_DATA, CTL_ST_OK, data, sizeof data) == 0;
        fill(data, sizeof data, 2);
        ok = ok && ctl_send(sv[0], CTL_DATA, CTL_ST_OK, data, sizeof data) == 0;
        ok = ok && ctl_send(sv[0], CTL_END, CTL_ST_OK, "done", 4) == 0;
        _exit(ok && alarms > 0 ? 0 : 1);
    }
    close(sv[0]);
    alarms = 0;
    interrupt_often();
    struct ctl_decoder d;
    struct ctl_frame f;
    ctl_decoder_init(&d, CTL_MAX_RESPONSE);
    for (unsigned seed = 1; seed <= 2; seed++) {
        assert_int_equal(ctl_recv(sv[1], &d, &f), 1);
        assert_int_equal(f.length, CTL_MAX_RESPONSE);
        fill(data, sizeof data, seed);
        assert_memory_equal(f.payload, data, sizeof data);
        assert_true(d.cap <= HDR + CTL_MAX_RESPONSE);
        nap_ms(10); /* let the writer block on a full socket */
    }
    assert_int_equal(ctl_recv(sv[1], &d, &f), 1);
    assert_int_equal(f.type, CTL_END);
    stop_interrupting();
    assert_true(alarms > 0);
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    ctl_decoder_free(&d);
    close(sv[1]);
}

/* --- argv ------------------------------------------------------------------- */

static void argv_encode_limits(void **unused) {
    uint8_t buf[64];
    const char *argv[CTL_MAX_ARGS + 1];
    for (int i = 0; i <= CTL_MAX_ARGS; i++)
        argv[i] = "";
    argv[0] = "x";
    static uint8_t big[CTL_MAX_REQUEST + 16];
    assert_int_equal(ctl_argv_encode(big, sizeof big, 0, argv), -EINVAL);
    assert_int_equal(ctl_argv_encode(big, sizeof big, CTL_MAX_ARGS + 1, argv), -EINVAL);
    assert_int_equal(ctl_argv_encode(big, sizeof big, CTL_MAX_ARGS, argv), CTL_MAX_ARGS + 1);
    const char *two[] = {"stop", "now"};
    assert_int_equal(ctl_argv_encode(buf, 9, 2, two), 9); /* exactly fits */
    assert_memory_equal(buf, "stop\0now\0", 9);
    assert_int_equal(ctl_argv_encode(buf, 8, 2, two), -EMSGSIZE);
    const char *null_arg[] = {"stop", NULL};
    assert_int_equal(ctl_argv_encode(buf, sizeof buf, 2, null_arg), -EINVAL);
    /* Over the request limit, however big the buffer. */
    static char huge[CTL_MAX_REQUEST + 1];
    memset(huge, 'a', CTL_MAX_REQUEST);
    const char *one[] = {huge};
    assert_int_equal(ctl_argv_encode(big, sizeof big, 1, one), -EMSGSIZE);
    huge[CTL_MAX_REQUEST - 1] = '\0';
    assert_int_equal(ctl_argv_encode(big, sizeof big, 1, one), CTL_MAX_REQUEST);
}

static int decode(const char *s, size_t len, const char **argv, int max) {
    return ctl_argv_decode((const uint8_t *)s, len, argv, max);
}

static void argv_decode_counts_and_limits(void **unused) {
    const char *argv[CTL_MAX_ARGS + 2];
    assert_int_equal(decode("call\0web\0\0", 10, argv, 8), 3); /* empty argument: fine */
    assert_string_equal(argv[1], "web");
    assert_string_equal(argv[2], "");
    assert_int_equal(decode("", 0, argv, 8), -EBADMSG);              /* empty */
    assert_int_equal(decode("\0", 1, argv, 8), -EBADMSG);            /* empty command */
    assert_int_equal(decode("\0web\0", 5, argv, 8), -EBADMSG);       /* empty command */
    assert_int_equal(decode("status", 6, argv, 8), -EBADMSG);        /* unterminated */
    assert_int_equal(decode("status\0web", 10, argv, 8), -EBADMSG);  /* unterminated */

    static uint8_t p[CTL_MAX_ARGS * 2 + 2];
    for (int i = 0; i < CTL_MAX_ARGS + 1; i++)
        p[2 * i] = 'a', p[2 * i + 1] = '\0';
    argv[CTL_MAX_ARGS] = "canary";
    assert_int_equal(ctl_argv_decode(p, CTL_MAX_ARGS * 2, argv, CTL_MAX_ARGS), CTL_MAX_ARGS);
    assert_int_equal(ctl_argv_decode(p, CTL_MAX_ARGS * 2 + 2, argv, CTL_MAX_ARGS), -EBADMSG);
    assert_string_equal(argv[CTL_MAX_ARGS], "canary"); /* never past max */
    assert_int_equal(decode("a\0b\0", 4, argv, 1), -EBADMSG);
    assert_int_equal(decode("a\0", 2, argv, 0), -EBADMSG);
}

static void argv_decode_takes_text(void **unused) {
    static const char *const good[] = {
        "tab\there", "new\nline", "~ !\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}",
        "\xc2\xa0",         /* U+00A0, the first after the C1 controls */
        "\xc3\xa9t\xc3\xa9", "\xdf\xbf", /* U+07FF */
        "\xe0\xa0\x80",     /* U+0800, smallest 3-byte */
        "\xe2\x82\xac",     /* € */
        "\xed\x9f\xbf",     /* U+D7FF, below the surrogates */
        "\xee\x80\x80",     /* U+E000, above them */
        "\xef\xbf\xbd",     /* U+FFFD */
        "\xf0\x90\x80\x80", /* U+10000 */
        "\xf0\x9f\x98\x80", /* 😀 */
        "\xf1\x80\x80\x80", /* U+40000 */
        "\xf3\xbf\xbf\xbf", /* U+FFFFF */
        "\xf4\x8f\xbf\xbf", /* U+10FFFF, the last */
    };
    const char *argv[4];
    char buf[64];
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        size_t n = strlen(good[i]) + 1;
        memcpy(buf, good[i], n);
        assert_int_equal(decode(buf, n, argv, 4), 1);
        assert_string_equal(argv[0], good[i]);
    }
}

static void argv_decode_refuses_control_bytes_and_bad_utf8(void **unused) {
    static const char *const bad[] = {
        "\x01", "a\x1b[2J", "\r", "\x7f", "\x1f", "\f", "\v",
        "\xc2\x80", "\xc2\x9f",  /* C1 controls */
        "\x80", "\xbf", "a\x80z",  /* lone continuation bytes */
        "\xc0\x80", "\xc1\xbf",    /* overlong 2-byte */
        "\xe0\x80\x80", "\xe0\x9f\xbf", /* overlong 3-byte */
        "\xf0\x80\x80\x80", "\xf0\x8f\xbf\xbf", /* overlong 4-byte */
        "\xed\xa0\x80", "\xed\xbf\xbf", /* surrogates */
        "\xf4\x90\x80\x80", "\xf7\xbf\xbf\xbf", "\xf5\x80\x80\x80", /* past U+10FFFF */
        "\xf8\x88\x80\x80\x80", "\xfe", "\xff",
        "\xc3", "\xe2\x82", "\xf0\x9f\x98", /* cut short by the end of the string */
        "\xe2\x28\xa1", "\xf0\x9f\x28\x80", "\xc3\x28", /* bad continuation */
    };
    const char *argv[4];
    char buf[64];
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        size_t n = strlen(bad[i]) + 1;
        memcpy(buf, "cmd\0", 4);
        memcpy(buf + 4, bad[i], n);
        assert_int_equal(decode(buf, 4 + n, argv, 4), -EBADMSG);
    }
    /* A multi-byte character cut by the end of the payload, not by a NUL:
     * the last byte is the terminator, so "\xe2\x82" + "\0" is cut short. */
    assert_int_equal(decode("\xe2\x82\xac\0", 4, argv, 4), 1);
    assert_int_equal(decode("\xe2\x82\0", 3, argv, 4), -EBADMSG);
}

/* --- records -------------------------------------------------------------- */

/* Parse `line` with a scratch of exactly len + 1 bytes on the heap, so the
 * sanitizer build catches any write past it. */
static int parse(const char *line, struct ctl_field *fields, int max, char **scratch) {
    size_t len = strlen(line);
    *scratch = malloc(len + 1);
    return ctl_record_parse(line, len, fields, max, *scratch);
}

static void record_parses_plain_and_quoted_values(void **unused) {
    struct ctl_field f[8];
    char *s;
    assert_int_equal(parse("path=web/listener kind=worker depth=1", f, 8, &s), 3);
    assert_string_equal(f[0].key, "path");
    assert_string_equal(f[0].value, "web/listener");
    assert_string_equal(ctl_record_get(f, 3, "depth"), "1");
    assert_null(ctl_record_get(f, 3, "pid"));
    free(s);
    assert_int_equal(parse("msg=\"say \\\"hi\\\" \\\\ a=b\" e=\"\" nl=\"a\\nb\" x=\"\\x09\\x7F\\x1b\"", f, 8, &s), 4);
    assert_string_equal(ctl_record_get(f, 4, "msg"), "say \"hi\" \\ a=b");
    assert_string_equal(ctl_record_get(f, 4, "e"), "");
    assert_string_equal(ctl_record_get(f, 4, "nl"), "a\nb");
    assert_string_equal(ctl_record_get(f, 4, "x"), "\t\x7f\x1b");
    free(s);
    assert_int_equal(parse("  a=1   b=2  ", f, 8, &s), 2); /* extra spaces */
    assert_string_equal(ctl_record_get(f, 2, "b"), "2");
    free(s);
    assert_int_equal(parse("", f, 8, &s), 0);
    free(s);
    assert_int_equal(parse("empty= A.b_c-9=\xc3\xa9", f, 8, &s), 2); /* an empty unquoted value */
    assert_string_equal(f[0].value, "");
    assert_string_equal(f[1].key, "A.b_c-9");
    assert_string_equal(f[1].value, "\xc3\xa9");
    free(s);
    assert_int_equal(parse("k=1 k=2", f, 8, &s), 2);
    assert_string_equal(ctl_record_get(f, 2, "k"), "1"); /* the first one */
    free(s);
    assert_int_equal(parse("a=", f, 8, &s), 1); /* the tightest scratch: len + 1 */
    free(s);
}

static void record_refuses_malformed_lines(void **unused) {
    static const char *const bad[] = {
        "=v", "key", "key value", "a b=c", "k!=v", "k\xc3\xa9=v", "k =v",
        "k=\"open", "k=\"a\"b", "k=a\"b", "k=a\\b", "k=a=b", "k=\"\\t\"", "k=\"\\x0\"",
        "k=\"\\x00\"", "k=\"\\xg1\"", "k=\"\\", "k=\"tab\there\"", "k=a\tb", "k=\"\\\"",
        "a=1 =2", "a=1 b",
    };
    struct ctl_field f[8];
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char *s;
        int r = parse(bad[i], f, 8, &s);
        if (r != -EBADMSG)
            fail_msg("'%s' parsed: %d", bad[i], r);
        free(s);
    }
}

static void record_refuses_too_many_fields(void **unused) {
    struct ctl_field f[3];
    char *s;
    assert_int_equal(parse("a=1 b=2 c=3", f, 3, &s), 3);
    free(s);
    assert_int_equal(parse("a=1 b=2 c=3 d=4", f, 3, &s), -E2BIG);
    free(s);
    assert_int_equal(parse("a=1", f, 0, &s), -E2BIG);
    free(s);
}

/* What nines_logfmt_format writes, ctl_record_parse reads back the same:
 * every byte a C string can hold, alone and in company. */
static void record_round_trips_the_daemon_logfmt(void **unused) {
    static char line[4096];
    static char scratch[4096];
    struct ctl_field f[16];
    char values[256][8];
    for (int b = 1; b < 256; b++) {
        snprintf(values[b], sizeof values[b], "%c", b);
        struct nines_field in[] = {{"child", values[b]}, {"x.y-z_0", "a b"}, {"pid", NULL}};
        size_t n = nines_logfmt_format(line, sizeof line, "2024-01-01T00:00:00.000Z", LOG_WARNING, "exit",
                                       values[b], in, 3);
        assert_true(n < sizeof line && line[n - 1] == '\n');
        int r = ctl_record_parse(line, n - 1, f, 16, scratch);
        assert_int_equal(r, 6);
        assert_string_equal(ctl_record_get(f, r, "ts"), "2024-01-01T00:00:00.000Z");
        assert_string_equal(ctl_record_get(f, r, "level"), "warning");
        assert_string_equal(ctl_record_get(f, r, "event"), "exit");
        assert_string_equal(ctl_record_get(f, r, "child"), values[b]);
        assert_string_equal(ctl_record_get(f, r, "x.y-z_0"), "a b");
        assert_string_equal(ctl_record_get(f, r, "msg"), values[b]);
    }
    static const char *const tricky[] = {
        "", " ", "\"", "\\", "=", "\\\"", "a=b c=d", "two\nlines\r\n", "\t\x1b[31mred\x7f",
        "init failed: say \"hi\"\\now", "caf\xc3\xa9 \xe2\x82\xac", "\xff\xfe", "\\x41", "\\n",
    };
    for (size_t i = 0; i < sizeof tricky / sizeof tricky[0]; i++) {
        struct nines_field in[] = {{"reason", tricky[i]}, {"path", "web/listener"}};
        size_t n = nines_logfmt_record(line, sizeof line, in, 2);
        assert_int_equal(ctl_record_parse(line, n - 1, f, 16, scratch), 2);
        assert_string_equal(f[0].key, "reason");
        assert_string_equal(f[0].value, tricky[i]);
        assert_string_equal(f[1].value, "web/listener");
    }
}

/* Parsed in place (the scratch is the line itself), a line gives the
 * same fields as parsed into a scratch of its own. */
static void record_parses_in_place(void **unused) {
    static const char *const lines[] = {
        "path=web/listener kind=worker depth=1",
        "msg=\"say \\\"hi\\\" \\\\ a=b\" e=\"\" nl=\"a\\nb\" x=\"\\x09\\x7F\\x1b\"",
        "  a=1   b=2  ", "empty= A.b_c-9=\xc3\xa9", "a=", "q=\"\" r=\"x y\" s=z",
    };
    for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++) {
        size_t len = strlen(lines[i]);
        struct ctl_field want[8], got[8];
        char *scratch, *text = malloc(len + 1);
        int n = parse(lines[i], want, 8, &scratch);
        assert_true(n >= 0);
        memcpy(text, lines[i], len + 1);
        assert_int_equal(ctl_record_parse(text, len, got, 8, text), n);
        for (int k = 0; k < n; k++) {
            assert_string_equal(got[k].key, want[k].key);
            assert_string_equal(got[k].value, want[k].value);
        }
        free(scratch);
        free(text);
    }
    char bad[] = "a=1 b=x\"y";
    assert_int_equal(ctl_record_parse(bad, strlen(bad), (struct ctl_field[4]){0}, 4, bad), -EBADMSG);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(status_names_match_the_doc),
        cmocka_unit_test(header_make_fills_every_field),
        cmocka_unit_test(header_check_refuses_each_bad_field),
        cmocka_unit_test(decoder_takes_every_split_into_two_and_three),
        cmocka_unit_test(decoder_takes_one_byte_at_a_time),
        cmocka_unit_test(decoder_takes_random_chunks_of_a_long_stream),
        cmocka_unit_test(decoder_drops_consumed_bytes),
        cmocka_unit_test(decoder_takes_a_frame_exactly_at_the_limit),
        cmocka_unit_test(decoder_errors_are_sticky),
        cmocka_unit_test(decoder_refuses_an_impossible_feed),
        cmocka_unit_test(decoder_takes_an_empty_feed),
        cmocka_unit_test(send_and_recv_round_trip_over_a_socketpair),
        cmocka_unit_test(recv_reports_eof_inside_a_frame_and_decoder_errors),
        cmocka_unit_test(send_refuses_oversized_frames),
        cmocka_unit_test(send_to_a_closed_peer_is_an_error_not_sigpipe),
        cmocka_unit_test(send_falls_back_to_write_on_a_pipe),
        cmocka_unit_test(big_frames_survive_partial_writes_and_signals),
        cmocka_unit_test(argv_encode_limits),
        cmocka_unit_test(argv_decode_counts_and_limits),
        cmocka_unit_test(argv_decode_takes_text),
        cmocka_unit_test(argv_decode_refuses_control_bytes_and_bad_utf8),
        cmocka_unit_test(record_parses_plain_and_quoted_values),
        cmocka_unit_test(record_parses_in_place),
        cmocka_unit_test(record_refuses_malformed_lines),
        cmocka_unit_test(record_refuses_too_many_fields),
        cmocka_unit_test(record_round_trips_the_daemon_logfmt),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
