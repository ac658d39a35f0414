/*
 * engine_index.c — path -> node in O(1): a chained hash table over the
 * node table, so a call or a control request naming a child does not
 * scan every node ever created.
 *
 * Every node is indexed by its path when it is added, and stays there
 * until it is freed (engine_reclaim.c): a removed node keeps its path
 * meanwhile. Of the nodes sharing a path at most one is reachable (ids
 * are unique among a supervisor's children that are not removed); the
 * lookup walks the path's chain and answers the reachable one.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "engine_internal.h"

static uint32_t path_hash(const char *s) {
    uint32_t h = 2166136261u; /* FNV-1a */
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 16777619u;
    return h;
}

static void link_node(struct engine *e, engine_node id) {
    size_t b = path_hash(e->nodes[id].path) & (e->n_buckets - 1);
    e->nodes[id].next_same_hash = e->buckets[b];
    e->buckets[b] = id;
}

/* Twice the buckets, every node indexed again (amortised O(1) per add). */
static int grow_buckets(struct engine *e, size_t want) {
    size_t n = e->n_buckets ? e->n_buckets : 8;
    while (n < want)
        n *= 2;
    engine_node *v = malloc(n * sizeof *v);
    if (!v)
        return -ENOMEM;
    for (size_t i = 0; i < n; i++)
        v[i] = ENGINE_NO_NODE;
    free(e->buckets);
    e->buckets = v, e->n_buckets = n;
    for (size_t i = 0; i < e->n_nodes; i++)
        if (e->nodes[i].path)
            link_node(e, (engine_node)i);
    return 0;
}

/* Index node `id` (its path set, and id < e->n_nodes). */
int eng_index_add(struct engine *e, engine_node id) {
    if (e->n_nodes > e->n_buckets)
        return grow_buckets(e, e->n_nodes * 2); /* links every node, `id` too */
    link_node(e, id);
    return 0;
}

/* Take node `id` (its path still set) out of its chain. */
void eng_index_remove(struct engine *e, engine_node id) {
    if (!e->n_buckets || !e->nodes[id].path)
        return;
    engine_node *at = &e->buckets[path_hash(e->nodes[id].path) & (e->n_buckets - 1)];
    while (*at != ENGINE_NO_NODE && *at != id)
        at = &e->nodes[*at].next_same_hash;
    if (*at == id)
        *at = e->nodes[id].next_same_hash;
}

engine_node eng_index_find(const struct engine *e, const char *path) {
    if (!e->n_buckets)
        return ENGINE_NO_NODE;
    size_t b = path_hash(path) & (e->n_buckets - 1);
    for (engine_node m = e->buckets[b]; m != ENGINE_NO_NODE; m = e->nodes[m].next_same_hash)
        if (strcmp(e->nodes[m].path, path) == 0 && eng_node_reachable(e, m))
            return m;
    return ENGINE_NO_NODE;
}

void eng_index_free(struct engine *e) {
    free(e->buckets);
    e->buckets = NULL, e->n_buckets = 0;
}
