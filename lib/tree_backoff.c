/*
 * tree_backoff.c — a worker's `backoff:` key: how long its restarts wait
 * when it crashes again and again (README "Restart backoff"). Only the
 * values are read here; the engine applies the rule
 * (engine_backoff_delay).
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "tree_internal.h"

struct backoff_keys {
    struct nines_backoff *b;
};

static int set_duration(struct schema_loader *l, yaml_node_t *v, const char *key, uint64_t *out) {
    const char *s = schema_scalar(v);
    uint64_t ms;
    if (!s || nines_duration_parse(s, &ms) < 0 || ms == 0 || ms > NINES_BACKOFF_LIMIT_MS)
        return schema_fail(l, v, "invalid backoff %s '%s' (a duration from 1ms to 24h, such as 100ms, 5s or 2m)", key,
                           s ? s : schema_node_kind(v));
    *out = ms;
    return 0;
}

static int set_initial(struct schema_loader *l, yaml_node_t *v, void *t) {
    return set_duration(l, v, "initial", &((struct backoff_keys *)t)->b->initial_ms);
}

static int set_max(struct schema_loader *l, yaml_node_t *v, void *t) {
    return set_duration(l, v, "max", &((struct backoff_keys *)t)->b->max_ms);
}

static int set_reset(struct schema_loader *l, yaml_node_t *v, void *t) {
    return set_duration(l, v, "reset", &((struct backoff_keys *)t)->b->reset_ms);
}

/* `backoff: {initial: 100ms, max: 30s, reset: 60s}`; a key left out takes
 * its default (NINES_BACKOFF_*_MS), so `backoff: {}` is the defaults. */
int tree_set_backoff(struct schema_loader *l, yaml_node_t *v, void *t) {
    static const struct schema_key rules[] = {{"initial", set_initial}, {"max", set_max}, {"reset", set_reset}};
    struct nines_backoff *b = &((struct nines_child_spec *)t)->backoff;
    struct backoff_keys k = {b};
    yaml_node_t *seen[3] = {0};
    *b = (struct nines_backoff){0};
    int r = schema_apply_keys(l, v, rules, 3, &k, "'backoff'", seen);
    if (r < 0)
        return r;
    if (!seen[0])
        b->initial_ms = NINES_BACKOFF_INITIAL_MS;
    if (!seen[1])
        b->max_ms = b->initial_ms > NINES_BACKOFF_MAX_MS ? b->initial_ms : NINES_BACKOFF_MAX_MS;
    if (!seen[2])
        b->reset_ms = NINES_BACKOFF_RESET_MS;
    if (b->max_ms < b->initial_ms)
        return schema_fail(l, seen[1] ? seen[1] : v, "backoff max (%" PRIu64 "ms) is less than its initial (%" PRIu64 "ms)",
                           b->max_ms, b->initial_ms);
    return 0;
}
