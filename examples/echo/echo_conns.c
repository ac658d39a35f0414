/*
 * echo_conns.c — byte buffers, the connection table by tag, the server state.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "echo.h"

/* --- Byte buffers. ------------------------------------------------------ */

size_t bytes_pending(const struct bytes *b)
{
    return b->len - b->off;
}

void bytes_clear(struct bytes *b)
{
    b->off = b->len = 0;
    if (b->cap > BUF_KEEP_MAX) {
        free(b->data);
        b->data = NULL;
        b->cap = 0;
    }
}

int bytes_append(struct bytes *b, const void *data, size_t n)
{
    if (b->len + n > b->cap && b->off > 0) {
        memmove(b->data, b->data + b->off, b->len - b->off);
        b->len -= b->off;
        b->off = 0;
    }
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + n)
            cap *= 2;
        char *p = realloc(b->data, cap);
        if (p == NULL)
            return -ENOMEM;
        b->data = p;
        b->cap = cap;
    }
    memcpy(b->data + b->len, data, n);
    b->len += n;
    return 0;
}

/* --- Connections by tag: a chained hash table that doubles. ------------ */

static size_t bucket_of(uint64_t tag, size_t nbuckets)
{
    /* Fibonacci hashing: spreads consecutive tags over the buckets. */
    return (size_t)((tag * 0x9e3779b97f4a7c15ull) >> 32) & (nbuckets - 1);
}

struct conn *table_find(const struct echo *e, uint64_t tag)
{
    struct conn *c = e->buckets[bucket_of(tag, e->nbuckets)];

    while (c != NULL && c->tag != tag)
        c = c->next;
    return c;
}

static int table_grow(struct echo *e)
{
    size_t n = e->nbuckets * 2;
    struct conn **b = calloc(n, sizeof(*b));

    if (b == NULL)
        return -ENOMEM;
    for (size_t i = 0; i < e->nbuckets; i++) {
        struct conn *c = e->buckets[i];
        while (c != NULL) {
            struct conn *next = c->next;
            size_t j = bucket_of(c->tag, n);
            c->next = b[j];
            b[j] = c;
            c = next;
        }
    }
    free(e->buckets);
    e->buckets = b;
    e->nbuckets = n;
    return 0;
}

void table_insert(struct echo *e, struct conn *c)
{
    /* Growing is an optimisation: a full table still works, just slower. */
    if (e->count >= e->nbuckets)
        table_grow(e);
    size_t i = bucket_of(c->tag, e->nbuckets);
    c->next = e->buckets[i];
    e->buckets[i] = c;
    e->count++;
}

void table_remove(struct echo *e, struct conn *c)
{
    struct conn **p = &e->buckets[bucket_of(c->tag, e->nbuckets)];

    while (*p != NULL && *p != c)
        p = &(*p)->next;
    if (*p != NULL) {
        *p = c->next;
        e->count--;
    }
}

void conn_free(struct conn *c)
{
    free(c->in.data);
    free(c->out.data);
    free(c);
}

struct echo *echo_new(void)
{
    struct echo *e = calloc(1, sizeof(*e));

    if (e == NULL)
        return NULL;
    e->buckets = calloc(INITIAL_BUCKETS, sizeof(*e->buckets));
    if (e->buckets == NULL) {
        free(e);
        return NULL;
    }
    e->nbuckets = INITIAL_BUCKETS;
    e->listen_fd = -1;
    e->next_tag = 1;
    return e;
}

/* Free the state. With ctx, also unwatch and close every descriptor; a
 * refused code_change passes NULL because the old code still owns them. */
void echo_free(nines_ctx *ctx, struct echo *e)
{
    if (e == NULL)
        return;
    for (size_t i = 0; i < e->nbuckets; i++) {
        struct conn *c = e->buckets[i];
        while (c != NULL) {
            struct conn *next = c->next;
            if (ctx != NULL) {
                nines_fd_unwatch(ctx, c->tag);
                close(c->fd);
            }
            conn_free(c);
            c = next;
        }
    }
    if (ctx != NULL && e->listen_fd >= 0) {
        if (e->listener_paused)
            nines_timer_cancel(ctx, ACCEPT_RETRY_TAG);
        else
            nines_fd_unwatch(ctx, LISTENER_TAG);
        close(e->listen_fd);
    }
    free(e->buckets);
    free(e);
}
