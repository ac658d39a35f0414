/*
 * yaml_compose.h — one YAML document built from libyaml's events within
 * the YAML limits (yaml_limits.h), in place of yaml_parser_load: nesting
 * is checked as each collection opens, before libyaml scans deeper (10,000
 * nested flow collections took 15 s in its scanner); nodes are counted as
 * they come; an alias adds what it reaches to a budget, so 300 KB of
 * aliases can no longer make 3.9 GB of child specs; an alias to a node
 * that contains it (a cycle) is refused.
 */
#ifndef NINES_YAML_COMPOSE_H
#define NINES_YAML_COMPOSE_H

#include <yaml.h>

#include "nines_error.h"
#include "yaml_limits.h"

/* Returned when libyaml itself failed: its problem is in the parser. */
#define YAML_COMPOSE_PARSER_ERROR 1

/* The one document of `parser` into `doc` (an empty one for an empty
 * stream): 0, YAML_COMPOSE_PARSER_ERROR, -ENOMEM, or -EINVAL with err's
 * message and position set (a limit, an undefined or cyclic alias, a
 * second document: "WHAT holds one YAML document, this is a second").
 * On failure `doc` holds nothing to delete. */
int yaml_compose(yaml_parser_t *parser, yaml_document_t *doc, const struct yaml_limits *limits, const char *what,
                 struct nines_error *err);

#endif
