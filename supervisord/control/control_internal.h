/*
 * control_internal.h — what the control socket's files share.
 */
#ifndef NINES_CONTROL_INTERNAL_H
#define NINES_CONTROL_INTERNAL_H

#include <sys/un.h>

#include "control.h"
#include "control_limits.h"
#include "control_policy.h"

struct control_conn {
    struct daemon *d;
    struct control_conn *next, *prev;
    uint64_t id;
    int fd;
    sd_event_source *src;
    enum control_access access;
    struct control_peer peer;
    struct ctl_decoder in;
    uint8_t *out;
    size_t out_off, out_len, out_cap;
    bool busy;      /* a request is being answered: read no other */
    bool following; /* events --follow: gets every new report */
    bool dead;      /* broken or too slow: freed once out of the current call */
    uint64_t last_ms; /* its last request or answer: the idle clock (control_limits.h) */
    uint64_t took_ms; /* when its socket last took bytes, or an answer began: the stall clock */
    struct control_status *status; /* a status answered as the socket takes it, or NULL */
};

/* control_status.c: status records, written into a chunk that is sent as
 * a DATA frame when the next record might not fit. */
#define RECORD_MAX 4096 /* a record is cut there */
struct status_chunk {
    struct control_conn *c;
    char *buf;
    size_t used, size;               /* size >= RECORD_MAX */
    bool resources;        /* CPU and memory from /proc, on request */
    const uint8_t *health; /* by node, decided when the status began: 2 bits each (status_health_of) */
    size_t n_health;
    uint64_t now_ms; /* one clock for every record */
};
void control_status_record(struct daemon *d, struct status_chunk *o, engine_node n, unsigned depth);

/* Health by node number, four to a byte (enum nines_health has four
 * values): what a status in progress keeps of every node, 2 bits where
 * an enum each was 32. */
static inline enum nines_health status_health_of(const uint8_t *h, size_t n_health, engine_node n) {
    return n < n_health ? (enum nines_health)((h[n / 4] >> (n % 4 * 2)) & 3) : NINES_HEALTH_OK;
}

/* The health walk (control_health_walk) with the count of nodes it saw. */
enum nines_health control_health_walk_count(struct daemon *d, engine_node n, enum nines_health *out, size_t *count);
void control_status_chunk_send(struct status_chunk *o);

/* control_status_job.c: a status of any size in bounded memory. It
 * decides the health of every node when asked, then walks the tree as the
 * client reads (conn's EPOLLOUT), showing the nodes that were there when
 * asked and still are, and ends with the END. */
void control_status_start(struct daemon *d, struct control_conn *c, engine_node node, bool resources);
void control_status_pump(struct control_conn *c); /* more records, if the socket takes them */
void control_status_free(struct control_status *s);

/* An engine request waiting for its ENGINE_ACT_REPLY, and who asked. */
struct pending_op {
    uint64_t request_id;
    uint64_t conn_id;
    enum engine_request_kind kind;
};

/* The history of reports `events` shows: a ring of logfmt lines. */
#define CONTROL_HISTORY 1000

struct control {
    int fd;
    sd_event_source *src;
    char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
    bool bound;
    struct control_rules rules;
    struct control_conn *conns;
    size_t n_conns, max_conns;    /* control_limits.h */
    uint64_t idle_ms;             /* 0: idle connections stay */
    sd_event_source *idle_timer;  /* closes expired idle connections */
    sd_event_source *accept_pause; /* out of descriptors: the listener rests */
    sd_event_source *reaper; /* frees connections marked dead */
    uint64_t next_id;
    struct pending_op *ops;
    size_t n_ops, cap_ops;
    char *history[CONTROL_HISTORY];
    size_t history_next, history_len;
};

/* control_conn.c */
int control_on_accept(sd_event_source *s, int fd, uint32_t revents, void *userdata);
int control_limits_start(struct daemon *d); /* the idle sweep */
void conn_want_write(struct control_conn *c); /* output is queued */
bool conn_flush(struct control_conn *c);      /* write what the socket takes now; false: broken */
void conn_resume(struct control_conn *c);     /* the request is done: read the next */
void conn_free(struct control_conn *c);
void conn_close_now(struct control_conn *c); /* answer what is pending, flush, free */

/* control.c: mark dead and free it from the loop. */
void control_kill_conn(struct control_conn *c);
/* The same for a client that does not read, with a log record (event
 * control_client_dropped) naming its pid, its uid and `why`. */
void control_cut_off(struct control_conn *c, const char *why);

/* control_events.c: the log tap. */
void control_on_log_record(void *userdata, const char *event, const char *line, size_t len);

#endif /* NINES_CONTROL_INTERNAL_H */
