/*
 * modtest.h — nines-modtest: a module's tests without ninesd (doc/modtest.md).
 *
 * nines-modtest runs the real worker host (every worker/ source but host_main.c) in
 * its own process and plays ninesd on the other end of the channel: a
 * script's commands become the messages ninesd would send (calls, casts,
 * upgrades, the shutdown), events it fires go straight to the host's
 * dispatch, and what comes back (replies, upgrade results, log lines) is
 * checked against the script. So a module under test runs exactly the
 * code it runs under ninesd, registrations and live swaps included.
 */
#ifndef NINES_MODTEST_H
#define NINES_MODTEST_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "host.h"

#define MT_MAX_WORDS 16
#define MT_MAX_ARGS 64
#define MT_MAX_NAMED 16
#define MT_MAX_DIRS 8

/* One word of a script line: its bytes (a quoted word's escapes decoded;
 * NUL-terminated, and may hold NULs) and its column. */
struct mt_word {
    char *text;
    size_t len;
    unsigned col;
};

struct mt_line {
    struct mt_word w[MT_MAX_WORDS];
    size_t n;
    char buf[8192]; /* the decoded words */
};

/* A value kept by name: a snapshot, or a client socket. */
struct mt_named {
    char name[32];
    unsigned char *data; /* a snapshot */
    size_t len;
    int fd;              /* a socket, -1 for a snapshot */
};

struct mt {
    const char *script; /* for messages: FILE:LINE */
    unsigned line;
    char dir[PATH_MAX]; /* the script's folder */
    const char *dirs[MT_MAX_DIRS]; /* -L: where a module named without a '/' is looked for */
    size_t n_dirs;
    bool verbose;
    int port; /* $PORT: a free TCP port on 127.0.0.1 */

    /* The worker, before and after init. */
    char module[PATH_MAX];
    char child[256];
    struct host_arg args[MT_MAX_ARGS];
    size_t n_args;
    struct nines_ctx ctx;
    bool loaded, started, finished;
    int peer; /* ninesd's end of the channel */
    uint64_t next_ref;

    /* What the module logged (its stderr), and how much was matched. */
    int log_fd, saved_stderr;
    char *log;
    size_t log_len, log_cap, log_seen;

    struct mt_named named[MT_MAX_NAMED];
    size_t n_named;

    char why[1024]; /* why the last command failed */
};

/* mt_lex.c: split one line into words; 0, or -1 with why (its column). */
int mt_lex(const char *text, struct mt_line *out, char *why, size_t why_size);

/* mt_host.c: the worker and the channel. */
int mt_fail(struct mt *mt, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int mt_load(struct mt *mt);
int mt_init(struct mt *mt, bool expect_failure, const char *text);
/* Run the loop for up to `ms`, until `done` says the message it was
 * waiting for came (*out then holds it; its payload is valid until the
 * next pump). done NULL: the whole time. 0, or -1 (timeout, the worker
 * stopped). */
struct nines_msg;
int mt_pump(struct mt *mt, int ms, bool (*done)(const struct nines_msg *m, void *arg), void *arg,
            struct nines_msg *out);
int mt_send(struct mt *mt, uint32_t type, uint64_t ref, const void *data, size_t len);
void mt_drain_log(struct mt *mt);
int mt_stop(struct mt *mt);
void mt_cleanup(struct mt *mt);
int mt_resolve(struct mt *mt, const char *name, char *out, size_t size);

/* mt_cmds.c: run one line's command. */
int mt_command(struct mt *mt, const struct mt_line *l);
/* mt_io.c: the commands that check registrations, snapshots and sockets. */
int mt_cmd_expect(struct mt *mt, const struct mt_line *l);
int mt_cmd_snapshot(struct mt *mt, const struct mt_line *l);
int mt_cmd_same(struct mt *mt, const struct mt_line *l);
int mt_cmd_connect(struct mt *mt, const struct mt_line *l);
int mt_cmd_send(struct mt *mt, const struct mt_line *l);
int mt_cmd_recv(struct mt *mt, const struct mt_line *l);
int mt_cmd_close(struct mt *mt, const struct mt_line *l);
int mt_tag(struct mt *mt, const struct mt_word *w, uint64_t *tag);
/* Printable form of bytes, for messages. */
const char *mt_show(const void *data, size_t len, char *buf, size_t size);

#endif /* NINES_MODTEST_H */
