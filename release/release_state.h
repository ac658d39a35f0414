/*
 * release_state.h — the release handler's state: which versions of the
 * node's release ninesd knows, and what each one is (Erlang's
 * release_handler statuses), kept in DIR/state.yaml (doc/releases.md,
 * "The release handler's state").
 *
 *   unpacked   its files are in the store, it is not running
 *   current    installed and running, not yet made permanent: a restart
 *              of ninesd forgets it and boots the permanent one
 *   permanent  what ninesd boots; at most one
 *   old        was permanent before the present permanent one
 *
 * The transitions are pure: they only change the struct, all or nothing,
 * and a refusal says why in one line an operator can act on. The shell
 * (ninesd's release handler) does the work, then records it here and
 * writes the file whole (nines_rel_state_write_file).
 */
#ifndef NINES_RELEASE_STATE_H
#define NINES_RELEASE_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "tree.h"

#define NINES_REL_STATE_NAME "state.yaml" /* the state file's name in the releases folder */

enum nines_rel_status { NINES_REL_UNPACKED, NINES_REL_CURRENT, NINES_REL_PERMANENT, NINES_REL_OLD };

struct nines_rel_entry {
    char *version; /* the release's version (the manifest's rule) */
    enum nines_rel_status status;
};

struct nines_rel_state {
    char *release;             /* the release name, NULL while empty (n == 0) */
    struct nines_rel_entry *v; /* in the order they were added; versions unique */
    size_t n;
};

/* Load and validate a state file. 0 and *out filled; or a negative errno
 * (-EINVAL for invalid content, with FILE:LINE:COLUMN in *err) and *out
 * empty. A missing file is -ENOENT with *out empty: no release yet. *out
 * needs nines_rel_state_free either way. */
int nines_rel_state_load(const char *path, struct nines_rel_state *out, struct nines_error *err);

/* Same, from text in memory; `name` stands for the file in errors. */
int nines_rel_state_load_string(const char *name, const char *text, size_t len, struct nines_rel_state *out,
                                struct nines_error *err);

/* Write the state as YAML, the entries in order: always the same bytes
 * for the same state, and they load back as the same state. 0, or -errno. */
int nines_rel_state_write(const struct nines_rel_state *s, FILE *f);

/* Write it to `path` whole or not at all: a temporary file beside it,
 * fsync, rename, fsync of the folder. 0, or -errno. */
int nines_rel_state_write_file(const struct nines_rel_state *s, const char *path);

/* A copy of `from` in *to, which owns its own strings: 0, or -ENOMEM with
 * *to empty. For the handler to put the state back when the file cannot
 * be written after a transition. */
int nines_rel_state_copy(const struct nines_rel_state *from, struct nines_rel_state *to);

/* Free what the state holds and leave it empty; accepts an empty one. */
void nines_rel_state_free(struct nines_rel_state *s);

const char *nines_rel_status_name(enum nines_rel_status status); /* "unpacked", "current", "permanent", "old" */

/* The entry of `version`, or NULL. */
const struct nines_rel_entry *nines_rel_state_find(const struct nines_rel_state *s, const char *version);

/* The permanent version, or NULL. */
const char *nines_rel_state_permanent(const struct nines_rel_state *s);

/* The version that runs: the current one if any, else the permanent one,
 * else NULL. */
const char *nines_rel_state_running(const struct nines_rel_state *s);

/*
 * Transitions. Each returns 0, or a negative errno with a one-line reason
 * in `why` (`size` bytes; `why` may be NULL) and *s unchanged:
 *   -EINVAL  not allowed (another release's name, an invalid version, not
 *            the running one)
 *   -EEXIST  already so (a known version, the running one again)
 *   -ENOENT  an unknown version
 *   -EBUSY   in use (removing the current or the permanent release)
 *   -ENOMEM
 */

/* A new version of the release was unpacked into the store: a new entry,
 * 'unpacked', at the end. The first one names the release; another name
 * is refused. */
int nines_rel_state_add(struct nines_rel_state *s, const char *release, const char *version, char *why, size_t size);

/* Whether `version` may be installed: it is known and not the one that
 * runs (installing it would do nothing). The handler asks before it
 * starts an upgrade; nines_rel_state_installed() refuses the same way. */
int nines_rel_state_can_install(const struct nines_rel_state *s, const char *version, char *why, size_t size);

/* `version` was installed and runs: it becomes current, unless it is the
 * permanent one (going back to it), which stays permanent; the release
 * that was current before becomes unpacked (OTP's set_status). */
int nines_rel_state_installed(struct nines_rel_state *s, const char *version, char *why, size_t size);

/* `version`, which must be the one that runs, becomes permanent: ninesd
 * boots it from now on; the previous permanent one becomes old. Making
 * the running permanent release permanent again changes nothing. */
int nines_rel_state_make_permanent(struct nines_rel_state *s, const char *version, char *why, size_t size);

/* Forget `version` (the handler removes its files): refused for the
 * current and the permanent release. The entries keep their order. */
int nines_rel_state_remove(struct nines_rel_state *s, const char *version, char *why, size_t size);

/* ninesd (re)starts: it boots the permanent release, so a release that
 * was current and never made permanent goes back to unpacked. */
void nines_rel_state_boot(struct nines_rel_state *s);

#endif /* NINES_RELEASE_STATE_H */
