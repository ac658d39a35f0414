/*
 * yaml_compose.c — a YAML document from events, within limits
 * (yaml_compose.h). Each node weighs itself and what it holds, counting
 * what its aliases reach; an alias adds its target's weight to the budget
 * of the limit `aliases` (nodes) and `size` (text). libyaml's own loader
 * reuses the anchored node for an alias, and so does this one: the
 * document stays small, the budget bounds the walk a loader makes of it.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "str_set.h"
#include "yaml_compose.h"

struct weight {
    size_t nodes, bytes;
};

struct frame {
    int node, key; /* key: the pending key of a mapping, 0 if none */
    struct weight w;
    size_t anchor; /* 1 + its index in anchors, 0 if not anchored */
};

struct anchor {
    char *name;
    int node;
    bool open; /* still being read: an alias to it is a cycle */
    struct weight w;
};

struct composer {
    yaml_document_t *doc;
    const struct yaml_limits *lim;
    struct nines_error *err;
    const char *what;
    struct frame *stack;
    size_t depth, stack_cap;
    struct anchor *anchors;
    size_t n_anchors, anchors_cap;
    struct str_set by_name; /* anchor name -> index in anchors */
    size_t nodes, alias_nodes, alias_bytes;
    bool had_document;
};

__attribute__((format(printf, 3, 4))) static int fail(struct composer *c, yaml_mark_t at, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->err->message, sizeof c->err->message, fmt, ap);
    va_end(ap);
    c->err->line = (unsigned)at.line + 1;
    c->err->column = (unsigned)at.column + 1;
    return -EINVAL;
}

static int grow(void **v, size_t *cap, size_t n, size_t size) {
    if (n < *cap)
        return 0;
    size_t next = *cap ? 2 * *cap : 16;
    void *p = realloc(*v, next * size);
    if (!p)
        return -ENOMEM;
    *v = p, *cap = next;
    return 0;
}

/* Remember `anchor` (NULL: none) as naming `node`; 1 + its index, or 0. */
static int add_anchor(struct composer *c, const yaml_char_t *anchor, int node, struct weight w, bool open,
                      size_t *slot) {
    *slot = 0;
    if (!anchor)
        return 0;
    if (grow((void **)&c->anchors, &c->anchors_cap, c->n_anchors, sizeof *c->anchors) < 0)
        return -ENOMEM;
    struct anchor *a = &c->anchors[c->n_anchors];
    if (!(a->name = strdup((const char *)anchor)))
        return -ENOMEM;
    a->node = node, a->open = open, a->w = w;
    if (str_set_put(&c->by_name, a->name, c->n_anchors) < 0) {
        free(a->name);
        return -ENOMEM;
    }
    *slot = ++c->n_anchors;
    return 0;
}

/* Put `node` where it belongs: the root, an item, a key or a value. */
static int attach(struct composer *c, int node, struct weight w) {
    if (c->depth == 0)
        return 0; /* the root: the first node of the document */
    struct frame *f = &c->stack[c->depth - 1];
    f->w.nodes += w.nodes, f->w.bytes += w.bytes;
    yaml_node_t *parent = yaml_document_get_node(c->doc, f->node);
    int ok = 1;
    if (parent->type == YAML_SEQUENCE_NODE)
        ok = yaml_document_append_sequence_item(c->doc, f->node, node);
    else if (!f->key)
        f->key = node;
    else
        ok = yaml_document_append_mapping_pair(c->doc, f->node, f->key, node), f->key = 0;
    return ok ? 0 : -ENOMEM;
}

static int count_node(struct composer *c, yaml_mark_t at) {
    if (++c->nodes > c->lim->nodes)
        return fail(c, at, "more than %zu YAML nodes (a limit: %s)", c->lim->nodes, YAML_LIMITS_HINT("nodes"));
    return 0;
}

static void set_marks(struct composer *c, int node, const yaml_event_t *ev) {
    yaml_node_t *n = yaml_document_get_node(c->doc, node);
    n->start_mark = ev->start_mark, n->end_mark = ev->end_mark;
}

static int on_scalar(struct composer *c, const yaml_event_t *ev) {
    int r = count_node(c, ev->start_mark);
    if (r < 0)
        return r;
    int node = yaml_document_add_scalar(c->doc, NULL, ev->data.scalar.value, (int)ev->data.scalar.length,
                                        ev->data.scalar.style);
    if (!node)
        return -ENOMEM;
    set_marks(c, node, ev);
    struct weight w = {1, ev->data.scalar.length};
    size_t slot;
    return (r = add_anchor(c, ev->data.scalar.anchor, node, w, false, &slot)) < 0 ? r : attach(c, node, w);
}

