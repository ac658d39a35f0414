/*
 * health.c — a node's health (health.h): pure, unit-tested.
 */
#include "health.h"

static int rank(enum nines_health h) {
    switch (h) {
    case NINES_HEALTH_FAILED:
        return 3;
    case NINES_HEALTH_DEGRADED:
        return 2;
    case NINES_HEALTH_STOPPED:
        return 1;
    default:
        return 0;
    }
}

enum nines_health nines_health_worse(enum nines_health a, enum nines_health b) {
    return rank(b) > rank(a) ? b : a;
}

static enum nines_health down_health(const struct health_input *in) {
    if (in->has_exit && in->exit_troubled)
        return NINES_HEALTH_FAILED;
    return NINES_HEALTH_STOPPED;
}

enum nines_health nines_health_of(const struct health_input *in) {
    if (!in->running)
        return down_health(in);
    bool recent_crash = in->has_exit && in->exit_troubled && in->exit_age_ms <= in->period_ms;
    /* A stopped child below a running supervisor is the operator's doing
     * (terminate) or a finished temporary: not the supervisor's trouble. */
    enum nines_health below = in->worst_below == NINES_HEALTH_STOPPED ? NINES_HEALTH_OK : in->worst_below;
    if (recent_crash || in->window_restarts > 0 || below != NINES_HEALTH_OK)
        return NINES_HEALTH_DEGRADED;
    return NINES_HEALTH_OK;
}

const char *nines_health_name(enum nines_health h) {
    switch (h) {
    case NINES_HEALTH_DEGRADED:
        return "degraded";
    case NINES_HEALTH_FAILED:
        return "failed";
    case NINES_HEALTH_STOPPED:
        return "stopped";
    default:
        return "ok";
    }
}
