/*
 * upgrade.h — live upgrades of running workers, as ninesd drives them
 * (`ninesctl upgrade CHILD --module PATH`): the request goes to the
 * worker, which swaps its code at a quiescent point and says how it went
 * (worker/host_upgrade.c); ninesd logs it, answers the operator,
 * and remembers the module each child now runs, so that a later restart
 * starts the version that was running. Upgrades of one child are done one
 * after the other, in the order they were asked for.
 */
#ifndef NINES_UPGRADE_H
#define NINES_UPGRADE_H

#include "control.h"
#include "daemon.h"
#include "proto.h"

#include <stdbool.h>

/* Queue an upgrade of worker `node` to `module` (absolute); answered on `c`. */
void upgrade_request(struct daemon *d, struct control_conn *c, engine_node node, const char *module,
                     const char *extra);

/* upgrade_all.c: upgrade every running child of dynamic supervisor `sup`
 * to `module` (absolute), one after the other; if one fails, those
 * swapped go back, latest first. A record per child on `c`, then the END.
 * Children started afterwards run `module`. */
void upgrade_all_request(struct daemon *d, struct control_conn *c, engine_node sup, const char *module,
                         const char *extra);

/* A worker's new code crashed after its swap (not rolled back): an
 * upgrade of its supervisor's children that swapped it fails, and every
 * child it swapped goes back. */
void upgrade_all_on_crash(struct daemon *d, engine_node node, const char *why);

/* Children that dynamic supervisor `sup` starts from now on run `module`
 * instead of the template's. 0 or -ENOMEM. */
int upgrade_set_template(struct daemon *d, engine_node sup, const char *module);

/* The same for the release handler: `done` is called once with the
 * outcome (ok: the worker runs `module`) and the message the operator
 * would get; pause_us is the worker's pause (0 when it did not swap). */
typedef void (*upgrade_done_fn)(struct daemon *d, void *cookie, engine_node node, bool ok, uint64_t pause_us,
                                const char *message);
void upgrade_request_for(struct daemon *d, engine_node node, const char *module, const char *extra,
                         upgrade_done_fn done, void *cookie);

/* Run `module` at node's next start (a release's restart step): 0 or -ENOMEM. */
int upgrade_set_module(struct daemon *d, engine_node node, const char *module);

/* The module path every node whose spec names `from` runs from now on,
 * unless it was upgraded on its own since (a release upgrade swapped or
 * restarted the application: children started later, dynamic ones
 * included, get the new code). 0 or -ENOMEM. */
int upgrade_remap_module(struct daemon *d, const char *from, const char *to);

/* The worker's NINES_MSG_UPGRADE_RESULT. */
void upgrade_on_result(struct daemon *d, engine_node node, uint64_t gen, const struct nines_msg *m);

/* A worker's HANDOFF_FDS or HANDOFF_STATE, with its descriptors (taken). */
void upgrade_on_handoff(struct daemon *d, engine_node node, uint64_t gen, const struct nines_msg *m, int *fds,
                        size_t n_fds);

/* Worker node/gen ended. If it died during an upgrade, or within
 * UPGRADE_ROLLBACK_WINDOW_MS after one and before the new code took input
 * (or, when the old code accepts a stale restore, even after), and
 * `may_roll_back`, it is restarted on the code it ran before, from the
 * hand-off: true, and the engine is not told (the restart is not counted
 * against the intensity). Otherwise false, after failing an upgrade in
 * flight and saying so if the new code had just taken over. */
bool upgrade_on_exit(struct daemon *d, engine_node node, uint64_t gen, const struct nines_reason *why,
                     bool may_roll_back);

/* Whether worker node/gen may still be rolled back: an upgrade of it is
 * in flight, or its hand-off is still a safety net (calls_kept.h). */
bool upgrade_rollback_possible(struct daemon *d, engine_node node, uint64_t gen);

/* The worker's NINES_MSG_TOOK_INPUT: its new code had its first callback. */
void upgrade_on_took_input(struct daemon *d, engine_node node, uint64_t gen);

/* The worker restored from a hand-off is ready again. */
void upgrade_on_restored(struct daemon *d, engine_node node);

/* After a successful swap: the longest the rollback window stays open (it
 * closes earlier, at the new code's first input, unless the old code
 * accepts a stale restore), and how long a crash counts as "right after"
 * the upgrade. */
#define UPGRADE_ROLLBACK_WINDOW_MS 1000

/* An upgrade of `node` under way (sent to the worker, not answered yet):
 * the module it swaps to, with the version it runs in *from; else NULL. */
const char *upgrade_under_way(struct daemon *d, engine_node node, const char **from);

/* The module a (re)start of `node` runs: the last one upgraded to, else
 * its dynamic supervisor's (upgrade_set_template), else the tree's (as a
 * release upgrade remapped it). */
const char *daemon_module_of(struct daemon *d, engine_node node);

/* The engine freed `node` (ENGINE_ACT_NODE_FREED): the module or template
 * it was upgraded to goes with it, so the node its number names next
 * starts on its own spec. */
void upgrade_forget_node(struct daemon *d, engine_node node);

void upgrade_free(struct daemon *d);

#endif /* NINES_UPGRADE_H */
