/*
 * path_trust.h — is a file as trustworthy as the daemon that uses it?
 * (issue 16: modules, programs and the control socket's folder.)
 *
 * ninesd runs application code as its own user, often root. Code that
 * anyone else could have written is code that user runs: a module `.so`
 * or an exec program is therefore accepted only when nobody but its
 * owner and root can change it, and nobody but they can swap it either,
 * which means every folder above it passes the same test. The control
 * socket's folder is held to it too, so that nobody else can stand in
 * for ninesd there.
 *
 * The rule, for the file and for each folder from its own up to `/`
 * (OpenSSH's secure_filename and sudo's checks are the model):
 *   - its owner is root or the daemon's own uid;
 *   - neither its group nor others may write it,
 *   - except a folder with the sticky bit (`/tmp`, mode 1777): there
 *     others may add entries but never rename or remove one they do not
 *     own, so what the daemon's user put in it stays as it was. The file
 *     itself is never excused: a sticky bit on a file means nothing.
 *
 * The decision is a pure function of what stat(2) said (path_trust_judge),
 * unit-tested exhaustively; path_trust_check does the stat calls.
 */
#ifndef NINES_PATH_TRUST_H
#define NINES_PATH_TRUST_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

enum path_trust_verdict {
    PATH_TRUST_OK = 0,
    PATH_TRUST_FOREIGN_OWNER,        /* owned by a user neither root nor us */
    PATH_TRUST_GROUP_WRITABLE,       /* mode has g+w */
    PATH_TRUST_OTHER_WRITABLE,       /* mode has o+w */
    PATH_TRUST_GROUP_OTHER_WRITABLE, /* both */
};

/* What a verdict is made from: st_uid and st_mode (type bits included). */
struct path_trust_stat {
    uid_t uid;
    mode_t mode;
};

/* The rule above for one path, `me` being the daemon's effective uid. Pure. */
enum path_trust_verdict path_trust_judge(const struct path_trust_stat *st, uid_t me);

/*
 * The refusal in words, into buf (always NUL-terminated):
 *   "WHAT PATH is writable by group and others (mode 0666): ..."
 *   "folder DIR above WHAT PATH is owned by uid 65534, ..."
 * `what` names the kind of file ("module", "program", "control socket
 * folder"), `path` the file, `at` the path the verdict is about (the file
 * itself, or one of its folders). Pure.
 */
void path_trust_explain(enum path_trust_verdict v, const char *what, const char *path, const char *at,
                        const struct path_trust_stat *st, char *buf, size_t size);

/*
 * Check `path` and every folder above its real path (symbolic links
 * resolved) up to `/`, nearest first, for the effective uid. 0 when all
 * pass; -EPERM with the first refusal in `why`; -errno when a path cannot
 * be resolved or looked at (`why` says which).
 */
int path_trust_check(const char *what, const char *path, char *why, size_t size);

/* The file execvp(3) would run for `name`: `name` itself when it holds a
 * slash, else the first executable of that name on $PATH. false when
 * there is none (or it does not fit in `size`). */
bool path_trust_find_program(const char *name, char *out, size_t size);

/* The same on the search path `path` (a $PATH value; NULL or empty: the
 * default), for a program started with an environment of its own. */
bool path_trust_find_program_on(const char *name, const char *path, char *out, size_t size);

#endif /* NINES_PATH_TRUST_H */
