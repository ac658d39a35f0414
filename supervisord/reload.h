/*
 * reload.h — `ninesctl reload` and SIGHUP: the tree file read again and
 * the difference applied to the running tree (README "Reloading the tree").
 *
 * The file is loaded and every module load-checked (preflight.h) first:
 * a bad file is refused with FILE:LINE:COLUMN and nothing changes. The
 * difference (engine_tree_diff.h) is then carried out one engine request
 * at a time, the requests a release upgrade uses, so that each change
 * survives its supervisor's restarts. When one fails, the ones done are
 * undone, latest first, and the tree runs the file it ran before. One
 * reload at a time; not with --releases (the tree is the release's:
 * `ninesctl upgrade` changes it).
 */
#ifndef NINES_RELOAD_H
#define NINES_RELOAD_H

#include <stdbool.h>
#include <stdint.h>

#include "daemon.h"

/* Begin a reload asked by control connection `conn_id` (answered by an
 * END when done), or by SIGHUP (conn_id 0: only the log says). */
void reload_request(struct daemon *d, uint64_t conn_id, const char *origin);

/* An engine reply: true when it was a reload's. */
bool reload_on_reply(struct daemon *d, const struct engine_reply *r);

void reload_free(struct daemon *d); /* the one under way, and the trees kept */

#endif
