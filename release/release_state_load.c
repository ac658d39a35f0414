/*
 * release_state_load.c — state.yaml's schema as tables of keys, read with
 * the schema layer (lib/yaml_schema.h): unknown keys, duplicates,
 * wrong types, invalid versions and statuses, a version listed twice and
 * two permanent (or two current) releases are errors at the node's
 * position. ninesd writes this file; a broken one must stop it with a
 * message that says where, not be guessed at.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "manifest.h"
#include "module_check.h"
#include "release_state.h"
#include "yaml_schema.h"

#define STATE_MAX_ENTRIES 10000 /* versions are compared pairwise */

/* What loading fills: the state, and where each entry stands. */
struct state_load {
    struct nines_rel_state *s;
    unsigned *lines; /* lines[i]: the line of entry i */
};

static int set_version(struct schema_loader *l, yaml_node_t *v, void *t) {
    struct nines_rel_entry *e = t;
    const char *text = schema_scalar(v);
    if (!text || !nines_manifest_version_valid(text))
        return schema_fail(l, v, "invalid release version '%.100s' (" NINES_MANIFEST_VERSION_RULE ")",
                         text ? text : schema_node_kind(v));
    return (e->version = strdup(text)) ? 0 : -ENOMEM;
}

static int set_status(struct schema_loader *l, yaml_node_t *v, void *t) {
    struct nines_rel_entry *e = t;
    const char *text = schema_scalar(v);
    static const enum nines_rel_status all[] = {NINES_REL_UNPACKED, NINES_REL_CURRENT, NINES_REL_PERMANENT,
                                                NINES_REL_OLD};
    for (size_t i = 0; text && i < sizeof all / sizeof all[0]; i++)
        if (strcmp(text, nines_rel_status_name(all[i])) == 0) {
            e->status = all[i];
            return 0;
        }
    return schema_fail(l, v, "invalid status '%.100s' (allowed: unpacked, current, permanent, old)",
                     text ? text : schema_node_kind(v));
}

static const struct schema_key entry_rules[] = {{"version", set_version}, {"status", set_status}};
enum { E_VERSION, E_STATUS, E_NKEYS };

/* A second entry of a version, or a second permanent or current one, is
 * an error where it stands. */
static int check_entry_unique(struct schema_loader *l, const struct state_load *sl, size_t i, yaml_node_t *item) {
    const struct nines_rel_entry *e = &sl->s->v[i];
    for (size_t j = 0; j < i; j++) {
        const struct nines_rel_entry *o = &sl->s->v[j];
        if (strcmp(o->version, e->version) == 0)
            return schema_fail(l, item, "release version %s listed twice (first at line %u)", e->version,
                             sl->lines[j]);
        if (o->status == e->status && (e->status == NINES_REL_PERMANENT || e->status == NINES_REL_CURRENT))
            return schema_fail(l, item, "two %s releases: %s (line %u) and %s; there is at most one",
                             nines_rel_status_name(e->status), o->version, sl->lines[j], e->version);
    }
    return 0;
}

static int load_entry(struct schema_loader *l, yaml_node_t *item, struct state_load *sl, size_t i) {
    yaml_node_t *seen[E_NKEYS] = {0};
    sl->lines[i] = (unsigned)item->start_mark.line + 1;
    int r = schema_apply_keys(l, item, entry_rules, E_NKEYS, &sl->s->v[i], "a release entry", seen);
    for (size_t k = 0; k < E_NKEYS && r == 0; k++)
        if (!seen[k])
            r = schema_fail(l, item, "a release entry needs '%s' (it has version and status)", entry_rules[k].name);
    return r < 0 ? r : check_entry_unique(l, sl, i, item);
}

static int set_releases(struct schema_loader *l, yaml_node_t *v, void *t) {
    struct state_load *sl = t;
    if (v->type != YAML_SEQUENCE_NODE)
        return schema_fail(l, v, "'releases' must be a sequence of {version, status}, got %s", schema_node_kind(v));
    size_t n = (size_t)(v->data.sequence.items.top - v->data.sequence.items.start);
    if (n > STATE_MAX_ENTRIES)
        return schema_fail(l, v, "too many entries in 'releases' (at most %d)", STATE_MAX_ENTRIES);
    if (n && (!(sl->s->v = calloc(n, sizeof *sl->s->v)) || !(sl->lines = calloc(n, sizeof *sl->lines))))
        return -ENOMEM;
    for (size_t i = 0; i < n; i++) {
        sl->s->n = i + 1; /* so that a partial entry is freed too */
        int r = load_entry(l, schema_node(l, v->data.sequence.items.start[i]), sl, i);
        if (r < 0)
            return r;
    }
    return 0;
}

static int set_release(struct schema_loader *l, yaml_node_t *v, void *t) {
    struct state_load *sl = t;
    const char *text = schema_scalar(v);
    if (!text || !nines_module_name_valid(text))
        return schema_fail(l, v, "invalid release name '%.100s' (1 to 64 of a-z, 0-9, '_' and '-')",
                         text ? text : schema_node_kind(v));
    return (sl->s->release = strdup(text)) ? 0 : -ENOMEM;
}

static const struct schema_key state_rules[] = {{"release", set_release}, {"releases", set_releases}};
enum { S_RELEASE, S_RELEASES, S_NKEYS };

static int load_root(struct schema_loader *l, struct state_load *sl) {
    yaml_node_t *root = yaml_document_get_root_node(&l->doc);
    yaml_node_t *seen[S_NKEYS] = {0};
    if (!root)
        return schema_fail(l, NULL, "the release state is empty: expected a mapping with 'release' and 'releases'");
    int r = schema_apply_keys(l, root, state_rules, S_NKEYS, sl, "the release state", seen);
    if (r < 0)
        return r;
    if (!seen[S_RELEASES])
        return schema_fail(l, root, "the release state needs 'releases' (a sequence, possibly empty)");
    if (sl->s->n && !seen[S_RELEASE])
        return schema_fail(l, root, "the release state needs 'release' (the release's name) when it lists releases");
    if (!sl->s->n && seen[S_RELEASE])
        return schema_fail(l, seen[S_RELEASE], "'release' names no release: 'releases' is empty");
    return 0;
}

static int state_root(struct schema_loader *l, void *sl) { return load_root(l, sl); }

/* From the file `path`, or from `text` when path is NULL, all or
 * nothing; `name` stands for the file in errors. */
static int load(const char *name, const char *path, const char *text, size_t len, struct nines_rel_state *out,
                struct nines_error *err) {
    struct schema_input in;
    *out = (struct nines_rel_state){0};
    int r = schema_input_open(&in, name, path, text, len, "the release state", err);
    if (r < 0)
        return r;
    struct schema_loader l = {.base_dir = ".", .err = err};
    struct state_load sl = {.s = out};
    r = schema_load_document(&l, &in.parser, "a release state file", state_root, &sl);
    schema_input_close(&in);
    free(sl.lines);
    if (r < 0)
        nines_rel_state_free(out);
    return r;
}

int nines_rel_state_load_string(const char *name, const char *text, size_t len, struct nines_rel_state *out,
                                struct nines_error *err) {
    return load(name, NULL, text, len, out, err);
}

int nines_rel_state_load(const char *path, struct nines_rel_state *out, struct nines_error *err) {
    return load(path, path, NULL, 0, out, err);
}
