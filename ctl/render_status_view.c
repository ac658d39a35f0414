/*
 * render_status_view.c — the values of a status record the table shows,
 * taken in one pass over its fields (see render_internal.h): asking each
 * of 10,000 records for twenty keys one at a time was a sixth of
 * `ninesctl status`.
 */
#include <string.h>

#include "records.h"
#include "render_internal.h"

static const char *const view_key[CTL_V_N] = {
    [CTL_V_PATH] = "path",           [CTL_V_ARGS] = "args",
    [CTL_V_DEPTH] = "depth",         [CTL_V_KIND] = "kind",
    [CTL_V_STATE] = "state",         [CTL_V_HEALTH] = "health",
    [CTL_V_UPGRADING] = "upgrading", [CTL_V_RESTART] = "restart",
    [CTL_V_PID] = "pid",             [CTL_V_VERSION] = "version",
    [CTL_V_UPTIME] = "uptime_ms",    [CTL_V_RESTARTS] = "restarts",
    [CTL_V_WINDOW] = "window_restarts", [CTL_V_INTENSITY] = "intensity",
    [CTL_V_PERIOD] = "period_ms",    [CTL_V_LAST_EXIT] = "last_exit",
    [CTL_V_LAST_EXIT_AT] = "last_exit_at", [CTL_V_CPU] = "cpu_ms",
    [CTL_V_RSS] = "rss_kib",         [CTL_V_PSS] = "pss_kib",
    [CTL_V_CASTS_DROPPED] = "casts_dropped", [CTL_V_CASTS_REFUSED] = "casts_refused",
    [CTL_V_ANSWERS_DROPPED] = "answers_dropped", [CTL_V_ANSWERS_LOST] = "answers_lost",
};

/* Which value an interned key is, by the key's number: 0 not looked at
 * yet, -1 none, else the value's index + 1. */
static int slot_of(const char *interned) {
    static signed char slot[CTL_KEYS_MAX];
    signed char *s = &slot[ctl_key_index(interned)];
    if (!*s) {
        *s = -1;
        for (int k = 0; k < CTL_V_N; k++)
            if (strcmp(view_key[k], interned) == 0)
                *s = (signed char)(k + 1);
    }
    return *s;
}

void ctl_status_view(const struct ctl_record *r, struct ctl_status_view *out) {
    *out = (struct ctl_status_view){0};
    if (!r->interned) { /* keys as text (records.h): ask for each */
        for (int k = 0; k < CTL_V_N; k++)
            out->v[k] = ctl_record_value(r, view_key[k]);
        return;
    }
    for (int i = 0; i < r->n; i++) {
        int s = slot_of(r->fields[i].key);
        if (s > 0 && !out->v[s - 1]) /* the first, as ctl_record_value */
            out->v[s - 1] = r->fields[i].value;
    }
}
