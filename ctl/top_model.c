/*
 * top_model.c — rows, CPU shares and orders of `ninesctl top`
 * (top_model.h). Pure.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "render_internal.h"
#include "top_model.h"

static uint64_t number(const struct ctl_record *r, const char *key) {
    const char *v = ctl_record_value(r, key);
    return v ? strtoull(v, NULL, 10) : 0;
}

static const struct top_row *find_prev(const struct top_sample *prev, const char *path, int pid) {
    for (size_t i = 0; prev && path && i < prev->n; i++)
        if (prev->rows[i].path && strcmp(prev->rows[i].path, path) == 0)
            return prev->rows[i].pid == pid ? &prev->rows[i] : NULL; /* a new process starts afresh */
    return NULL;
}

static int cpu_share(const struct top_row *now, const struct top_row *before, int64_t elapsed_ms) {
    if (!before || elapsed_ms <= 0 || now->pid == 0 || now->cpu_ms < before->cpu_ms)
        return -1;
    return (int)((now->cpu_ms - before->cpu_ms) * 1000 / (uint64_t)elapsed_ms);
}

int top_sample_build(struct top_sample *s, const struct ctl_records *rs, int64_t at_ms,
                     const struct top_sample *prev) {
    *s = (struct top_sample){.at_ms = at_ms};
    s->rows = calloc(rs->n ? rs->n : 1, sizeof *s->rows);
    if (!s->rows)
        return -ENOMEM;
    for (size_t i = 0; i < rs->n; i++) {
        const struct ctl_record *r = &rs->v[i];
        struct top_row *row = &s->rows[s->n++];
        *row = (struct top_row){
            .path = ctl_record_value(r, "path"),
            .kind = ctl_record_value(r, "kind"),
            .record = r,
            .state = ctl_status_state_text(r), /* degraded, failed, stopped: as status says it */
            .last_exit = ctl_record_value(r, "last_exit"),
            .pid = (int)number(r, "pid"),
            .cpu_ms = number(r, "cpu_ms"),
            .rss_kib = number(r, "rss_kib"),
            .restarts = number(r, "restarts"),
            .queued = number(r, "queued"),
            .order = i,
        };
        row->cpu_permille = cpu_share(row, find_prev(prev, row->path, row->pid), prev ? at_ms - prev->at_ms : 0);
    }
    return 0;
}

static enum top_sort sort_key;

static uint64_t key_of(const struct top_row *r) {
    switch (sort_key) {
    case TOP_SORT_CPU:
        return r->cpu_permille < 0 ? 0 : (uint64_t)r->cpu_permille + 1;
    case TOP_SORT_MEM:
        return r->rss_kib;
    case TOP_SORT_RESTARTS:
        return r->restarts;
    case TOP_SORT_QUEUED:
        return r->queued;
    default:
        return 0;
    }
}

/* Largest first; ties (and the tree order) in the tree's order. */
static int compare(const void *pa, const void *pb) {
    const struct top_row *a = pa, *b = pb;
    uint64_t ka = key_of(a), kb = key_of(b);
    if (ka != kb)
        return ka > kb ? -1 : 1;
    return a->order < b->order ? -1 : a->order > b->order;
}

void top_sample_sort(struct top_sample *s, enum top_sort key) {
    sort_key = key;
    qsort(s->rows, s->n, sizeof *s->rows, compare);
}

void top_sample_free(struct top_sample *s) {
    free(s->rows);
    *s = (struct top_sample){0};
}

int top_sort_for_key(int key) {
    switch (key) {
    case 'c':
        return TOP_SORT_CPU;
    case 'm':
        return TOP_SORT_MEM;
    case 'r':
        return TOP_SORT_RESTARTS;
    case 'u':
        return TOP_SORT_QUEUED;
    case 't':
        return TOP_SORT_TREE;
    default:
        return -1;
    }
}

const char *top_sort_name(enum top_sort key) {
    static const char *const names[] = {"tree", "cpu", "mem", "restarts", "queued"};
    return (unsigned)key < sizeof names / sizeof names[0] ? names[key] : "tree";
}
