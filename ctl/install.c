/*
 * install.c — release, from and to of a release install, from its
 * records and its END message (see install.h).
 */
#include <stdio.h>
#include <string.h>

#include "install.h"

#define NAME_SIZE sizeof((struct ctl_install_names *)0)->release

/* Copy src into dst unless dst is already known, or src is not short
 * enough to be a name or a version. */
static void take(char dst[static NAME_SIZE], const char *src, size_t len) {
    if (dst[0] || len == 0 || len >= NAME_SIZE)
        return;
    memcpy(dst, src, len);
    dst[len] = '\0';
}

static void take_value(char dst[static NAME_SIZE], const char *v) {
    if (v)
        take(dst, v, strlen(v));
}

/* The space-separated word at *p (spaces before it skipped): its start
 * and length; *p moves past it. */
static const char *word(const char **p, size_t *len) {
    const char *s = *p + strspn(*p, " ");
    *len = strcspn(s, " ");
    *p = s + *len;
    return s;
}

/* "upgraded NAME FROM -> TO: 3 steps in 12 ms ..." */
static void from_success(const char *m, struct ctl_install_names *out) {
    size_t n[5];
    const char *w[5];
    for (int i = 0; i < 5; i++)
        w[i] = word(&m, &n[i]);
    bool verb = (n[0] == 8 && strncmp(w[0], "upgraded", 8) == 0) ||
                (n[0] == 10 && strncmp(w[0], "downgraded", 10) == 0);
    if (!verb || n[3] != 2 || strncmp(w[3], "->", 2) != 0)
        return;
    take(out->release, w[1], n[1]);
    take(out->from, w[2], n[2]);
    take(out->to, w[4], n[4] > 0 && w[4][n[4] - 1] == ':' ? n[4] - 1 : n[4]);
}

/* "... , NAME stays on FROM" */
static void from_failure(const char *m, struct ctl_install_names *out) {
    const char *at = strstr(m, " stays on ");
    if (!at)
        return;
    const char *name = at;
    while (name > m && name[-1] != ' ')
        name--;
    take(out->release, name, (size_t)(at - name));
    const char *rest = at + strlen(" stays on ");
    size_t len;
    const char *from = word(&rest, &len);
    take(out->from, from, len);
}

void ctl_install_names(const struct ctl_records *rs, const char *message, const char *asked,
                       struct ctl_install_names *out) {
    *out = (struct ctl_install_names){0};
    for (size_t i = 0; i < rs->n; i++) {
        take_value(out->release, ctl_record_value(&rs->v[i], "release"));
        take_value(out->from, ctl_record_value(&rs->v[i], "from"));
        take_value(out->to, ctl_record_value(&rs->v[i], "to"));
    }
    if (message) {
        from_success(message, out);
        from_failure(message, out);
    }
    take_value(out->to, asked);
}
