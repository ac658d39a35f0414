/*
 * upgrade_all_run.h — the sequencing of an upgrade of every child of a
 * dynamic supervisor (`ninesctl upgrade SUPERVISOR --module PATH`), as a
 * pure machine: which child swaps next, which goes back after a failure,
 * and what the outcome says. Events in (a swap's result), actions out (the
 * next swap), no system calls: upgrade_all.c carries the swaps out.
 *
 * The order, as OTP's release handler upgrades a simple_one_for_one
 * supervisor's children: one child after the other, 0..n-1, each paused
 * only for its own swap while its siblings serve. Children found later
 * (started while the upgrade ran) are appended and swapped too. When
 * child k fails (it stays on the old code, with its state), the children
 * already swapped go back to the old code, latest first (k-1..0): the
 * supervisor's children all run one version again. A swap back that fails
 * does not stop the others; the outcome then says the children are
 * between the two versions.
 */
#ifndef NINES_UPGRADE_ALL_RUN_H
#define NINES_UPGRADE_ALL_RUN_H

#include <stdbool.h>
#include <stddef.h>

enum upgrade_all_action {
    UPGRADE_ALL_SWAP,      /* swap child `child` to the new module */
    UPGRADE_ALL_SWAP_BACK, /* swap child `child` back to the module it ran */
    UPGRADE_ALL_SUCCEEDED, /* every child swapped (none left: also success) */
    UPGRADE_ALL_FAILED,    /* a child failed and the swapped ones went back */
};

struct upgrade_all_next {
    enum upgrade_all_action action;
    size_t child; /* SWAP and SWAP_BACK: the index, in the order given */
};

struct upgrade_all_run {
    size_t n;           /* children to swap */
    size_t next;        /* the child swapping forward (while !undoing) */
    bool undoing;
    size_t failed;      /* the child that failed (when undoing or failed) */
    size_t back;        /* the child swapping back (when undoing) */
    size_t swapped;     /* children on the new module: 0..swapped-1 */
    size_t sent_back;   /* swaps back that succeeded */
    size_t back_failed; /* swaps back that failed */
    bool done;
};

/* Start with `n` children. */
struct upgrade_all_next upgrade_all_begin(struct upgrade_all_run *run, size_t n);

/* The swap (or swap back) the last action asked for ended: `ok`. */
struct upgrade_all_next upgrade_all_done(struct upgrade_all_run *run, bool ok);

/* A child already swapped failed later (its new code crashed after the
 * swap): between two results, or after success, the run turns into the
 * failure of the child that would swap next (or none) and sends back
 * every child swapped, latest first. Once undoing, it changes nothing and
 * returns the swap back under way (or FAILED when done). */
struct upgrade_all_next upgrade_all_abort(struct upgrade_all_run *run);

/* After UPGRADE_ALL_SUCCEEDED: `more` children were found that still run
 * the old module (started meanwhile); they get indexes n..n+more-1 and
 * the run goes on with the first of them. With more == 0 it stays
 * succeeded. */
struct upgrade_all_next upgrade_all_extend(struct upgrade_all_run *run, size_t more);

/* After UPGRADE_ALL_FAILED: one clause on what went back, e.g. "no child
 * had swapped: every child runs FROM", "1 child sent back: every child
 * runs FROM", or "2 of 3 children sent back, 1 could not be: the children
 * run FROM and TO"; `from` and
 * `to` are the versions (or modules) to name. Returns snprintf's count. */
int upgrade_all_outcome(const struct upgrade_all_run *run, const char *from, const char *to, char *buf,
                        size_t size);

#endif /* NINES_UPGRADE_ALL_RUN_H */
