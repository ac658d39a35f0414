/*
 * tree_paths.c — what a child runs must exist when the tree is loaded, so
 * that a typo is an error with a position, not a crash loop at run time.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tree_internal.h"

static void join(char *buf, size_t size, const char *base, const char *path) {
    if (path[0] == '/')
        snprintf(buf, size, "%s", path);
    else
        snprintf(buf, size, "%s/%s", base, path);
}

static bool is_regular(const char *path) {
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

int tree_resolve_module(struct schema_loader *l, const yaml_node_t *value, char **out) {
    const char *path = schema_scalar(value);
    char joined[PATH_MAX * 2], real[PATH_MAX];
    if (!path || !*path)
        return schema_fail(l, value, "'module' must be the path of a shared object");
    join(joined, sizeof joined, l->base_dir, path);
    if (l->module_joined[0] && strcmp(joined, l->module_joined) == 0)
        return (*out = strdup(l->module_real)) ? 0 : -ENOMEM;
    if (!realpath(joined, real) || !is_regular(real))
        return schema_fail(l, value, "module '%s' not found (looked for %s)", path, joined);
    if (access(real, R_OK) != 0)
        return schema_fail(l, value, "module '%s' is not readable: %s", path, strerror(errno));
    if (strlen(joined) < sizeof l->module_joined) {
        strcpy(l->module_joined, joined);
        strcpy(l->module_real, real);
    }
    return (*out = strdup(real)) ? 0 : -ENOMEM;
}

static bool executable(const char *path) { return is_regular(path) && access(path, X_OK) == 0; }

static bool search_path(const char *name, char *found, size_t size) {
    const char *path = getenv("PATH");
    if (!path)
        path = "/usr/local/bin:/usr/bin:/bin";
    for (const char *p = path; *p;) {
        size_t len = strcspn(p, ":");
        snprintf(found, size, "%.*s/%s", (int)len, p, name);
        if (len > 0 && executable(found))
            return true;
        p += len + (p[len] == ':');
    }
    return false;
}

int tree_resolve_program(struct schema_loader *l, const yaml_node_t *value, char **out) {
    const char *prog = schema_scalar(value);
    char found[PATH_MAX * 2];
    if (!prog || !*prog)
        return schema_fail(l, value, "the program to run (first item of 'exec') must be a non-empty string");
    if (strchr(prog, '/')) {
        join(found, sizeof found, l->base_dir, prog);
        if (!executable(found))
            return schema_fail(l, value, "program '%s' not found or not executable (looked for %s)", prog, found);
    } else if (!search_path(prog, found, sizeof found)) {
        return schema_fail(l, value, "program '%s' not found in PATH", prog);
    }
    return (*out = strdup(found)) ? 0 : -ENOMEM;
}