static int on_start(struct composer *c, const yaml_event_t *ev) {
    if (c->depth >= c->lim->depth)
        return fail(c, ev->start_mark, "YAML nested deeper than %zu levels (a limit: %s)", c->lim->depth,
                    YAML_LIMITS_HINT("depth"));
    int r = count_node(c, ev->start_mark);
    if (r < 0 || (r = grow((void **)&c->stack, &c->stack_cap, c->depth, sizeof *c->stack)) < 0)
        return r;
    bool seq = ev->type == YAML_SEQUENCE_START_EVENT;
    int node = seq ? yaml_document_add_sequence(c->doc, NULL, ev->data.sequence_start.style)
                   : yaml_document_add_mapping(c->doc, NULL, ev->data.mapping_start.style);
    if (!node)
        return -ENOMEM;
    set_marks(c, node, ev);
    const yaml_char_t *anchor = seq ? ev->data.sequence_start.anchor : ev->data.mapping_start.anchor;
    struct frame f = {.node = node, .w = {1, 0}};
    if ((r = add_anchor(c, anchor, node, f.w, true, &f.anchor)) < 0)
        return r;
    c->stack[c->depth++] = f;
    return 0;
}

static int on_end(struct composer *c, const yaml_event_t *ev) {
    struct frame f = c->stack[--c->depth];
    yaml_document_get_node(c->doc, f.node)->end_mark = ev->end_mark;
    if (f.anchor) {
        c->anchors[f.anchor - 1].open = false;
        c->anchors[f.anchor - 1].w = f.w;
    }
    return attach(c, f.node, f.w);
}

static int on_alias(struct composer *c, const yaml_event_t *ev) {
    const char *name = (const char *)ev->data.alias.anchor;
    size_t i;
    if (!str_set_get(&c->by_name, name, &i))
        return fail(c, ev->start_mark, "undefined alias '*%s'", name);
    const struct anchor *a = &c->anchors[i];
    if (a->open)
        return fail(c, ev->start_mark, "alias '*%s' is inside the node it names (a cycle)", name);
    c->alias_nodes += a->w.nodes, c->alias_bytes += a->w.bytes;
    if (c->alias_nodes > c->lim->aliases)
        return fail(c, ev->start_mark, "aliases reach more than %zu nodes (a limit: %s)", c->lim->aliases,
                    YAML_LIMITS_HINT("aliases"));
    if (c->alias_bytes > c->lim->size)
        return fail(c, ev->start_mark, "aliases reach more than %zu bytes of text (a limit: %s)", c->lim->size,
                    YAML_LIMITS_HINT("size"));
    return attach(c, a->node, a->w);
}

static int on_event(struct composer *c, const yaml_event_t *ev) {
    switch (ev->type) {
    case YAML_DOCUMENT_START_EVENT:
        if (c->had_document)
            return fail(c, ev->start_mark, "%s holds one YAML document, this is a second", c->what);
        c->had_document = true;
        return 0;
    case YAML_SCALAR_EVENT: return on_scalar(c, ev);
    case YAML_SEQUENCE_START_EVENT:
    case YAML_MAPPING_START_EVENT: return on_start(c, ev);
    case YAML_SEQUENCE_END_EVENT:
    case YAML_MAPPING_END_EVENT: return on_end(c, ev);
    case YAML_ALIAS_EVENT: return on_alias(c, ev);
    default: return 0;
    }
}

static int run(struct composer *c, yaml_parser_t *parser) {
    for (;;) {
        yaml_event_t ev;
        if (!yaml_parser_parse(parser, &ev))
            return YAML_COMPOSE_PARSER_ERROR;
        int r = on_event(c, &ev);
        bool end = ev.type == YAML_STREAM_END_EVENT;
        yaml_event_delete(&ev);
        if (r || end)
            return r;
    }
}

int yaml_compose(yaml_parser_t *parser, yaml_document_t *doc, const struct yaml_limits *limits, const char *what,
                 struct nines_error *err) {
    struct composer c = {.doc = doc, .lim = limits, .err = err, .what = what};
    if (!yaml_document_initialize(doc, NULL, NULL, NULL, 1, 1))
        return -ENOMEM;
    int r = run(&c, parser);
    for (size_t i = 0; i < c.n_anchors; i++)
        free(c.anchors[i].name);
    free(c.anchors);
    free(c.stack);
    str_set_free(&c.by_name);
    if (r)
        yaml_document_delete(doc);
    return r;
}
