/*
 * ctl_fixture.h — a scripted daemon for ninesctl's unit tests: the
 * answer's frames are written into a socketpair before the client runs,
 * then the test checks the request it sent, what it printed on stdout
 * and stderr, and its exit code. Shared by test_ctl_client.c and
 * test_ctl_release_client.c (header-only: each test program is one object;
 * include it after <cmocka.h>).
 */
#ifndef NINES_TEST_CTL_FIXTURE_H
#define NINES_TEST_CTL_FIXTURE_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "args.h"
#include "client.h"
#include "ctl.h"
#include "output.h"

struct run {
    int code;
    char *out, *err;
    char request[4096]; /* the REQUEST's argv joined with '|' */
};

static struct run last;

static inline void reset(void) {
    free(last.out);
    free(last.err);
    memset(&last, 0, sizeof last);
}

/* The script: frames the "daemon" sends, written before the client reads. */
static inline void data(int fd, const char *payload) {
    assert_int_equal(ctl_send(fd, CTL_DATA, CTL_ST_OK, payload, strlen(payload)), 0);
}

static inline void end(int fd, enum ctl_status st, const char *message) {
    assert_int_equal(ctl_send(fd, CTL_END, st, message, strlen(message)), 0);
}

/* What the client sent, as "a|b|c". */
static inline void read_request(int fd) {
    struct ctl_decoder d;
    struct ctl_frame f;
    const char *argv[CTL_MAX_ARGS];
    ctl_decoder_init(&d, CTL_MAX_REQUEST);
    if (ctl_recv(fd, &d, &f) == 1 && f.type == CTL_REQUEST) {
        int n = ctl_argv_decode(f.payload, f.length, argv, CTL_MAX_ARGS);
        for (int i = 0; i < n; i++)
            snprintf(last.request + strlen(last.request), sizeof last.request - strlen(last.request), "%s%s",
                     i ? "|" : "", argv[i]);
    }
    ctl_decoder_free(&d);
}

/* Run the client for argv `words` on fd (the script already written),
 * as if stdout were a terminal when tty is set, in colour when color is. */
static inline void run_colored(int fd, int daemon_fd, bool tty, bool color, const char **words) {
    int argc = 0;
    while (words[argc])
        argc++;
    static struct ctl_args a;
    assert_int_equal(ctl_args_parse(&a, argc, (char *const *)words), 0);
    size_t osize, esize;
    FILE *out = open_memstream(&last.out, &osize), *err = open_memstream(&last.err, &esize);
    struct ctl_output o;
    ctl_output_init(&o, &a, out, err, color, tty);
    const char *req[CTL_MAX_ARGS];
    char num[16];
    int n = ctl_args_request(&a, req, num);
    last.code = ctl_client_exchange(fd, n, req, &o);
    ctl_output_free(&o);
    fclose(out);
    fclose(err);
    if (daemon_fd >= 0)
        read_request(daemon_fd);
}

static inline void run_on(int fd, int daemon_fd, bool tty, const char **words) {
    run_colored(fd, daemon_fd, tty, false, words);
}

static int pair[2];

static inline int setup(void **state) {
    reset();
    return socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair);
}

static inline int teardown(void **state) {
    close(pair[0]);
    close(pair[1]);
    reset();
    return 0;
}

/* Forget the last run's output, for another run in the same test. */
static inline void next_run(void) {
    free(last.out), free(last.err);
    last.out = last.err = NULL;
    last.request[0] = '\0';
}

/* The last run's exit code, the request it sent and its stdout. */
static inline void expect_run(int code, const char *request, const char *out) {
    assert_int_equal(last.code, code);
    assert_string_equal(last.request, request);
    assert_string_equal(last.out, out);
}

#define RUN(tty, ...) run_on(pair[0], pair[1], tty, (const char *[]){"ninesctl", __VA_ARGS__, NULL})

#endif /* NINES_TEST_CTL_FIXTURE_H */
