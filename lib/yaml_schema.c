/*
 * yaml_schema.c — the schema layer (yaml_schema.h): errors at a node,
 * key tables, and one document per file.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "yaml_compose.h"
#include "yaml_schema.h"

int schema_fail(struct schema_loader *l, const yaml_node_t *node, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(l->err->message, sizeof l->err->message, fmt, ap);
    va_end(ap);
    if (node) {
        l->err->line = (unsigned)node->start_mark.line + 1;
        l->err->column = (unsigned)node->start_mark.column + 1;
    }
    return -EINVAL;
}

const char *schema_node_kind(const yaml_node_t *node) {
    switch (node ? node->type : YAML_NO_NODE) {
    case YAML_SCALAR_NODE: return "a scalar";
    case YAML_SEQUENCE_NODE: return "a sequence";
    case YAML_MAPPING_NODE: return "a mapping";
    default: return "nothing";
    }
}

const char *schema_scalar(const yaml_node_t *node) {
    return node && node->type == YAML_SCALAR_NODE ? (const char *)node->data.scalar.value : NULL;
}

yaml_node_t *schema_node(struct schema_loader *l, int index) { return yaml_document_get_node(&l->doc, index); }

static void list_names(const struct schema_key *rules, size_t n, char *buf, size_t size) {
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < n && used < size; i++)
        used += (size_t)snprintf(buf + used, size - used, "%s%s", i ? ", " : "", rules[i].name);
}

/* Apply `rules` to every pair of `map`; seen[i] is the value node of rule i. */
int schema_apply_keys(struct schema_loader *l, yaml_node_t *map, const struct schema_key *rules, size_t n,
                       void *target, const char *where, yaml_node_t **seen) {
    if (map->type != YAML_MAPPING_NODE)
        return schema_fail(l, map, "expected a mapping for %s, got %s", where, schema_node_kind(map));
    for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++) {
        yaml_node_t *key = schema_node(l, p->key), *value = schema_node(l, p->value);
        const char *name = schema_scalar(key);
        size_t i = 0;
        while (name && i < n && strcmp(rules[i].name, name) != 0)
            i++;
        if (!name || i == n) {
            char allowed[256];
            list_names(rules, n, allowed, sizeof allowed);
            return schema_fail(l, key, "unknown key '%s' in %s (allowed: %s)", name ? name : "?", where, allowed);
        }
        if (seen[i])
            return schema_fail(l, key, "duplicate key '%s' in %s", name, where);
        seen[i] = value;
        int r = rules[i].set(l, value, target);
        if (r < 0)
            return r;
    }
    return 0;
}

/* The line and column (characters, as libyaml's marks count them) of
 * byte `offset` of `text`: a reader error (a bad byte, found while
 * libyaml fills its buffer, before the first token) has only an offset. */
static void place_of_offset(const unsigned char *text, size_t len, size_t offset, unsigned *line,
                            unsigned *column) {
    *line = 1, *column = 1;
    for (size_t i = 0; i < offset && i < len; i++) {
        if (text[i] == '\n' || (text[i] == '\r' && (i + 1 >= len || text[i + 1] != '\n')))
            (*line)++, *column = 1;
        else if (text[i] != '\r' && (text[i] & 0xc0) != 0x80)
            (*column)++;
    }
}

static int syntax_error(struct schema_loader *l, yaml_parser_t *p) {
    char value[16] = "";
    if (p->error == YAML_READER_ERROR && p->input.string.start) {
        const unsigned char *text = p->input.string.start;
        place_of_offset(text, (size_t)(p->input.string.end - text), p->problem_offset, &l->err->line,
                        &l->err->column);
        if (p->problem_value >= 0)
            snprintf(value, sizeof value, " (0x%02x)", (unsigned)p->problem_value);
    } else {
        l->err->line = (unsigned)p->problem_mark.line + 1;
        l->err->column = (unsigned)p->problem_mark.column + 1;
    }
    snprintf(l->err->message, sizeof l->err->message, "invalid YAML: %s%s%s%s",
             p->problem ? p->problem : "syntax error", value, p->context ? " " : "", p->context ? p->context : "");
    return -EINVAL;
}

int schema_parse_document(struct schema_loader *l, yaml_parser_t *parser, const char *what) {
    int r = yaml_compose(parser, &l->doc, &yaml_limits, what, l->err);
    return r == YAML_COMPOSE_PARSER_ERROR ? syntax_error(l, parser) : r;
}

int schema_load_document(struct schema_loader *l, yaml_parser_t *parser, const char *what, schema_root_fn root_fn,
                       void *obj) {
    int r = schema_parse_document(l, parser, what);
    if (r < 0)
        return r;
    r = root_fn(l, obj);
    yaml_document_delete(&l->doc);
    if (r == -ENOMEM && !l->err->message[0])
        snprintf(l->err->message, sizeof l->err->message, "out of memory");
    return r;
}

/* Errors start empty, naming the file. */
void schema_reset_error(struct nines_error *err, const char *name) {
    memset(err, 0, sizeof *err);
    snprintf(err->file, sizeof err->file, "%s", name);
}

/* Text in memory through schema_load_document. */
int schema_load_text(struct schema_loader *l, const char *text, size_t len, const char *what, schema_root_fn root_fn,
                     void *obj) {
    yaml_parser_t parser;
    int r = schema_check_size(l->err, text, len);
    if (r < 0)
        return r;
    if (!yaml_parser_initialize(&parser))
        return -ENOMEM;
    yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
    r = schema_load_document(l, &parser, what, root_fn, obj);
    yaml_parser_delete(&parser);
    return r;
}

