/*
 * control_limits.h — how many control connections ninesd keeps and for
 * how long an idle one may stay (issue 16). Pure.
 *
 * A connection is idle while it has no request in flight, does not follow
 * events and has nothing left to write. Idle connections are closed after
 * the idle timeout; at the cap, a new connection takes the place of the
 * longest idle one (so idle clients cannot keep `ninesctl status` out), and
 * is refused only when every connection is working.
 */
#ifndef NINES_CONTROL_LIMITS_H
#define NINES_CONTROL_LIMITS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CONTROL_MAX_CONNECTIONS 256     /* ninesd --max-connections */
#define CONTROL_IDLE_TIMEOUT_MS 60000   /* ninesd --idle-timeout, in seconds there */
#define CONTROL_ACCEPT_BUDGET 64        /* connections accepted per readiness event */
#define CONTROL_ACCEPT_PAUSE_MS 100     /* out of descriptors, nothing idle: wait this long */

enum control_admit {
    CONTROL_ADMIT,       /* room: take it */
    CONTROL_ADMIT_EVICT, /* full: close the longest idle one, then take it */
    CONTROL_REFUSE,      /* full of working connections: say so and close it */
};

enum control_admit control_admit(size_t n_conns, size_t max_conns, bool have_idle);
bool control_conn_idle(bool busy, bool following, bool out_pending);
/* A connection with an answer waiting (`waiting`) whose socket has taken
 * nothing since took_ms, for idle_ms (0: never), does not read: it is
 * closed, so that a client cannot hold ninesd's memory or a status. */
bool control_stalled(bool waiting, uint64_t now_ms, uint64_t took_ms, uint64_t idle_ms);
/* idle_ms 0: never expires. */
bool control_idle_expired(uint64_t now_ms, uint64_t last_ms, uint64_t idle_ms);

#endif /* NINES_CONTROL_LIMITS_H */
