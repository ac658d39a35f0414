/*
 * echo.h — what the files of the echo example share.
 *
 * One set of sources, two versions: built plainly it is version 1 (lines
 * echoed byte for byte); built with -DECHO_VERSION=2 it is version 2 (each
 * line prefixed with "[N] ", N counting that connection's lines from 1,
 * which needs a counter per connection). The Makefile builds both, echo.so
 * and echo-2.so. The differences: struct conn's `lines` (here), the prefix
 * (echo_io.c), the snapshot's per-connection field (echo_snapshot.c).
 *
 * Snapshot layouts (nines/snap.h, its version the layout's): layout 1 is
 * written by 1.0.0, layout 2 by 2.0.0, and both versions read both. They
 * differ in one field:
 *
 *   fd    the listener
 *   u32   port
 *   bool  listener paused (true) or watched (false)
 *   u64   lines echoed in all (served)
 *   u64   the next connection's tag
 *   count connections, then for each:
 *     u64   tag (never LISTENER_TAG)
 *     bool  eof: the peer finished sending
 *     u64   lines echoed on it so far              (layout 2 only)
 *     blob  the start of an incomplete line
 *     blob  the echoed bytes not yet written
 *
 * A connection's descriptor and watched events are not in the snapshot:
 * they are the host's registration under its tag (nines_registration()).
 * Version 1 reading layout 2 drops the per-connection counts (the
 * downgrade); version 2 reading layout 1 starts every count at 0. Anything
 * else — another layout, a snapshot cut short or with bytes after the
 * last connection, a listener fd that is not open, a connection tag that
 * is 0, repeated, not below the next tag or not watched — is refused with
 * the reader's error and a log line saying why.
 *
 * Descriptors travel in the snapshot by number. code_change relies on the
 * host's promise (nines/module.h): across a swap, and across a restart on
 * the old code after a failed upgrade, the same fds are open with the same
 * numbers; each one's watch is still registered under the same tag
 * (LISTENER_TAG unless the listener is paused, each connection's own) with
 * the events the snapshot names; a paused listener's ACCEPT_RETRY_TAG
 * timer is still armed. So code_change only rebuilds memory: it never
 * watches, unwatches or closes anything (watching again would be
 * -EEXIST). free_state likewise only frees memory: from then on the new
 * code owns the descriptors, watches and timers.
 */
#ifndef NINES_EXAMPLE_ECHO_H
#define NINES_EXAMPLE_ECHO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "nines/module.h"

#define LISTENER_TAG 0
#define ACCEPT_RETRY_TAG UINT64_MAX
#define ACCEPT_RETRY_MS 100
#define DEFAULT_PORT 7007
#define DEFAULT_BIND "127.0.0.1"
#define BACKLOG 1024
#define LINE_MAX_BYTES (64 * 1024)
#define OUT_HIGH_WATER (1024 * 1024)
#define READ_CHUNK (16 * 1024)
/* A buffer this large is freed once empty, so idle connections stay small. */
#define BUF_KEEP_MAX (16 * 1024)
#define INITIAL_BUCKETS 64

#ifndef ECHO_VERSION
#define ECHO_VERSION 1
#endif
#if ECHO_VERSION == 1
#define ECHO_VSN "1.0.0"
#elif ECHO_VERSION == 2
#define ECHO_VSN "2.0.0"
#else
#error "ECHO_VERSION must be 1 or 2"
#endif
/* Each version writes the snapshot layout of its number. */
#define SNAPSHOT_VERSION ECHO_VERSION

/* A byte buffer; bytes [off, len) are live (off is used for output). */
struct bytes {
    char *data;
    size_t off, len, cap;
};

struct conn {
    struct conn *next; /* hash chain */
    uint64_t tag;
    int fd;
    uint32_t events;  /* what the host watches for us */
    bool eof;         /* the peer finished sending: close once flushed */
#if ECHO_VERSION >= 2
    uint64_t lines; /* lines echoed on this connection: the next is [lines + 1] */
#endif
    struct bytes in;  /* the start of an incomplete line */
    struct bytes out; /* echoed bytes not yet written */
};

struct echo {
    int listen_fd;
    int port;
    bool listener_paused; /* unwatched until ACCEPT_RETRY_TAG fires */
    bool accept_warned;   /* said so once; quiet until an accept works */
    uint64_t next_tag;
    unsigned long long served;
    struct conn **buckets; /* connections by tag, chained */
    size_t nbuckets;       /* a power of two */
    size_t count;
};

/* echo_conns.c */
size_t bytes_pending(const struct bytes *b);
void bytes_clear(struct bytes *b);
int bytes_append(struct bytes *b, const void *data, size_t n);
struct conn *table_find(const struct echo *e, uint64_t tag);
void table_insert(struct echo *e, struct conn *c);
void table_remove(struct echo *e, struct conn *c);
void conn_free(struct conn *c);
struct echo *echo_new(void);
void echo_free(nines_ctx *ctx, struct echo *e);

/* echo_io.c */
void conn_event(nines_ctx *ctx, struct echo *e, struct conn *c, uint32_t events);
int accept_all(nines_ctx *ctx, struct echo *e);
int resume_listener(nines_ctx *ctx, struct echo *e);

/* echo_snapshot.c */
int echo_export(nines_ctx *ctx, void *state, nines_buf *out);
int echo_code_change(nines_ctx *ctx, const char *from_version, const void *snapshot,
                     size_t len, const char *extra, void **state);

#endif /* NINES_EXAMPLE_ECHO_H */
