/*
 * tree.c — the tree specification's small pieces: durations, names,
 * error text, freeing, and loading from a file.
 */
#include "tree_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int nines_duration_parse(const char *text, uint64_t *ms) {
    static const struct {
        const char *suffix;
        uint64_t factor;
    } units[] = {{"ms", 1}, {"s", 1000}, {"m", 60000}};
    uint64_t value = 0;
    const char *p = text;
    if (*p < '0' || *p > '9')
        return -EINVAL;
    for (; *p >= '0' && *p <= '9'; p++) {
        if (value > (UINT64_MAX - 9) / 10)
            return -EINVAL;
        value = value * 10 + (uint64_t)(*p - '0');
    }
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
        if (strcmp(p, units[i].suffix) == 0) {
            if (value > UINT64_MAX / units[i].factor)
                return -EINVAL;
            *ms = value * units[i].factor;
            return 0;
        }
    return -EINVAL;
}

const char *nines_strategy_name(enum nines_strategy s) {
    static const char *const names[] = {"one_for_one", "one_for_all", "rest_for_one", "dynamic"};
    return (unsigned)s < 4 ? names[s] : "?";
}

const char *nines_restart_name(enum nines_restart r) {
    static const char *const names[] = {"permanent", "transient", "temporary"};
    return (unsigned)r < 3 ? names[r] : "?";
}

void nines_tree_free(struct nines_tree *tree) {
    if (!tree)
        return;
    nines_sup_spec_clear(&tree->root);
    free(tree->path);
    free(tree);
}

static void set_file_error(struct nines_error *err, const char *path, int e, const char *what) {
    memset(err, 0, sizeof *err);
    snprintf(err->file, sizeof err->file, "%s", path);
    snprintf(err->message, sizeof err->message, "%s: %s", what, strerror(e));
}

int nines_tree_load(const char *path, struct nines_tree **out, struct nines_error *err) {
    *out = NULL;
    FILE *f = fopen(path, "re");
    if (!f) {
        int e = errno;
        set_file_error(err, path, e, "cannot open the tree file");
        return -e;
    }
    char *text;
    size_t len;
    schema_reset_error(err, path);
    int r = schema_read_file(f, "the tree file", &text, &len, err);
    fclose(f);
    if (r < 0)
        return r;
    char *dir = strdup(path);
    char *slash = dir ? strrchr(dir, '/') : NULL;
    const char *base = slash ? (slash == dir ? "/" : (*slash = '\0', dir)) : ".";
    r = dir ? nines_tree_load_string(path, base, text, len, out, err) : -ENOMEM;
    free(dir);
    free(text);
    return r;
}
