/*
 * start_timeout.c — see start_timeout.h.
 */
#include "start_timeout.h"

#include <inttypes.h>
#include <stdio.h>
#include <syslog.h>

#include "child_proc.h"
#include "log.h"

static int on_expiry(sd_event_source *s, uint64_t usec, void *userdata) {
    struct child_proc *p = userdata;
    p->start_src = sd_event_source_unref(p->start_src);
    if (p->stop_requested)
        return 0; /* stopping: its shutdown grace decides */
    p->start_timed_out = true;
    char pid[16], ms[24];
    snprintf(pid, sizeof pid, "%d", (int)p->pid);
    snprintf(ms, sizeof ms, "%" PRIu64, p->start_timeout_ms);
    struct nines_field f[] = {
        {"child", engine_node_path(p->d->engine, p->node)},
        {"pid", pid},
        {"start_timeout_ms", ms},
    };
    nines_log_event(LOG_ERR, "start_timeout",
                    p->is_exec ? "it did not send READY=1 within the child's start_timeout: killed"
                               : "init did not return within the child's start_timeout: killed",
                    f, 3);
    child_proc_kill(p);
    return 0;
}

int start_timeout_arm(struct child_proc *p, uint64_t ms) {
    p->start_timeout_ms = ms;
    if (!ms)
        return 0;
    return sd_event_add_time_relative(p->d->loop, &p->start_src, CLOCK_MONOTONIC, ms * 1000, 1000, on_expiry, p);
}

void start_timeout_disarm(struct child_proc *p) {
    p->start_src = sd_event_source_disable_unref(p->start_src);
}

void start_timeout_reason(const struct child_proc *p, struct nines_reason *r) {
    if (!p->start_timed_out)
        return;
    char text[sizeof r->message];
    snprintf(text, sizeof text, "it did not %s within %" PRIu64 " ms (a limit: raise the child's start_timeout)",
             p->is_exec ? "send READY=1" : "return", p->start_timeout_ms);
    *r = nines_reason_make(NINES_REASON_INIT_FAILED, 0, text);
}
