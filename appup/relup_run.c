/*
 * relup_run.c — the release install's sequencing (see relup_run.h).
 */
#include "relup_run.h"

#include <stdio.h>

static struct relup_run_next act(enum relup_run_action action, size_t step) {
    return (struct relup_run_next){.action = action, .step = step};
}

/* Undoing: the next step at or below `from`, latest first, that has an
 * undo; FAILED when none is left. */
static struct relup_run_next next_undo(struct relup_run *run, size_t from_plus_one) {
    for (size_t s = from_plus_one; s > 0; s--)
        if (run->plan->steps[s - 1].has_undo) {
            run->step = s - 1;
            return act(RELUP_RUN_UNDO, run->step);
        }
    return act(RELUP_RUN_FAILED, 0);
}

static struct relup_run_next next_forward(struct relup_run *run) {
    if (run->step == run->plan->n_steps)
        return act(RELUP_RUN_SUCCEEDED, 0);
    return act(RELUP_RUN_DO, run->step);
}

struct relup_run_next relup_run_begin(struct relup_run *run, const struct nines_relup *plan) {
    *run = (struct relup_run){.plan = plan};
    return next_forward(run);
}

static void count_undo(struct relup_run *run, bool ok, size_t workers) {
    bool own = run->step == run->failed_step;
    if (ok) {
        run->undone++;
        if (own)
            run->failed_step_undone = true, run->failed_step_moved = workers;
    } else if (!run->undo_failed) {
        run->undo_failed = true;
        run->first_failed_undo = run->step;
    }
}

struct relup_run_next relup_run_done(struct relup_run *run, bool ok, size_t workers) {
    if (run->undoing) {
        count_undo(run, ok, workers);
        return next_undo(run, run->step);
    }
    if (ok) {
        run->step++;
        return next_forward(run);
    }
    run->undoing = true;
    run->failed_step = run->step;
    enum nines_relup_kind kind = run->plan->steps[run->step].op.kind;
    bool moves_workers = kind == NINES_RELUP_SWAP || kind == NINES_RELUP_RESTART;
    if (moves_workers && workers == 0)
        return next_undo(run, run->step); /* it moved nothing: nothing of it to undo */
    return next_undo(run, run->step + 1); /* the failed step itself first */
}

static const char *plural(size_t n) { return n == 1 ? "" : "s"; }

int relup_run_outcome(const struct relup_run *run, const char *undo_reason, char *buf, size_t size) {
    const struct nines_relup *p = run->plan;
    if (run->undo_failed)
        return snprintf(buf, size, "undo of step %zu failed: %s: the tree is between %s and %s, see the log",
                        run->first_failed_undo + 1, undo_reason ? undo_reason : "(no reason)", p->from_version,
                        p->to_version);
    size_t earlier = run->undone - run->failed_step_undone;
    if (run->failed_step_moved)
        return snprintf(buf, size, "its %zu worker%s that had moved and %zu earlier step%s undone, %s stays on %s",
                        run->failed_step_moved, plural(run->failed_step_moved), earlier, plural(earlier),
                        p->release, p->from_version);
    if (run->failed_step_undone)
        return snprintf(buf, size, "%zu step%s undone (the failed one included), %s stays on %s", run->undone,
                        plural(run->undone), p->release, p->from_version);
    return snprintf(buf, size, "%zu step%s undone, %s stays on %s", run->undone, plural(run->undone), p->release,
                    p->from_version);
}
