/*
 * release_workers.c — which workers a release step's swap or restart acts
 * on, and which of them are on a module now (see release_internal.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "release_internal.h"
#include "upgrade.h"

/* A running worker of `app` not yet on `module`. A restart leaves out
 * dynamic children (they cannot be restarted by request) and temporary
 * ones (terminated, they would be gone): they take the new module when
 * they are next started. */
static bool to_move(struct daemon *d, engine_node n, const char *app, const char *module, bool restart) {
    const struct nines_child_spec *spec = engine_node_spec(d->engine, n);
    if (!spec || spec->kind != NINES_CHILD_MODULE || engine_node_state(d->engine, n) != ENGINE_NODE_RUNNING)
        return false;
    if (restart && spec->restart == NINES_TEMPORARY)
        return false;
    struct engine_sup_flags parent;
    if (restart && engine_sup_flags(d->engine, engine_node_parent(d->engine, n), &parent) &&
        parent.strategy == NINES_DYNAMIC)
        return false;
    const char *now = daemon_module_of(d, n);
    return n < d->n_nodes && strcmp(d->nodes[n].name, app) == 0 && (!now || strcmp(now, module) != 0);
}

int release_workers_to_move(struct daemon *d, const char *app, const char *module, bool restart,
                            engine_node **out, uint64_t **uids_out, size_t *n_out) {
    size_t count = engine_node_count(d->engine);
    engine_node *nodes = calloc(count ? count : 1, sizeof *nodes);
    uint64_t *uids = calloc(count ? count : 1, sizeof *uids);
    if (!nodes || !uids) {
        free(nodes), free(uids);
        return -ENOMEM;
    }
    size_t n = 0;
    for (engine_node node = 0; node < count; node++)
        if (to_move(d, node, app, module, restart))
            uids[n] = engine_node_uid(d->engine, node), nodes[n++] = node;
    *out = nodes, *uids_out = uids, *n_out = n;
    return 0;
}

bool release_worker_there(struct daemon *d, engine_node node, uint64_t uid) {
    return engine_node_is(d->engine, node, uid) && engine_node_state(d->engine, node) != ENGINE_NODE_REMOVED;
}

size_t release_workers_on(struct daemon *d, const engine_node *nodes, const uint64_t *uids, size_t n,
                          const char *module) {
    size_t on = 0;
    for (size_t i = 0; module && i < n; i++) {
        if (!engine_node_is(d->engine, nodes[i], uids[i]))
            continue; /* gone: its number may be a new node's */
        const char *now = daemon_module_of(d, nodes[i]);
        on += now && strcmp(now, module) == 0;
    }
    return on;
}

engine_node release_find_child(struct daemon *d, const char *sup, const char *id) {
    char path[2048];
    if (!id)
        return engine_find(d->engine, sup);
    bool root = strcmp(sup, "/") == 0;
    snprintf(path, sizeof path, "%s%s%s", root ? "" : sup, root ? "" : "/", id);
    return engine_find(d->engine, path);
}
