/*
 * echo.h — what the files of the echo example share.
 *
 * Live upgrade: export_state writes (little-endian) a version byte 1, the
 * listener fd (i32), port (i32), listener-paused flag (u8), served (u64),
 * next tag (u64), the connection count (u32), then per connection its tag
 * (u64), fd (i32), watched events (u8), eof flag (u8), the partial line
 * (u32 length + bytes) and the unsent output (u32 length + bytes).
 * code_change rebuilds the state from that layout; the descriptors stay
 * open across the swap since it happens inside one process.
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
#define SNAPSHOT_VERSION 1

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
int echo_code_change(nines_ctx *ctx, const char *from_version, const void *snapshot, size_t len, const char *extra, void **state);

#endif /* NINES_EXAMPLE_ECHO_H */
