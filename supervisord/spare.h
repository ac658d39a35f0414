/*
 * spare.h — warm worker hosts kept ready for the next module workers.
 *
 * Starting a worker costs a spawn, an exec and the dynamic loader before
 * the application's own dlopen and init. ninesd keeps one `nines-worker
 * --spare` process that has already paid for the first three and waits on
 * its channel; a (re)start hands it the module, the child's path and args
 * in one START message, and a new spare is spawned once the loop is idle.
 * This is what keeps crash -> replacement ready close to the bare cost of
 * loading the module (bench/bench_restart.c). Exec children do not use it.
 *
 * How many are kept follows the recent rate of module starts
 * (spare_rate.h): one for a crash now and then, up to SPARE_MAX for a
 * burst (the boot, a one_for_all restart, many dynamic starts), so that
 * the next start finds a host already linked rather than one still being
 * exec'd. The pool is refilled (or shrunk) one host per idle turn of the
 * loop, and shrinks back a while after the burst.
 *
 * Spares are forks of the launcher (worker/launch_fork.c): a nines-worker
 * replaced on disk since they were made (a release) makes spare_take kill
 * them all and make them again, never handing a start to old host code.
 *
 * Beside those, one more spare has already loaded the module likeliest
 * to be started next (spare_pick.h) with every check a start makes
 * (NINES_MSG_PRELOAD, worker/host_preload.c): a start of that module gets
 * it, and is only its init; at the START the host checks the path's
 * trust again and that the file is still the one it loaded, and loads
 * afresh (exec'ing itself again) if not. Its READY says "preloaded" and
 * the child_started record then has load=preloaded.
 */
#ifndef NINES_SPARE_H
#define NINES_SPARE_H

#include "child_proc.h"

struct spare;

/* Hand the spare to child `path` of `spec`: on 0, *out is the process,
 * already told what to run. -ENOENT when there is no spare (the caller
 * spawns as usual), another -errno if the hand-over failed. */
int spare_take(struct daemon *d, const struct nines_child_spec *spec, const char *module, const char *expect,
               const char *path, struct spawned *out);

/* A start of `module` with no spare ready but one asked for of the
 * launcher (its pid not yet said): wait for that one (launcher_await),
 * which comes sooner than a host asked for now would (a boot's starts
 * came between a refill's request and its answer: every other start
 * was a host of its own, made while the spare asked for sat unused). */
void spare_await(struct daemon *d, const char *module);

/* The pid of the host spare_take would hand a start of `module` to, or 0
 * (cgroup.h moves it into the child's cgroup first). */
pid_t spare_next_pid(const struct daemon *d, const char *module);

/* Have the pool brought to its size, a host per idle turn of the loop. */
void spare_want(struct daemon *d);

/* `starts` module starts are coming (the boot): count them in the rate
 * and spawn the pool it calls for now. */
void spare_expect(struct daemon *d, unsigned starts);

/* Kill the spares (at shutdown); spare_free_pool also frees the pool. */
void spare_drop(struct daemon *d);
void spare_free_pool(struct daemon *d);

/* Encode the START payload: "MODULE\0PATH\0NAME\0KEY=VALUE\0..." (the
 * args are spec's; NAME the application the module must be, `expect`,
 * or "" when NULL: module_names.h). Pure. Bytes written, or -E2BIG when
 * it does not fit in `size`. */
int spare_start_payload(const struct nines_child_spec *spec, const char *module, const char *expect,
                        const char *path, char *buf, size_t size);

#endif /* NINES_SPARE_H */
