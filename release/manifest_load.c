/*
 * manifest_load.c — release.yaml's schema as tables of keys, read with the
 * schema layer (lib/yaml_schema.h): each key has one setter that
 * checks its value; unknown keys, duplicates and wrong types are errors at
 * the node's position, with what was expected.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "manifest.h"
#include "module_check.h"
#include "yaml_schema.h"

#define MANIFEST_MAX_ENTRIES 10000 /* applications, appups or files (duplicates are looked for pairwise) */

static struct nines_mark mark_of(const yaml_node_t *v) {
    return (struct nines_mark){(unsigned)v->start_mark.line + 1, (unsigned)v->start_mark.column + 1};
}

static int copy_scalar(const yaml_node_t *v, char **out) {
    return (*out = strdup(schema_scalar(v))) ? 0 : -ENOMEM;
}

/* A path of the release: `what` names it in errors ("tree", "module"). */
static int parse_path(struct schema_loader *l, yaml_node_t *v, const char *what, struct nines_manifest_ref *ref) {
    const char *s = schema_scalar(v);
    if (!s)
        return schema_fail(l, v, "'%s' must be a path inside the release folder, got %s", what, schema_node_kind(v));
    const char *why = nines_manifest_path_problem(s);
    if (why)
        return schema_fail(l, v, "invalid %s path '%.200s': %s", what, s, why);
    ref->mark = mark_of(v);
    return copy_scalar(v, &ref->path);
}

/* What a name or a version may be, and how an error says it. */
struct text_rule {
    int (*valid)(const char *s);
    const char *allowed;
};

/* The version is part of the folder's name NAME-VERSION: no '/'. */
bool nines_manifest_version_valid(const char *s) { return nines_module_version_valid(s) && !strchr(s, '/'); }

static int release_version_valid(const char *s) { return nines_manifest_version_valid(s); }

static const struct text_rule NAME_RULE = {nines_module_name_valid, "1 to 64 of a-z, 0-9, '_' and '-'"};
static const struct text_rule APP_VERSION_RULE = {nines_module_version_valid,
                                                  "1 to 64 printable characters, no spaces"};
static const struct text_rule RELEASE_VERSION_RULE = {release_version_valid, NINES_MANIFEST_VERSION_RULE};

static int parse_text(struct schema_loader *l, yaml_node_t *v, const struct text_rule *rule, const char *what, char **out) {
    const char *s = schema_scalar(v);
    if (!s || !rule->valid(s))
        return schema_fail(l, v, "invalid %s '%.100s' (%s)", what, s ? s : schema_node_kind(v), rule->allowed);
    return copy_scalar(v, out);
}

/* The number of items of a sequence (or pairs of a mapping), bounded. */
static int count_items(struct schema_loader *l, yaml_node_t *v, yaml_node_type_t type, const char *what, size_t *n) {
    if (v->type != type)
        return schema_fail(l, v, "'%s' must be %s, got %s", what,
                         type == YAML_SEQUENCE_NODE ? "a sequence" : "a mapping", schema_node_kind(v));
    *n = type == YAML_SEQUENCE_NODE ? (size_t)(v->data.sequence.items.top - v->data.sequence.items.start)
                                    : (size_t)(v->data.mapping.pairs.top - v->data.mapping.pairs.start);
    if (*n > MANIFEST_MAX_ENTRIES)
        return schema_fail(l, v, "too many entries in '%s' (at most %d)", what, MANIFEST_MAX_ENTRIES);
    return 0;
}

/* --- an application ----------------------------------------------------- */

static int set_app_name(struct schema_loader *l, yaml_node_t *v, void *t) {
    struct nines_manifest_app *a = t;
    a->name_mark = mark_of(v);
    return parse_text(l, v, &NAME_RULE, "application name", &a->name);
}

static int set_app_version(struct schema_loader *l, yaml_node_t *v, void *t) {
    struct nines_manifest_app *a = t;
    a->version_mark = mark_of(v);
    return parse_text(l, v, &APP_VERSION_RULE, "application version", &a->version);
}

static int set_app_module(struct schema_loader *l, yaml_node_t *v, void *t) {
    return parse_path(l, v, "module", &((struct nines_manifest_app *)t)->module);
}

static const struct schema_key app_rules[] = {
    {"name", set_app_name}, {"version", set_app_version}, {"module", set_app_module}};
enum { A_NAME, A_VERSION, A_MODULE, A_NKEYS };

static int load_app(struct schema_loader *l, yaml_node_t *v, struct nines_manifest_app *a) {
    yaml_node_t *seen[A_NKEYS] = {0};
    a->mark = mark_of(v);
    int r = schema_apply_keys(l, v, app_rules, A_NKEYS, a, "an application", seen);
    for (size_t i = 0; i < A_NKEYS && r == 0; i++)
        if (!seen[i])
            r = schema_fail(l, v, "an application needs '%s' (it has name, version and module)", app_rules[i].name);
    return r;
}

