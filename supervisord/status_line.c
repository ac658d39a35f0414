/*
 * status_line.c — the STATUS= text (status_line.h): pure, unit-tested.
 */
#include "status_line.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

bool status_is_looping(uint64_t prev_trouble_ms, uint64_t now_ms, uint64_t period_ms) {
    return prev_trouble_ms && now_ms >= prev_trouble_ms && now_ms - prev_trouble_ms <= period_ms;
}

static int weight(const struct status_trouble *t) {
    if (t->looping)
        return 3;
    return t->health == NINES_HEALTH_FAILED ? 2 : 1;
}

void status_line_keep(struct status_trouble *kept, size_t *n_kept, const struct status_trouble *t) {
    size_t at = *n_kept;
    while (at > 0 && weight(&kept[at - 1]) < weight(t))
        at--;
    if (at >= STATUS_LINE_NAMED)
        return;
    size_t n = *n_kept < STATUS_LINE_NAMED ? *n_kept : STATUS_LINE_NAMED - 1;
    memmove(&kept[at + 1], &kept[at], (n - at) * sizeof *kept);
    kept[at] = *t;
    *n_kept = n + 1;
}

static const char *state_word(const struct status_trouble *t) {
    if (t->looping)
        return "crash-looping";
    return nines_health_name(t->health);
}

/* Append to buf at *used; a text that does not fit is cut. */
__attribute__((format(printf, 4, 5))) static void add(char *buf, size_t size, size_t *used, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int len = *used < size ? vsnprintf(buf + *used, size - *used, fmt, ap) : 0;
    va_end(ap);
    if (len > 0)
        *used = *used + (size_t)len >= size ? size - 1 : *used + (size_t)len;
}

void status_line_render(size_t children, size_t troubled, const struct status_trouble *kept, size_t named,
                        char *buf, size_t size) {
    if (!troubled || !named) {
        snprintf(buf, size, "running %zu children", children);
        return;
    }
    size_t used = 0;
    buf[0] = '\0';
    add(buf, size, &used, "%s:", kept[0].looping ? "crash-looping" : "degraded");
    for (size_t i = 0; i < named; i++) {
        add(buf, size, &used, "%s %s %s", i ? "," : "", kept[i].path, state_word(&kept[i]));
        if (kept[i].why && kept[i].why[0])
            add(buf, size, &used, " (%s)", kept[i].why);
    }
    if (troubled > named)
        add(buf, size, &used, " and %zu more", troubled - named);
    add(buf, size, &used, "; %zu of %zu children in trouble", troubled, children);
}
