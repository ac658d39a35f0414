/*
 * control.h — the control socket: where ninesctl (and any client of
 * doc/control-protocol.md) sees and steers the running tree.
 *
 * The socket and every connection are sources of ninesd's one loop; no
 * client can block the daemon: requests are read as they come, answers
 * are queued and written when the socket is writable, and a client that
 * does not read its answers (beyond a bound) is disconnected. Each
 * connection handles one request at a time; one that needs the tree to
 * act (a restart, a call) is answered when the engine or the worker
 * answers, from control_on_reply() or the call router.
 */
#ifndef NINES_CONTROL_H
#define NINES_CONTROL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ctl_proto.h"
#include "daemon.h"
#include "health.h"

struct control_options {
    const char *socket_path; /* NULL: the default (ctl_path.h) */
    const char *group;       /* NULL: no read-only group */
    size_t max_connections;  /* 0: CONTROL_MAX_CONNECTIONS (control_limits.h) */
    int64_t idle_timeout_ms; /* 0: CONTROL_IDLE_TIMEOUT_MS; < 0: never */
};

/* Create the socket and start serving. 0 or -errno, with `why` saying
 * what failed (e.g. "another ninesd serves /run/nines/control.sock"). */
int control_open(struct daemon *d, const struct control_options *opt, char *why, size_t why_size);
/* Close every connection (answering SHUTTING_DOWN where a request is
 * pending) and remove the socket. */
void control_close(struct daemon *d);

/* An engine ENGINE_ACT_REPLY: finish the request it answers. */
void control_on_reply(struct daemon *d, const struct engine_reply *r);

/* --- for the command handlers ------------------------------------------- */

struct control_conn;

/* The connection with this id, if it is still open. */
struct control_conn *control_conn_find(struct daemon *d, uint64_t id);
uint64_t control_conn_id(const struct control_conn *c);
/* Queue a DATA frame. */
void control_send_data(struct control_conn *c, const void *payload, size_t len);
/* Queue the END frame: the request is done, the next one may be read. */
void control_send_end(struct control_conn *c, enum ctl_status st, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Keep the connection as a follower of events (until it closes). */
void control_follow(struct control_conn *c);

/* control_cmds.c: run one request (argv[0] is the command). The handler
 * answers now (control_send_end) or later. */
void control_dispatch(struct daemon *d, struct control_conn *c, int argc, const char **argv);
/* Whether the daemon carries out `request` (a row of ctl_requests.h). */
bool control_handles(const char *request);

/* control_events.c: the history of supervisor reports, and followers. */
void control_events_record(struct daemon *d, const char *line, size_t len);
void control_events_send_history(struct daemon *d, struct control_conn *c);
void control_events_free(struct daemon *d);

/* `metrics`: the Prometheus text exposition of the tree (control_metrics.c). */
void control_metrics_send(struct daemon *d, struct control_conn *c);
/* Each node's health below and at n into out (by node; room for
 * d->n_nodes), as status shows it; metrics says the same. */
enum nines_health control_health_walk(struct daemon *d, engine_node n, enum nines_health *out);

#endif /* NINES_CONTROL_H */
