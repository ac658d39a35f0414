/*
 * render_status_cells.c — the cells of `ninesctl status` that answer
 * "what is wrong": the state as health says it (degraded, failed,
 * stopped), a supervisor's restarts in its window against its limit, the
 * last exit and how long ago, what ninesd dropped or refused for it, and
 * on request CPU time and memory. Pure: the time is given.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "render.h"
#include "render_internal.h"

static bool is(const char *s, const char *word) {
    return s[0] == word[0] && strcmp(s, word) == 0;
}

/* Running but troubled says degraded; down says failed or stopped (what
 * "idle" hid); the moving states stay as they are. */
static const char *state_word(const char *state, const char *health, const char *upgrading) {
    if (!state || !health)
        return state;
    if (is(state, "idle") && (is(health, "failed") || is(health, "stopped")))
        return health;
    if (is(state, "running") && is(health, "degraded"))
        return health;
    if (is(state, "running") && upgrading)
        return "upgrading"; /* a live upgrade sent, not answered yet */
    return state;
}

/* Green running, yellow on the move or degraded, red failed; a stopped
 * child is red when it should run (permanent), dim otherwise. */
static const char *color_of(const char *state, const char *restart) {
    if (!state)
        return NULL;
    if (is(state, "running"))
        return CTL_GREEN;
    if (is(state, "starting") || is(state, "stopping") || is(state, "restarting") || is(state, "degraded") ||
        is(state, "backoff"))
        return CTL_YELLOW;
    if (is(state, "failed"))
        return CTL_RED;
    if (is(state, "idle") || is(state, "stopped"))
        return !restart || is(restart, "permanent") ? CTL_RED : CTL_DIM;
    return NULL;
}

const char *ctl_status_state_text(const struct ctl_record *r) {
    return state_word(ctl_record_value(r, "state"), ctl_record_value(r, "health"), ctl_record_value(r, "upgrading"));
}

const char *ctl_status_state_color(const struct ctl_record *r) {
    return color_of(ctl_status_state_text(r), ctl_record_value(r, "restart"));
}

const char *ctl_status_view_state(const struct ctl_status_view *v) {
    return state_word(v->v[CTL_V_STATE], v->v[CTL_V_HEALTH], v->v[CTL_V_UPGRADING]);
}

const char *ctl_status_view_color(const struct ctl_status_view *v) {
    return color_of(ctl_status_view_state(v), v->v[CTL_V_RESTART]);
}

/* "2/3 in 5s" for a supervisor; "-" for others. */
char *ctl_status_window_cell(struct ctl_table *t, const struct ctl_status_view *v) {
    const char *w = v->v[CTL_V_WINDOW], *i = v->v[CTL_V_INTENSITY], *p = v->v[CTL_V_PERIOD];
    if (!w || !i || !p)
        return ctl_table_text(t, NULL);
    char period[32];
    ctl_format_uptime(strtoull(p, NULL, 10), period, sizeof period);
    const char *parts[] = {w, "/", i, " in ", period};
    return ctl_table_join(t, parts, 5);
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
char *ctl_status_exit_cell(struct ctl_table *t, const struct ctl_status_view *v, int64_t now_ms) {
    const char *why = v->v[CTL_V_LAST_EXIT];
    if (!why)
        return ctl_table_text(t, NULL);
    int64_t at = parse_utc_ms(v->v[CTL_V_LAST_EXIT_AT]);
    char age[32] = "";
    if (at > 0)
        ctl_format_uptime(now_ms > at ? (uint64_t)(now_ms - at) : 0, age, sizeof age);
    const char *parts[] = {why, at > 0 ? ", " : NULL, at > 0 ? age : NULL, at > 0 ? " ago" : NULL};
    return ctl_table_join(t, parts, 4);
}

/* "1.25s" of CPU. */
char *ctl_status_cpu_cell(struct ctl_table *t, const struct ctl_status_view *v) {
    const char *c = v->v[CTL_V_CPU];
    if (!c)
        return ctl_table_text(t, NULL);
    char buf[32];
    uint64_t ms = strtoull(c, NULL, 10);
    snprintf(buf, sizeof buf, "%" PRIu64 ".%02" PRIu64 "s", ms / 1000, ms % 1000 / 10);
    return ctl_table_text(t, buf);
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
char *ctl_status_mem_cell(struct ctl_table *t, const struct ctl_status_view *v) {
    const char *rss = v->v[CTL_V_RSS], *pss = v->v[CTL_V_PSS];
    if (!rss)
        return ctl_table_text(t, NULL);
    char a[24], b[24];
    format_kib(strtoull(rss, NULL, 10), a, sizeof a);
    if (pss)
        format_kib(strtoull(pss, NULL, 10), b, sizeof b);
    const char *parts[] = {a, pss ? "/" : NULL, pss ? b : NULL};
    return ctl_table_join(t, parts, 3);
}

/* The drop and refusal counts (doc/control-protocol.md), as the DROPS
 * cell says them. */
static const struct {
    int view;
    const char *key, *one, *many;
} drops[] = {
    {CTL_V_CASTS_DROPPED, "casts_dropped", "cast dropped", "casts dropped"},
    {CTL_V_CASTS_REFUSED, "casts_refused", "cast refused", "casts refused"},
    {CTL_V_ANSWERS_DROPPED, "answers_dropped", "answer dropped", "answers dropped"},
    {CTL_V_ANSWERS_LOST, "answers_lost", "answer lost", "answers lost"},
};

/* A count above 0: digits, not all zeros. */
static bool above_zero(const char *v) {
    return v && v[0] >= '0' && v[0] <= '9' && strspn(v, "0") != strlen(v);
}

/* One pass over the record's fields: the column is chosen from every
 * record, and most have none of these keys above 0. */
bool ctl_status_has_drops(const struct ctl_record *r) {
    for (int i = 0; i < r->n; i++) {
        const char *k = r->fields[i].key;
        if ((k[0] != 'c' && k[0] != 'a') || !above_zero(r->fields[i].value))
            continue;
        for (size_t j = 0; j < sizeof drops / sizeof drops[0]; j++)
            if (strcmp(k, drops[j].key) == 0)
                return true;
    }
    return false;
}

/* "3 casts dropped, 1 answer lost"; "-" when nothing was. */
char *ctl_status_drops_cell(struct ctl_table *t, const struct ctl_status_view *v) {
    char buf[256];
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < sizeof drops / sizeof drops[0]; i++) {
        const char *s = v->v[drops[i].view];
        uint64_t n = s ? strtoull(s, NULL, 10) : 0;
        int k = n ? snprintf(buf + used, sizeof buf - used, "%s%" PRIu64 " %s", used ? ", " : "", n,
                             n == 1 ? drops[i].one : drops[i].many)
                  : 0;
        if (k > 0 && (size_t)k < sizeof buf - used)
            used += (size_t)k;
    }
    return ctl_table_text(t, buf);
}
