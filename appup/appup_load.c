/*
 * appup_load.c — the top of an appup file and its entries: which versions
 * each entry goes up from or down to, and that no version is covered twice
 * (so that nines_appup_find has one answer). The steps are appup_step.c's.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "appup_internal.h"
#include "module_check.h"

static int set_application(struct schema_loader *l, yaml_node_t *v, void *t) {
    const char *s = schema_scalar(v);
    if (!s || strlen(s) != v->data.scalar.length || !nines_module_name_valid(s))
        return schema_fail(l, v, "invalid application '%s': expected its module's name, 1 to 64 of [a-z0-9_-]",
                         s ? s : schema_node_kind(v));
    return (((struct nines_appup *)t)->application = strdup(s)) ? 0 : -ENOMEM;
}

/* A module descriptor's rule: a version an appup names is one a module can
 * declare, and it goes into logs as is. */
static int check_version(struct schema_loader *l, yaml_node_t *v, const char *what) {
    const char *s = schema_scalar(v);
    if (!s)
        return schema_fail(l, v, "'%s' must be a version such as 1.2.0, got %s", what, schema_node_kind(v));
    if (strlen(s) != v->data.scalar.length || !nines_module_version_valid(s))
        return schema_fail(l, v, "invalid version '%s' in '%s': expected 1 to 64 printable characters without spaces",
                         s, what);
    return 0;
}

static int set_version(struct schema_loader *l, yaml_node_t *v, void *t) {
    int r = check_version(l, v, "version");
    if (r < 0)
        return r;
    return (((struct nines_appup *)t)->version = strdup(schema_scalar(v))) ? 0 : -ENOMEM;
}

/* A version of an entry may not be the appup's own, nor one that an entry
 * of the same direction (this one included) already covers. */
static int check_new_version(struct appup_loader *al, const struct nines_appup_entry *e, yaml_node_t *v) {
    const char *s = schema_scalar(v), *key = al->up ? "from" : "to";
    if (al->own_version && strcmp(s, al->own_version) == 0)
        return schema_fail(&al->l, v, "'%s: %s' is this appup's own version: '%s' goes %s older versions", key, s,
                         al->up ? "up" : "down", al->up ? "to it from" : "from it to");
    for (const struct nines_appup_entry *x = al->entries; x <= e; x++)
        for (size_t j = 0; j < x->n_versions; j++)
            if (strcmp(x->versions[j], s) == 0)
                return x == e ? schema_fail(&al->l, v, "version '%s' is listed twice in this entry", s)
                              : schema_fail(&al->l, v, "version '%s' is already in the '%s' entry at line %u", s,
                                          al->up ? "up" : "down", x->mark.line);
    return 0;
}

/* `from:` / `to:` — one version, or a non-empty list of them. */
static int set_versions(struct schema_loader *l, yaml_node_t *v, void *t) {
    struct appup_loader *al = (struct appup_loader *)l;
    struct nines_appup_entry *e = t;
    const char *key = al->up ? "from" : "to";
    bool list = v->type == YAML_SEQUENCE_NODE;
    size_t n = list ? (size_t)(v->data.sequence.items.top - v->data.sequence.items.start) : 1;
    if (n == 0 || v->type == YAML_MAPPING_NODE)
        return schema_fail(l, v, "'%s' must be a version or a non-empty list of versions, got %s", key,
                         n == 0 ? "an empty list" : schema_node_kind(v));
    if ((al->n_versions += n) > APPUP_MAX_VERSIONS)
        return schema_fail(l, v, "too many versions in '%s' (at most %d)", al->up ? "up" : "down", APPUP_MAX_VERSIONS);
    if (!(e->versions = calloc(n, sizeof *e->versions)))
        return -ENOMEM;
    for (size_t i = 0; i < n; i++) {
        yaml_node_t *item = list ? schema_node(l, v->data.sequence.items.start[i]) : v;
        int r = check_version(l, item, key);
        if (r == 0)
            r = check_new_version(al, e, item);
        if (r < 0)
            return r;
        if (!(e->versions[i] = strdup(schema_scalar(item))))
            return -ENOMEM;
        e->n_versions = i + 1;
    }
    return 0;
}

static int set_steps(struct schema_loader *l, yaml_node_t *v, void *t) { return appup_load_steps(l, v, t); }

static const struct schema_key up_rules[] = {{"from", set_versions}, {"steps", set_steps}};
static const struct schema_key down_rules[] = {{"to", set_versions}, {"steps", set_steps}};

static int load_entries(struct appup_loader *al, yaml_node_t *v, bool up, struct nines_appup_entry **out,
                        size_t *n_out) {
    struct schema_loader *l = &al->l;
    const char *where = up ? "an 'up' entry" : "a 'down' entry";
    if (v->type != YAML_SEQUENCE_NODE)
        return schema_fail(l, v, "'%s' must be a sequence of entries (possibly empty), got %s", up ? "up" : "down",
                         schema_node_kind(v));
    size_t n = (size_t)(v->data.sequence.items.top - v->data.sequence.items.start);
    if (n && !(*out = calloc(n, sizeof **out)))
        return -ENOMEM;
    al->up = up, al->entries = *out, al->n_versions = 0;
    for (size_t i = 0; i < n; i++) {
        yaml_node_t *node = schema_node(l, v->data.sequence.items.start[i]), *seen[2] = {0};
        struct nines_appup_entry *e = &(*out)[i];
        *n_out = i + 1; /* so that a half-built entry is freed too */
        e->mark = (struct nines_mark){(unsigned)node->start_mark.line + 1, (unsigned)node->start_mark.column + 1};
        int r = schema_apply_keys(l, node, up ? up_rules : down_rules, 2, e, where, seen);
        if (r < 0)
            return r;
        if (!seen[0])
            return schema_fail(l, node, "%s needs '%s': the version or versions it goes %s", where, up ? "from" : "to",
                             up ? "up from" : "down to");
        if (!seen[1])
            return schema_fail(l, node, "%s needs 'steps' (a sequence, possibly empty)", where);
    }
    return 0;
}