/* Names and modules are unique: a second one is an error where it stands. */
static int check_app_unique(struct schema_loader *l, const struct nines_manifest *m, size_t i, yaml_node_t *v) {
    const struct nines_manifest_app *a = &m->apps[i];
    for (size_t j = 0; j < i; j++) {
        if (strcmp(m->apps[j].name, a->name) == 0)
            return schema_fail(l, v, "application '%s' listed twice (first at line %u)", a->name, m->apps[j].mark.line);
        if (strcmp(m->apps[j].module.path, a->module.path) == 0)
            return schema_fail(l, v, "applications '%s' and '%s' have the same module '%s'", m->apps[j].name, a->name,
                             a->module.path);
    }
    return 0;
}

static int set_applications(struct schema_loader *l, yaml_node_t *v, void *t) {
    struct nines_manifest *m = t;
    size_t n;
    int r = count_items(l, v, YAML_SEQUENCE_NODE, "applications", &n);
    if (r < 0)
        return r;
    if (n && !(m->apps = calloc(n, sizeof *m->apps)))
        return -ENOMEM;
    for (size_t i = 0; i < n; i++) {
        yaml_node_t *item = schema_node(l, v->data.sequence.items.start[i]);
        m->n_apps = i + 1; /* so that a partial entry is freed too */
        if ((r = load_app(l, item, &m->apps[i])) < 0 || (r = check_app_unique(l, m, i, item)) < 0)
            return r;
    }
    return 0;
}

/* --- the other keys ----------------------------------------------------- */

static int set_release(struct schema_loader *l, yaml_node_t *v, void *t) {
    return parse_text(l, v, &NAME_RULE, "release name", &((struct nines_manifest *)t)->release);
}

static int set_version(struct schema_loader *l, yaml_node_t *v, void *t) {
    return parse_text(l, v, &RELEASE_VERSION_RULE, "release version", &((struct nines_manifest *)t)->version);
}

static int set_tree(struct schema_loader *l, yaml_node_t *v, void *t) {
    return parse_path(l, v, "tree", &((struct nines_manifest *)t)->tree);
}

static int set_appups(struct schema_loader *l, yaml_node_t *v, void *t) {
    struct nines_manifest *m = t;
    size_t n;
    int r = count_items(l, v, YAML_SEQUENCE_NODE, "appups", &n);
    if (r < 0)
        return r;
    if (n && !(m->appups = calloc(n, sizeof *m->appups)))
        return -ENOMEM;
    for (size_t i = 0; i < n; i++) {
        yaml_node_t *item = schema_node(l, v->data.sequence.items.start[i]);
        m->n_appups = i + 1;
        if ((r = parse_path(l, item, "appup", &m->appups[i])) < 0)
            return r;
        for (size_t j = 0; j < i; j++)
            if (strcmp(m->appups[j].path, m->appups[i].path) == 0)
                return schema_fail(l, item, "appup '%s' listed twice", m->appups[i].path);
    }
    return 0;
}

static bool sha256_hex_valid(const char *s) {
    return strlen(s) == 2 * NINES_SHA256_SIZE && strspn(s, "0123456789abcdef") == 2 * NINES_SHA256_SIZE;
}

static int load_file(struct schema_loader *l, yaml_node_t *key, yaml_node_t *value, struct nines_manifest_file *f) {
    struct nines_manifest_ref ref = {0};
    int r = parse_path(l, key, "file", &ref);
    if (r < 0)
        return r;
    f->path = ref.path, f->mark = ref.mark;
    const char *sum = schema_scalar(value);
    if (!sum || !sha256_hex_valid(sum))
        return schema_fail(l, value, "invalid SHA-256 '%.100s' for '%s' (64 lowercase hex digits)",
                         sum ? sum : schema_node_kind(value), f->path);
    memcpy(f->sha256, sum, NINES_SHA256_HEX);
    return 0;
}

static int set_files(struct schema_loader *l, yaml_node_t *v, void *t) {
    struct nines_manifest *m = t;
    size_t n;
    int r = count_items(l, v, YAML_MAPPING_NODE, "files", &n);
    if (r < 0)
        return r;
    m->has_files = true;
    if (n && !(m->files = calloc(n, sizeof *m->files)))
        return -ENOMEM;
    for (size_t i = 0; i < n; i++) {
        yaml_node_pair_t *p = &v->data.mapping.pairs.start[i];
        yaml_node_t *key = schema_node(l, p->key);
        m->n_files = i + 1;
        if ((r = load_file(l, key, schema_node(l, p->value), &m->files[i])) < 0)
            return r;
        for (size_t j = 0; j < i; j++)
            if (strcmp(m->files[j].path, m->files[i].path) == 0)
                return schema_fail(l, key, "file '%s' listed twice (first at line %u)", m->files[i].path,
                                 m->files[j].mark.line);
    }
    return 0;
}

