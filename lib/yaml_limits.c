/*
 * yaml_limits.c — the process's YAML limits and their flag (yaml_limits.h).
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "yaml_limits.h"

struct yaml_limits yaml_limits = YAML_LIMITS_DEFAULT;

static size_t *field(struct yaml_limits *l, const char *name, size_t len) {
    static const char *const names[] = {"size", "nodes", "aliases", "depth", "args"};
    size_t *fields[] = {&l->size, &l->nodes, &l->aliases, &l->depth, &l->args};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strlen(names[i]) == len && strncmp(names[i], name, len) == 0)
            return fields[i];
    return NULL;
}

int nines_limit_parse_value(const char *s, size_t len, int suffixes, size_t *out) {
    uint64_t v = 0;
    size_t i = 0;
    for (; i < len && s[i] >= '0' && s[i] <= '9'; i++) {
        if (v > (UINT64_MAX - 9) / 10)
            return -EINVAL;
        v = v * 10 + (uint64_t)(s[i] - '0');
    }
    unsigned shift = 0;
    if (suffixes && i + 1 == len)
        shift = s[i] == 'K' ? 10 : s[i] == 'M' ? 20 : s[i] == 'G' ? 30 : 64;
    if (i == 0 || shift == 64 || (i != len && !shift) || v == 0 || v > (SIZE_MAX >> 1 >> shift))
        return -EINVAL;
    *out = (size_t)(v << shift);
    return 0;
}

int yaml_limits_parse(struct yaml_limits *l, const char *spec, char *why, size_t why_size) {
    struct yaml_limits next = *l;
    for (const char *p = spec;; p++) {
        size_t n = strcspn(p, ","), name_len = strcspn(p, "=,");
        size_t *f = field(&next, p, name_len);
        if (!f || name_len == n) {
            snprintf(why, why_size, "'%.*s': expected NAME=N, NAME one of size, nodes, aliases, depth, args",
                     (int)n, p);
            return -EINVAL;
        }
        if (nines_limit_parse_value(p + name_len + 1, n - name_len - 1, f == &next.size, f) < 0) {
            snprintf(why, why_size, "'%.*s': the value must be a positive integer%s", (int)n, p,
                     f == &next.size ? " (with K, M or G for 1024s)" : "");
            return -EINVAL;
        }
        p += n;
        if (!*p)
            break;
    }
    *l = next;
    return 0;
}

void yaml_limits_format(const struct yaml_limits *l, char *buf, size_t size) {
    snprintf(buf, size, "size=%zu,nodes=%zu,aliases=%zu,depth=%zu,args=%zu", l->size, l->nodes, l->aliases,
             l->depth, l->args);
}
