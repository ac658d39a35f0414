/*
 * yaml_limits.h — how much work one YAML file may ask of a loader (issue
 * 16): 300 KB of aliases once took 3.9 GB and 14 s, 200,000 args over a
 * minute, 10,000 nested flow collections 15 s inside libyaml. Every YAML
 * file of Nines (tree files, child specs, appups, release manifests, the
 * release state) is read within these limits; a file beyond one is refused
 * at the place it crosses it, naming the limit and how to raise it.
 *
 * The limits are the process's: the defaults, raised by a program's
 * --yaml-limits flag (ninesd, nines-release, nines-appup) before it loads
 * anything. ninesd passes its own on to the nines-release it runs.
 */
#ifndef NINES_YAML_LIMITS_H
#define NINES_YAML_LIMITS_H

#include <stddef.h>

struct yaml_limits {
    size_t size;    /* bytes of the file; and again of text reached through aliases */
    size_t nodes;   /* scalars, sequences and mappings written in the file */
    size_t aliases; /* nodes reached through aliases, each time it is reached */
    size_t depth;   /* collections open at once */
    size_t args;    /* args of one child */
};

#define YAML_LIMITS_DEFAULT {.size = 16u << 20, .nodes = 1000000, .aliases = 1000000, .depth = 128, .args = 10000}

/* The process's limits (YAML_LIMITS_DEFAULT until a flag changes them). */
extern struct yaml_limits yaml_limits;

/* Apply "NAME=N[,NAME=N...]" (names: size, nodes, aliases, depth, args;
 * N a positive integer, size also with a K, M or G suffix of 1024s) to
 * `l`: 0, or -EINVAL with `why` saying what is wrong (and `l` as it was). */
int yaml_limits_parse(struct yaml_limits *l, const char *spec, char *why, size_t why_size);

/* The N of NAME=N (`len` bytes at `s`): a positive count, with a K, M
 * or G suffix of 1024s when `suffixes`. 0 with *out, or -EINVAL. */
int nines_limit_parse_value(const char *s, size_t len, int suffixes, size_t *out);

/* `l` as a spec yaml_limits_parse reads back. */
void yaml_limits_format(const struct yaml_limits *l, char *buf, size_t size);

/* How a message names the way to raise limit `name`. */
#define YAML_LIMITS_HINT(name) "raise it with --yaml-limits " name "=N"

#endif
