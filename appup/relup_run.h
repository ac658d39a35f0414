/*
 * relup_run.h — the sequencing of a release install, as a pure machine:
 * which step of a relup plan (relup.h) runs next, which undo after a
 * failure, and what the outcome says. Events in (an operation's result),
 * actions out (the next operation), no system calls: the daemon's
 * release_install.c carries the operations out and feeds their results
 * back, as it does with the engine.
 *
 * The order it keeps: steps 1..n forward; when step k fails, the undo of
 * step k itself (it may have moved some of its workers before failing; a
 * swap or restart that had moved none has nothing to undo), then the undos
 * of steps k-1..1, latest first, skipping steps without an undo. An undo that fails does not stop the others: each later one still
 * runs, and the outcome says the tree is between the two releases.
 */
#ifndef NINES_RELUP_RUN_H
#define NINES_RELUP_RUN_H

#include <stdbool.h>
#include <stddef.h>

#include "relup.h"

enum relup_run_action {
    RELUP_RUN_DO,        /* run plan->steps[step].op */
    RELUP_RUN_UNDO,      /* run plan->steps[step].undo */
    RELUP_RUN_SUCCEEDED, /* every step ran: the target release is installed */
    RELUP_RUN_FAILED,    /* a step failed and the undos have run */
};

struct relup_run_next {
    enum relup_run_action action;
    size_t step; /* for DO and UNDO */
};

struct relup_run {
    const struct nines_relup *plan;
    bool undoing;
    size_t step;               /* the step whose op or undo runs */
    size_t failed_step;        /* when undoing */
    size_t undone;             /* undos that succeeded, the failed step's included */
    bool failed_step_undone;   /* the failed step's own undo ran and succeeded */
    size_t failed_step_moved;  /* the workers the failed step had moved, sent back */
    bool undo_failed;
    size_t first_failed_undo;  /* when undo_failed */
};

/* Start running `plan` (borrowed for the run's lifetime). */
struct relup_run_next relup_run_begin(struct relup_run *run, const struct nines_relup *plan);

/* The operation the last action asked for ended: `ok`, and `workers`, the
 * workers it moved onto its module (a swap's or restart's; 0 for the
 * others). For a step that failed, those it had moved before failing; for
 * the undo of the failed step, those it sent back. */
struct relup_run_next relup_run_done(struct relup_run *run, bool ok, size_t workers);

/* After RELUP_RUN_FAILED: what was undone, one clause for the operator,
 * counting exactly the undos reported ok: e.g. "1 step undone, app stays
 * on 1.0.0", "2 steps undone (the failed one included), ...", "its 3
 * workers that had moved and 1 earlier step undone, ..." or, when an undo failed, "undo of step 2 failed: <undo_reason>: the tree
 * is between 1.0.0 and 1.1.0, see the log". Returns snprintf's count. */
int relup_run_outcome(const struct relup_run *run, const char *undo_reason, char *buf, size_t size);

#endif /* NINES_RELUP_RUN_H */
