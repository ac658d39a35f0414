/*
 * appup_generate_spec.c — child specs of two releases side by side: which
 * application a child runs, whether two specs say the same, and the copy
 * an appup step holds. A module path names a file of one release; what a
 * child runs across releases is the application, so that is what the
 * comparison looks at and what the copy's path is rebuilt from.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "appup_generate_internal.h"

const struct nines_manifest_app *gen_child_app(const struct nines_appup_gen_release *r,
                                               const struct nines_child_spec *c) {
    for (size_t i = 0; c->kind == NINES_CHILD_MODULE && i < r->manifest->n_apps; i++)
        if (strcmp(r->modules[i].path, c->module) == 0)
            return &r->manifest->apps[i];
    return NULL;
}

/* --- comparing ------------------------------------------------------------ */

struct sides {
    const struct nines_appup_gen_release *a, *b;
};

static bool same_app(void *ctx, const struct nines_child_spec *a, const struct nines_child_spec *b) {
    const struct sides *r = ctx;
    const struct nines_manifest_app *x = gen_child_app(r->a, a), *y = gen_child_app(r->b, b);
    if (x || y)
        return x && y && strcmp(x->name, y->name) == 0;
    return strcmp(a->module, b->module) == 0;
}

bool gen_sup_same_kind(const struct nines_appup_gen_release *ra, const struct nines_sup_spec *a,
                       const struct nines_appup_gen_release *rb, const struct nines_sup_spec *b) {
    struct sides r = {ra, rb};
    return nines_sup_spec_same_kind(a, b, same_app, &r);
}

bool gen_child_equal(const struct nines_appup_gen_release *ra, const struct nines_child_spec *a,
                     const struct nines_appup_gen_release *rb, const struct nines_child_spec *b) {
    struct sides r = {ra, rb};
    return nines_child_spec_equal(a, b, same_app, &r);
}

/* --- copying -------------------------------------------------------------- */

struct copy {
    const struct nines_appup_gen_release *side, *to;
    const char **foreign;
};

/* The path the appup names the module by (see gen_child_copy). */
static int module_text(void *ctx, const struct nines_child_spec *c, char **out) {
    struct copy *k = ctx;
    const struct nines_manifest_app *app = gen_child_app(k->side, c);
    app = app ? nines_manifest_find_app(k->to->manifest, app->name) : NULL;
    if (app)
        return asprintf(out, GEN_MODULE_PREFIX "%s", app->module.path) < 0 ? (*out = NULL, -ENOMEM) : 0;
    if (!*k->foreign)
        *k->foreign = c->module;
    return (*out = strdup(c->module)) ? 0 : -ENOMEM;
}

struct nines_child_spec *gen_child_copy(const struct nines_appup_gen_release *side,
                                        const struct nines_appup_gen_release *to, const struct nines_child_spec *c,
                                        const char **foreign) {
    struct copy k = {.side = side, .to = to, .foreign = foreign};
    struct nines_child_spec *d = calloc(1, sizeof *d);
    if (d && nines_child_spec_copy_into(d, c, module_text, &k) < 0) {
        nines_child_spec_free(d);
        d = NULL;
    }
    return d;
}