static const struct schema_key manifest_rules[] = {
    {"release", set_release},           {"version", set_version}, {"tree", set_tree},
    {"applications", set_applications}, {"appups", set_appups},   {"files", set_files},
};
enum { M_RELEASE, M_VERSION, M_TREE, M_APPLICATIONS, M_APPUPS, M_FILES, M_NKEYS };

/* --- the file ----------------------------------------------------------- */

/* In a built release, what the manifest names must be among its files. */
static int check_listed(struct schema_loader *l, const struct nines_manifest *m, const struct nines_manifest_ref *ref,
                        const char *what) {
    if (nines_manifest_find_file(m, ref->path))
        return 0;
    l->err->line = ref->mark.line, l->err->column = ref->mark.column;
    snprintf(l->err->message, sizeof l->err->message, "%s '%s' is not listed in 'files'", what, ref->path);
    return -EINVAL;
}

static int check_manifest(struct schema_loader *l, yaml_node_t *root, struct nines_manifest *m, yaml_node_t **seen) {
    static const int required[] = {M_RELEASE, M_VERSION, M_TREE, M_APPLICATIONS};
    for (size_t i = 0; i < sizeof required / sizeof required[0]; i++)
        if (!seen[required[i]])
            return schema_fail(l, root, "a release manifest needs '%s' (release, version, tree and applications)",
                             manifest_rules[required[i]].name);
    if (!m->has_files)
        return 0;
    int r = check_listed(l, m, &m->tree, "tree");
    for (size_t i = 0; i < m->n_apps && r == 0; i++)
        r = check_listed(l, m, &m->apps[i].module, "module");
    for (size_t i = 0; i < m->n_appups && r == 0; i++)
        r = check_listed(l, m, &m->appups[i], "appup");
    return r;
}

static int load_root(struct schema_loader *l, struct nines_manifest *m) {
    yaml_node_t *root = yaml_document_get_root_node(&l->doc);
    yaml_node_t *seen[M_NKEYS] = {0};
    if (!root)
        return schema_fail(l, NULL, "the release manifest is empty: expected a mapping with the keys release, "
                                  "version, tree and applications");
    int r = schema_apply_keys(l, root, manifest_rules, M_NKEYS, m, "the release manifest", seen);
    return r < 0 ? r : check_manifest(l, root, m, seen);
}

static int manifest_root(struct schema_loader *l, void *m) {
    return load_root(l, m);
}

/* Parse what `parser` reads; `name` stands for the file in errors. */
static int load_parser(const char *name, yaml_parser_t *parser, struct nines_manifest **out,
                       struct nines_error *err) {
    struct schema_loader l = {.base_dir = ".", .err = err};
    struct nines_manifest *m = calloc(1, sizeof *m);
    int r = m ? schema_load_document(&l, parser, "a release manifest", manifest_root, m) : -ENOMEM;
    if (r == 0 && !(m->path = strdup(name)))
        r = -ENOMEM;
    if (r < 0) {
        nines_manifest_free(m);
        return r;
    }
    *out = m;
    return 0;
}

/* From the file `path`, or from `text` when path is NULL; `name` stands
 * for the file in errors. */
static int load(const char *name, const char *path, const char *text, size_t len, struct nines_manifest **out,
                struct nines_error *err) {
    struct schema_input in;
    *out = NULL;
    int r = schema_input_open(&in, name, path, text, len, "the release manifest", err);
    if (r < 0)
        return r;
    r = load_parser(name, &in.parser, out, err);
    schema_input_close(&in);
    return r;
}

int nines_manifest_load_string(const char *name, const char *text, size_t len, struct nines_manifest **out,
                               struct nines_error *err) {
    return load(name, NULL, text, len, out, err);
}

int nines_manifest_load(const char *path, struct nines_manifest **out, struct nines_error *err) {
    return load(path, path, NULL, 0, out, err);
}

void nines_manifest_free(struct nines_manifest *m) {
    if (!m)
        return;
    for (size_t i = 0; i < m->n_apps; i++)
        free(m->apps[i].name), free(m->apps[i].version), free(m->apps[i].module.path);
    for (size_t i = 0; i < m->n_appups; i++)
        free(m->appups[i].path);
    for (size_t i = 0; i < m->n_files; i++)
        free(m->files[i].path);
    free(m->apps), free(m->appups), free(m->files);
    free(m->path), free(m->release), free(m->version), free(m->tree.path);
    free(m);
}
