/*
 * appup.c — an appup once loaded: looking up the way from or to a version,
 * and freeing (half-built appups included, as the loader leaves them).
 */
#include <stdlib.h>
#include <string.h>

#include "appup_internal.h"

const struct nines_appup_entry *nines_appup_find(const struct nines_appup *a, bool up, const char *version) {
    const struct nines_appup_entry *entries = up ? a->up : a->down;
    size_t n = up ? a->n_up : a->n_down;
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < entries[i].n_versions; j++)
            if (strcmp(entries[i].versions[j], version) == 0)
                return &entries[i];
    return NULL;
}

void appup_step_clear(struct nines_appup_step *s) {
    free(s->extra);
    free(s->supervisor);
    free(s->id);
    nines_child_spec_free(s->child);
    free(s->comment);
    memset(s, 0, sizeof *s);
}

void appup_entry_clear(struct nines_appup_entry *e) {
    for (size_t i = 0; i < e->n_versions; i++)
        free(e->versions[i]);
    free(e->versions);
    for (size_t i = 0; i < e->n_steps; i++)
        appup_step_clear(&e->steps[i]);
    free(e->steps);
    memset(e, 0, sizeof *e);
}

void nines_appup_free(struct nines_appup *a) {
    if (!a)
        return;
    for (size_t i = 0; i < a->n_up; i++)
        appup_entry_clear(&a->up[i]);
    free(a->up);
    for (size_t i = 0; i < a->n_down; i++)
        appup_entry_clear(&a->down[i]);
    free(a->down);
    free(a->application);
    free(a->version);
    free(a->path);
    free(a->comment);
    free(a);
}
