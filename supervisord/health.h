/*
 * health.h — what `ninesctl status` answers to "what is wrong": a node's
 * health from its state and its last exit, decided without the system.
 *
 *   ok        running with no recent crash, or stopped as it should be
 *   degraded  running (or starting again) but it crashed within its
 *             supervisor's period: crash-looping or just recovered; a
 *             supervisor with a degraded or failed node below it, or
 *             restarts in its window
 *   failed    not running after a crash, a failed start or giving up
 *             (waiting for a retry, or left down by its supervisor)
 *   stopped   not running after a clean exit, an operator's terminate, or
 *             never started (a temporary child that finished is ok here)
 */
#ifndef NINES_HEALTH_H
#define NINES_HEALTH_H

#include <stdbool.h>
#include <stdint.h>

enum nines_health { NINES_HEALTH_OK, NINES_HEALTH_DEGRADED, NINES_HEALTH_FAILED, NINES_HEALTH_STOPPED };

struct health_input {
    bool running;        /* running, starting, restarting: a process is (or is being) there */
    bool has_exit;       /* it ended at least once */
    bool exit_troubled;  /* that end was abnormal, a failed start, or a supervisor giving up */
    uint64_t exit_age_ms; /* how long ago */
    uint64_t period_ms;  /* its supervisor's period (the window a crash counts in) */
    unsigned window_restarts; /* supervisors: restarts in their own window */
    enum nines_health worst_below; /* supervisors: the worst health of their children */
};

enum nines_health nines_health_of(const struct health_input *in);
/* The worse of two (failed > degraded > stopped > ok, for a parent's view). */
enum nines_health nines_health_worse(enum nines_health a, enum nines_health b);
const char *nines_health_name(enum nines_health h); /* "ok", "degraded", ... */

#endif
