/*
 * bench_load.h — the TCP load of the upgrade benchmarks: N connections
 * over loopback, each a closed loop of "req K\n" lines to an echo worker,
 * driven by one epoll loop. A reply that is not the echo of the request
 * in flight ("req K", or echo 2's "[N] req K"), whole and alone, is a
 * wrong (garbled) reply: the connection is dropped and opened again.
 */
#ifndef NINES_BENCH_LOAD_H
#define NINES_BENCH_LOAD_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

#define TIMEOUT_US 2e6        /* a request unanswered this long has failed */
#define RETRY_US 2000         /* a closed connection connects again after this */

enum conn_state { DOWN, CONNECTING, WAITING };

struct conn {
    int fd;
    enum conn_state st;
    unsigned long k;       /* the request in flight: "req K" */
    double sent, last_ok;  /* when it (or the connect) was sent; the last good reply */
    double retry_at;       /* DOWN: when to connect again */
    size_t in_len;
    char in[128];
};

struct load {
    int ep, port, n;
    struct conn *c;
    unsigned long next_k;
    double *lat;           /* every good request's latency, us */
    size_t n_lat, cap;
    long failed, closed, refused, wrong, timeouts;
    size_t wrong_bytes;    /* the bytes of the wrong replies: garbled */
    double max_gap;        /* the longest any connection went without a good reply */
};

/* n connections to 127.0.0.1:port, connecting now. */
void load_start(struct load *l, int n, int port);
/* Drive the load until `until_us` has passed and, with `done`, it is set. */
void load_run(struct load *l, double until_us, atomic_bool *done);
/* Forget what was counted so far: figures from now on. */
void load_reset(struct load *l);
/* Close every connection (the longest gap counted up to now). */
void load_stop(struct load *l);

/* A port nobody listens on now, for a worker that must come back on it. */
int free_port(void);

#endif /* NINES_BENCH_LOAD_H */
