/*
 * engine_spec.c — the specs of children added at run time.
 *
 * A child added at run time (start_child, or a dynamic supervisor's new
 * child) must outlive the request that described it, so the engine keeps
 * a whole copy (lib/tree_spec.h, the one owner of a spec's memory) and
 * checks what it is given before building a node from it.
 */
#include <stdlib.h>
#include <string.h>
#include <stdio.h>

#include "engine_internal.h"

/* A dynamic child: the template with `name` (copied) as its id and
 * `args` (already the engine's copy, taken over here, also on failure)
 * in place of the template's. */
struct nines_child_spec *eng_spec_from_template(const struct nines_child_spec *tmpl, const char *name,
                                                struct nines_arg *args, size_t n_args) {
    struct nines_child_spec *c = nines_child_spec_copy(tmpl);
    char *id = NULL;
    if (!c || !(id = strdup(name))) {
        nines_child_spec_free(c);
        nines_args_free(args, n_args);
        return NULL;
    }
    free(c->id);
    c->id = id;
    nines_args_free(c->args, c->n_args);
    c->args = args;
    c->n_args = args ? n_args : 0;
    return c;
}

bool eng_spec_id_valid(const char *id) {
    if (!id || !*id)
        return false;
    for (const char *p = id; *p; p++) {
        bool word = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9');
        if (!word && *p != '_' && *p != '.' && *p != '-')
            return false;
    }
    return true;
}

/* The checks the engine needs to be safe with a spec from outside (the
 * control socket's parser validates the rest): an id that makes a path,
 * what the child runs, and the same for a nested supervisor's children. */
bool eng_spec_valid(const struct nines_child_spec *c, char *why, size_t size) {
    if (!c || !eng_spec_id_valid(c->id)) {
        snprintf(why, size, "invalid child spec: id must be [A-Za-z0-9_.-]+");
        return false;
    }
    if ((c->kind == NINES_CHILD_MODULE && !c->module) ||
        (c->kind == NINES_CHILD_EXEC && (!c->exec_argv || !c->exec_argv[0])) ||
        (c->kind == NINES_CHILD_SUPERVISOR && !c->supervisor) || (c->n_args && !c->args)) {
        snprintf(why, size, "invalid child spec '%.64s': nothing to run", c->id);
        return false;
    }
    const struct nines_sup_spec *s = c->supervisor;
    if (c->kind != NINES_CHILD_SUPERVISOR || !s)
        return true;
    if (s->strategy == NINES_DYNAMIC && (s->n_children || !eng_spec_valid(s->child_template, why, size))) {
        if (s->n_children)
            snprintf(why, size, "invalid child spec '%.64s': a dynamic supervisor has no static children",
                     c->id);
        return false;
    }
    for (size_t i = 0; i < s->n_children; i++) {
        if (!eng_spec_valid(&s->children[i], why, size))
            return false;
        for (size_t j = 0; j < i; j++)
            if (strcmp(s->children[j].id, s->children[i].id) == 0) {
                snprintf(why, size, "invalid child spec '%.64s': duplicate id '%.64s'", c->id,
                         s->children[i].id);
                return false;
            }
    }
    return true;
}
