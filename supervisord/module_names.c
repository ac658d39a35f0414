/*
 * module_names.c — see module_names.h. A tree names few distinct module
 * paths (a million dynamic children share one), so a list searched from
 * the last one learned is enough.
 */
#include "module_names.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "daemon.h"

struct module_name {
    struct module_name *next;
    char *path, *name;
};

static struct module_name *find(const struct daemon *d, const char *path) {
    for (struct module_name *m = d->module_names; m; m = m->next)
        if (strcmp(m->path, path) == 0)
            return m;
    return NULL;
}

int module_names_learn(struct daemon *d, const char *path, const char *name) {
    if (!path || !name || !*name)
        return 0;
    struct module_name *m = find(d, path);
    if (m && strcmp(m->name, name) == 0)
        return 0;
    char *copy = strdup(name);
    if (!copy)
        return -ENOMEM;
    if (m) {
        free(m->name);
        m->name = copy;
        return 0;
    }
    m = calloc(1, sizeof *m);
    if (!m || !(m->path = strdup(path))) {
        free(m);
        free(copy);
        return -ENOMEM;
    }
    m->name = copy;
    m->next = d->module_names;
    d->module_names = m;
    return 0;
}

const char *module_names_expect(const struct daemon *d, const char *path) {
    const struct module_name *m = path ? find(d, path) : NULL;
    return m ? m->name : NULL;
}

void module_names_free(struct daemon *d) {
    while (d->module_names) {
        struct module_name *m = d->module_names;
        d->module_names = m->next;
        free(m->path);
        free(m->name);
        free(m);
    }
}
