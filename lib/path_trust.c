/*
 * path_trust.c — the pure half of path_trust.h: the rule and its words.
 */
#include "path_trust.h"

#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

enum path_trust_verdict path_trust_judge(const struct path_trust_stat *st, uid_t me) {
    if (st->uid != 0 && st->uid != me)
        return PATH_TRUST_FOREIGN_OWNER;
    bool group = st->mode & S_IWGRP, other = st->mode & S_IWOTH;
    if (!group && !other)
        return PATH_TRUST_OK;
    /* In a sticky folder nobody can rename or remove what is not theirs. */
    if (S_ISDIR(st->mode) && (st->mode & S_ISVTX))
        return PATH_TRUST_OK;
    return group && other ? PATH_TRUST_GROUP_OTHER_WRITABLE
           : group        ? PATH_TRUST_GROUP_WRITABLE
                          : PATH_TRUST_OTHER_WRITABLE;
}

static const char *writers(enum path_trust_verdict v) {
    switch (v) {
    case PATH_TRUST_GROUP_WRITABLE:
        return "group";
    case PATH_TRUST_OTHER_WRITABLE:
        return "others";
    default:
        return "group and others";
    }
}

void path_trust_explain(enum path_trust_verdict v, const char *what, const char *path, const char *at,
                        const struct path_trust_stat *st, char *buf, size_t size) {
    char subject[1024];
    bool folder = strcmp(path, at) != 0;
    if (folder)
        snprintf(subject, sizeof subject, "folder %s above %s %s", at, what, path);
    else
        snprintf(subject, sizeof subject, "%s %s", what, path);
    unsigned mode = (unsigned)(st->mode & 07777);
    if (v == PATH_TRUST_OK)
        snprintf(buf, size, "%s is trusted (mode %04o)", subject, mode);
    else if (v == PATH_TRUST_FOREIGN_OWNER)
        snprintf(buf, size, "%s is owned by uid %u (mode %04o): only root or ninesd's own user may own it",
                 subject, (unsigned)st->uid, mode);
    else
        snprintf(buf, size, "%s is writable by %s (mode %04o): only its owner and root may write it (chmod go-w%s)",
                 subject, writers(v), mode, folder ? ", or +t for a shared folder" : "");
}
