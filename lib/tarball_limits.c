/*
 * tarball_limits.c — the process's tarball limits, their flag, and the
 * verdict on one member (tarball_limits.h). Pure.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "tarball_limits.h"
#include "yaml_limits.h"

struct tarball_limits tarball_limits = TARBALL_LIMITS_DEFAULT;

#define HINT(name) "(a limit: raise it with --tarball-limits " name "=N)"

static int parse_one(struct tarball_limits *l, const char *p, size_t n, char *why, size_t why_size) {
    size_t name_len = strcspn(p, "=,"), v;
    bool is_size = name_len == 4 && strncmp(p, "size", 4) == 0;
    bool is_members = name_len == 7 && strncmp(p, "members", 7) == 0;
    if ((!is_size && !is_members) || name_len == n) {
        snprintf(why, why_size, "'%.*s': expected NAME=N, NAME one of size, members", (int)n, p);
        return -EINVAL;
    }
    if (nines_limit_parse_value(p + name_len + 1, n - name_len - 1, is_size, &v) < 0) {
        snprintf(why, why_size, "'%.*s': the value must be a positive integer%s", (int)n, p,
                 is_size ? " (with K, M or G for 1024s)" : "");
        return -EINVAL;
    }
    if (is_size)
        l->size = v;
    else
        l->members = v;
    return 0;
}

int tarball_limits_parse(struct tarball_limits *l, const char *spec, char *why, size_t why_size) {
    struct tarball_limits next = *l;
    for (const char *p = spec;; p++) {
        size_t n = strcspn(p, ",");
        if (parse_one(&next, p, n, why, why_size) < 0)
            return -EINVAL;
        p += n;
        if (!*p)
            break;
    }
    *l = next;
    return 0;
}

void tarball_limits_format(const struct tarball_limits *l, char *buf, size_t size) {
    snprintf(buf, size, "size=%llu,members=%zu", (unsigned long long)l->size, l->members);
}

/* A relative path with no ".." (empty and "." names lead nowhere); a
 * last '/' only for a folder. */
static const char *path_problem(const char *name, enum tarball_kind kind) {
    size_t len = strlen(name);
    if (!len)
        return "a member has no name";
    if (*name == '/')
        return "a member's path may not start with '/'";
    for (const char *p = name; *p;) {
        size_t n = strcspn(p, "/");
        if (n == 2 && p[0] == '.' && p[1] == '.')
            return "a member's path may not hold '..'";
        p += n;
        if (*p)
            p++;
    }
    if (name[len - 1] == '/' && kind != TARBALL_DIR)
        return "only a folder's path may end with '/'";
    return NULL;
}

static const char *kind_problem(enum tarball_kind kind) {
    switch (kind) {
    case TARBALL_FILE:
    case TARBALL_DIR: return NULL;
    case TARBALL_SYMLINK: return "a symbolic link (a release tarball holds only files and folders)";
    case TARBALL_HARDLINK: return "a hard link (a release tarball holds only files and folders)";
    case TARBALL_SPARSE: return "a sparse file (a release tarball holds only plain files and folders)";
    default: return "not a regular file or a folder (a release tarball holds only files and folders)";
    }
}

int tarball_member_check(const struct tarball_limits *l, struct tarball_count *c, const char *name,
                         enum tarball_kind kind, int64_t size, char *why, size_t why_size) {
    const char *problem = path_problem(name, kind);
    if (!problem)
        problem = kind_problem(kind);
    if (problem) {
        snprintf(why, why_size, "%.1024s: %s", name, problem);
        return -EINVAL;
    }
    if (c->members >= l->members) {
        snprintf(why, why_size, "%.1024s: the tarball holds more than %zu members " HINT("members"), name,
                 l->members);
        return -EINVAL;
    }
    if (kind == TARBALL_FILE && size < 0) {
        snprintf(why, why_size, "%.1024s: the member's header gives no size", name);
        return -EINVAL;
    }
    uint64_t bytes = kind == TARBALL_FILE ? (uint64_t)size : 0;
    if (bytes > l->size - c->size) {
        snprintf(why, why_size, "%.1024s: the tarball unpacks to more than %llu bytes " HINT("size"), name,
                 (unsigned long long)l->size);
        return -EINVAL;
    }
    c->members++;
    c->size += bytes;
    return 0;
}