static int set_up(struct schema_loader *l, yaml_node_t *v, void *t) {
    struct nines_appup *a = t;
    return load_entries((struct appup_loader *)l, v, true, &a->up, &a->n_up);
}

static int set_down(struct schema_loader *l, yaml_node_t *v, void *t) {
    struct nines_appup *a = t;
    return load_entries((struct appup_loader *)l, v, false, &a->down, &a->n_down);
}

static const struct schema_key top_rules[] = {
    {"application", set_application}, {"version", set_version}, {"up", set_up}, {"down", set_down}};
enum { TOP_APPLICATION, TOP_VERSION, TOP_UP, TOP_DOWN, TOP_NKEYS };

/* `version:` may be written after `up:`; entries are checked against it
 * as they are read, so it is looked up first (and checked in its turn). */
static const char *find_own_version(struct schema_loader *l, yaml_node_t *root) {
    for (yaml_node_pair_t *p = root->data.mapping.pairs.start; p < root->data.mapping.pairs.top; p++) {
        const char *key = schema_scalar(schema_node(l, p->key));
        if (key && strcmp(key, "version") == 0)
            return schema_scalar(schema_node(l, p->value));
    }
    return NULL;
}

/* NAME.appup.yaml is NAME's appup; another file name is not checked. */
static int check_file_name(struct schema_loader *l, const struct nines_appup *a, yaml_node_t *app) {
    static const char suffix[] = ".appup.yaml";
    const char *slash = strrchr(l->err->file, '/'), *base = slash ? slash + 1 : l->err->file;
    size_t n = strlen(base), ns = sizeof suffix - 1;
    if (n < ns || strcmp(base + n - ns, suffix) != 0)
        return 0;
    if (n - ns == strlen(a->application) && strncmp(base, a->application, n - ns) == 0)
        return 0;
    return schema_fail(l, app, "application '%s' in a file named %s: the appup of '%s' is %s.appup.yaml",
                     a->application, base, a->application, a->application);
}

static int load_root(struct appup_loader *al, struct nines_appup *a) {
    struct schema_loader *l = &al->l;
    yaml_node_t *root = yaml_document_get_root_node(&l->doc), *seen[TOP_NKEYS] = {0};
    if (!root)
        return schema_fail(l, NULL, "the appup file is empty: expected a mapping with application, version, up and down");
    if (root->type == YAML_MAPPING_NODE)
        al->own_version = find_own_version(l, root);
    int r = schema_apply_keys(l, root, top_rules, TOP_NKEYS, a, "an appup", seen);
    for (size_t i = 0; r == 0 && i < TOP_NKEYS; i++)
        if (!seen[i])
            r = schema_fail(l, root, "an appup needs '%s' (its keys are application, version, up and down)",
                          top_rules[i].name);
    return r < 0 ? r : check_file_name(l, a, seen[TOP_APPLICATION]);
}

/* schema_load_document's root loader: the loader is the first member of
 * the appup loader. */
static int appup_root(struct schema_loader *l, void *a) {
    return load_root((struct appup_loader *)(void *)l, a);
}

/* From a file (f) or text in memory: the parser is all that differs. */
static int load(const char *name, const char *base_dir, FILE *f, const char *text, size_t len,
                struct nines_appup **out, struct nines_error *err) {
    struct appup_loader al = {.l = {.base_dir = base_dir, .err = err}};
    char *read = NULL;
    int r = f ? schema_read_file(f, "the appup file", &read, &len, err) : 0;
    if (r < 0)
        return r;
    struct nines_appup *a = calloc(1, sizeof *a);
    r = a ? schema_load_text(&al.l, f ? read : text, len, "an appup file", appup_root, a) : -ENOMEM;
    free(read);
    if (r == 0 && !(a->path = strdup(name)))
        r = -ENOMEM;
    if (r < 0) {
        nines_appup_free(a);
        return r;
    }
    *out = a;
    return 0;
}

static void start(const char *name, struct nines_appup **out, struct nines_error *err) {
    memset(err, 0, sizeof *err);
    snprintf(err->file, sizeof err->file, "%s", name);
    *out = NULL;
}

int nines_appup_load_string(const char *name, const char *base_dir, const char *text, size_t len,
                            struct nines_appup **out, struct nines_error *err) {
    start(name, out, err);
    return load(name, base_dir, NULL, text, len, out, err);
}

int nines_appup_load(const char *path, struct nines_appup **out, struct nines_error *err) {
    start(path, out, err);
    FILE *f = fopen(path, "re");
    struct stat st;
    int e = !f ? errno : fstat(fileno(f), &st) < 0 ? errno : S_ISDIR(st.st_mode) ? EISDIR : 0;
    if (e) {
        snprintf(err->message, sizeof err->message, "cannot read the appup file: %s", strerror(e));
        if (f)
            fclose(f);
        return -e;
    }
    /* Child specs' relative paths are relative to the appup's folder. */
    char *dir = strdup(path);
    char *slash = dir ? strrchr(dir, '/') : NULL;
    const char *base = slash ? (slash == dir ? "/" : (*slash = '\0', dir)) : ".";
    int r = dir ? load(path, base, f, NULL, 0, out, err) : -ENOMEM;
    free(dir);
    fclose(f);
    return r;
}
