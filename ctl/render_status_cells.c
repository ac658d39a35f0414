/*
 * render_status_cells.c — the cells of `ninesctl status` that answer
 * "what is wrong": the state as health says it (degraded, failed,
 * stopped), a supervisor's restarts in its window against its limit, the
 * last exit and how long ago, and on request CPU time and memory. Pure:
 * the time is given.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "render.h"
#include "render_internal.h"

/* Running but troubled says degraded; down says failed or stopped (what
 * "idle" hid); the moving states stay as they are. */
const char *ctl_status_state_text(const struct ctl_record *r) {
    const char *state = ctl_record_value(r, "state"), *health = ctl_record_value(r, "health");
    if (!state || !health)
        return state;
    if (strcmp(state, "idle") == 0 && (strcmp(health, "failed") == 0 || strcmp(health, "stopped") == 0))
        return health;
    if (strcmp(state, "running") == 0 && strcmp(health, "degraded") == 0)
        return health;
    if (strcmp(state, "running") == 0 && ctl_record_value(r, "upgrading"))
        return "upgrading"; /* a live upgrade sent, not answered yet */
    return state;
}

/* Green running, yellow on the move or degraded, red failed; a stopped
 * child is red when it should run (permanent), dim otherwise. */
const char *ctl_status_state_color(const struct ctl_record *r) {
    const char *state = ctl_status_state_text(r), *restart = ctl_record_value(r, "restart");
    if (!state)
        return NULL;
    if (strcmp(state, "running") == 0)
        return CTL_GREEN;
    if (strcmp(state, "starting") == 0 || strcmp(state, "stopping") == 0 || strcmp(state, "restarting") == 0 ||
        strcmp(state, "degraded") == 0 || strcmp(state, "backoff") == 0)
        return CTL_YELLOW;
    if (strcmp(state, "failed") == 0)
        return CTL_RED;
    if (strcmp(state, "idle") == 0 || strcmp(state, "stopped") == 0)
        return !restart || strcmp(restart, "permanent") == 0 ? CTL_RED : CTL_DIM;
    return NULL;
}

/* "2/3 in 5s" for a supervisor; NULL for others. */
char *ctl_status_window_cell(const struct ctl_record *r) {
    const char *w = ctl_record_value(r, "window_restarts"), *i = ctl_record_value(r, "intensity"),
               *p = ctl_record_value(r, "period_ms");
    if (!w || !i || !p)
        return ctl_cell(NULL);
    char period[32], *s = NULL;
    ctl_format_uptime(strtoull(p, NULL, 10), period, sizeof period);
    if (asprintf(&s, "%s/%s in %s", w, i, period) < 0)
        return NULL;
    char *cell = ctl_cell(s);
    free(s);
    return cell;
}

/* "2026-12-03T09:58:01.123Z" as milliseconds since the epoch; 0 if not. */
static int64_t parse_utc_ms(const char *at) {
    struct tm tm = {0};
    const char *rest = at ? strptime(at, "%Y-%m-%dT%H:%M:%S", &tm) : NULL;
    if (!rest)
        return 0;
    int ms = 0;
    if (rest[0] == '.')
        ms = atoi(rest + 1);
    return (int64_t)timegm(&tm) * 1000 + ms;
}

/* "killed by SIGSEGV, 12s ago"; "-" when it never ended. */
char *ctl_status_exit_cell(const struct ctl_record *r, int64_t now_ms) {
    const char *why = ctl_record_value(r, "last_exit");
    if (!why)
        return ctl_cell(NULL);
    int64_t at = parse_utc_ms(ctl_record_value(r, "last_exit_at"));
    char age[32] = "", *s = NULL;
    if (at > 0)
        ctl_format_uptime(now_ms > at ? (uint64_t)(now_ms - at) : 0, age, sizeof age);
    if (asprintf(&s, at > 0 ? "%s, %s ago" : "%s", why, age) < 0)
        return NULL;
    char *cell = ctl_cell(s);
    free(s);
    return cell;
}

/* "1.25s" of CPU. */
char *ctl_status_cpu_cell(const struct ctl_record *r) {
    const char *v = ctl_record_value(r, "cpu_ms");
    if (!v)
        return ctl_cell(NULL);
    char buf[32];
    uint64_t ms = strtoull(v, NULL, 10);
    snprintf(buf, sizeof buf, "%" PRIu64 ".%02" PRIu64 "s", ms / 1000, ms % 1000 / 10);
    return ctl_cell(buf);
}

static void format_kib(uint64_t kib, char *buf, size_t size) {
    if (kib < 1024)
        snprintf(buf, size, "%" PRIu64 "K", kib);
    else if (kib < 1024 * 1024)
        snprintf(buf, size, "%" PRIu64 ".%" PRIu64 "M", kib / 1024, kib % 1024 * 10 / 1024);
    else
        snprintf(buf, size, "%" PRIu64 ".%" PRIu64 "G", kib >> 20, (kib & 0xfffff) * 10 >> 20);
}

/* "RSS/PSS", e.g. "4.1M/1.2M"; PSS left out when unknown. */
char *ctl_status_mem_cell(const struct ctl_record *r) {
    const char *rss = ctl_record_value(r, "rss_kib"), *pss = ctl_record_value(r, "pss_kib");
    if (!rss)
        return ctl_cell(NULL);
    char a[24], b[24], buf[64];
    format_kib(strtoull(rss, NULL, 10), a, sizeof a);
    if (pss) {
        format_kib(strtoull(pss, NULL, 10), b, sizeof b);
        snprintf(buf, sizeof buf, "%s/%s", a, b);
    } else {
        snprintf(buf, sizeof buf, "%s", a);
    }
    return ctl_cell(buf);
}
