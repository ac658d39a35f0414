/*
 * upgrade_internal.h — what upgrade.c (requests and results) and
 * rollback.c (hand-offs and bringing a worker back) share.
 */
#ifndef NINES_UPGRADE_INTERNAL_H
#define NINES_UPGRADE_INTERNAL_H

#include <stdarg.h>
#include <stdbool.h>

#include "upgrade.h"

/* A request waits (unsent, no gen) only behind one in flight for the
 * same node; the end of that one's process finishes it and, through
 * start_next, every one behind it ("not running"), before the engine
 * hears of the end: a node's requests never outlive it, so its number
 * is never reused under them. */
struct upgrade_req {
    struct upgrade_req *next;
    engine_node node;
    uint64_t gen;     /* the incarnation asked to swap, once sent */
    uint64_t conn_id; /* who asked */
    char *module, *extra;
    char from[64];
    bool sent;
    upgrade_done_fn done; /* the release handler waits, not a connection */
    void *cookie;
    uint64_t pause_us;
    enum upgrade_outcome outcome; /* what finish() counts unless it succeeded (counters.h) */
    struct daemon *d;
    sd_event_source *timer; /* the child's swap_timeout, once sent */
    uint64_t timeout_ms;
    bool timed_out;         /* it expired: the worker was killed */
};

/* A module path and the one that replaces it (upgrade_remap_module). */
struct module_remap {
    char *from, *to;
};

/* What a worker handed over before its code_change: enough to bring it
 * back on the old code with its state and its connections. */
struct handoff {
    struct handoff *next;
    engine_node node; /* with gen: every use compares it; dropped at the end of that process */
    uint64_t gen;
    struct nines_handoff_fd *table;
    int *fds;
    size_t n, cap;
    bool complete; /* HANDOFF_STATE arrived */
    struct nines_handoff_state state;
    struct nines_handoff_timer *timers;
    struct nines_handoff_call *calls; /* the worker's outstanding nines_call()s */
    size_t n_calls;
    int memfd;
    int superseded_memfd; /* the snapshot of the hand-off this one replaced,
                           * closed once this upgrade's pause is over, or -1 */
    char *old_module;    /* the module to come back on */
    uint64_t expires_ms; /* 0 while the upgrade is in flight; then the end of
                          * a stale restore's window and of "right after" */
    bool took_input;     /* the new code had its first callback: the
                          * snapshot is stale (NINES_MSG_TOOK_INPUT) */
    char cause[400];
};

struct upgrades {
    struct handoff *handoffs;
    sd_event_source *expiry;
    struct upgrade_req *head, *tail; /* all requests, in order */
    char **modules;                  /* by node: the module upgraded to, or NULL */
    size_t n_modules;
    struct module_remap *remaps;     /* release upgrades: tree module -> module now */
    size_t n_remaps;
    char **templates;                /* by dynamic supervisor: its children's module, or NULL */
    size_t n_templates;
    struct upgrade_all *alls;        /* upgrades of every child of a dynamic supervisor (upgrade_all.c) */
};

struct upgrades *state_of(struct daemon *d);
int remember_module(struct daemon *d, engine_node node, const char *module);
void log_upgrade(int prio, const char *event, struct daemon *d, const struct upgrade_req *r, const char *to,
                 const char *why, const char *msg, const char *pause, const char *bytes, const char *steps);
struct upgrade_req *in_flight(struct upgrades *u, engine_node node);
/* Answer the operator, drop the request, go on with the next for that child. */
void finish(struct daemon *d, struct upgrade_req *r, enum ctl_status st, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* upgrade_all.c */
void upgrade_all_free_all(struct daemon *d);

/* rollback.c */
void keep_for_window(struct daemon *d, engine_node node); /* after a successful swap */
void drop_handoff(struct daemon *d, engine_node node);
void rollback_free_all(struct daemon *d);

#endif /* NINES_UPGRADE_INTERNAL_H */
