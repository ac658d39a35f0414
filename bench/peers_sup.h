/*
 * peers_sup.h — the supervisors bench_peers compares, each started in a
 * fresh folder under /tmp on N copies of the same child, behind one
 * interface: start, wait for the next child to run, memory, stop.
 *
 *   s6           s6-svscan, one s6-supervise per child (Debian's s6)
 *   runit        runsvdir, one runsv per child (Debian's runit)
 *   supervisord  Python's supervisor (Debian's supervisor), one process
 *   ninesd       ./ninesd with exec: children, or .so workers (trivial.so),
 *                as it runs by default or with --no-spare
 *
 * Every child but the .so workers is bench/peer_child, which says it runs
 * on the supervisor's datagram socket; a .so worker is running when
 * ninesd logs child_started (after its init returned).
 */
#ifndef NINES_BENCH_PEERS_SUP_H
#define NINES_BENCH_PEERS_SUP_H

#include <stdbool.h>
#include <sys/types.h>

#include "bench_common.h"

enum peer_kind { PEER_S6, PEER_RUNIT, PEER_SUPERVISORD, PEER_NINES_EXEC, PEER_NINES_SO, PEER_NINES_SO_COLD };

#define PEER_MAX_CHILDREN 1000

struct peer_sup {
    enum peer_kind kind;
    const char *name;
    char dir[64];
    int sock;                 /* where peer_child says it runs, -1 for .so */
    pid_t top;                /* the supervisor's first process */
    bool nines;
    struct bench_daemon d;    /* for ninesd */
    int n;                    /* children */
    pid_t child[PEER_MAX_CHILDREN];
    double started_us[PEER_MAX_CHILDREN];
};

const char *peer_kind_name(enum peer_kind k);

/* Start `k` on n children; false (with a message) if it cannot be run. */
bool peer_start(struct peer_sup *s, enum peer_kind k, int n);
/* Wait for the next child that runs: its index (its pid in s->child), or
 * -1 after timeout_ms. */
int peer_wait(struct peer_sup *s, int timeout_ms);
/* Wait until every child runs at least once. */
bool peer_wait_all(struct peer_sup *s, int timeout_ms);
/* RSS and PSS of the supervisor's own processes (every descendant of its
 * first process that is not a child it supervises), KiB. */
void peer_memory(const struct peer_sup *s, long *rss_kib, long *pss_kib, int *procs);
/* Kill the supervisor and everything it started, remove its folder. */
void peer_stop(struct peer_sup *s);

#endif
