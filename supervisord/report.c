/*
 * report.c — supervisor reports as log records, with OTP's report names
 * and the fields of doc/design.md §7.
 */
#include <stdio.h>
#include <syslog.h>

#include "daemon.h"
#include "log.h"

static int report_priority(const struct engine_report *r) {
    switch (r->kind) {
    case ENGINE_REPORT_CHILD_STARTED:
    case ENGINE_REPORT_CHILD_STOPPED:
        return LOG_INFO;
    case ENGINE_REPORT_CHILD_TERMINATED:
        return nines_reason_is_abnormal(&r->reason) ? LOG_ERR : LOG_INFO;
    default:
        return LOG_ERR;
    }
}

/* What the operator reads: what happened, then what is done about it. */
static void describe(const struct engine_report *r, const char *child, const char *why,
                     char *buf, size_t size) {
    char wait[48] = "";
    if (r->delay_ms) /* backoff: the restart waits */
        snprintf(wait, sizeof wait, " in %llums (backoff)", (unsigned long long)r->delay_ms);
    switch (r->kind) {
    case ENGINE_REPORT_CHILD_STARTED:
        snprintf(buf, size, "%s started", child);
        break;
    case ENGINE_REPORT_CHILD_TERMINATED:
        snprintf(buf, size, "%s terminated (%s); %s%s", child, why, engine_followup_name(r->followup), wait);
        break;
    case ENGINE_REPORT_START_ERROR:
        snprintf(buf, size, "%s failed to start: %s%s", child, why, wait);
        break;
    case ENGINE_REPORT_SHUTDOWN_ERROR:
        snprintf(buf, size, "%s did not stop cleanly: %s", child, why);
        break;
    case ENGINE_REPORT_SHUTDOWN:
        snprintf(buf, size, "supervisor %s reached its restart intensity and gives up", child);
        break;
    case ENGINE_REPORT_CHILD_STOPPED:
        snprintf(buf, size, "%s stopped", child);
        break;
    }
}

void daemon_log_report(struct daemon *d, const struct engine_report *r) {
    char why[300], pid[16] = "", msg[760], restarts[16], delay[24];
    const char *child = engine_node_path(d->engine, r->child);
    nines_reason_format(&r->reason, why, sizeof why);
    const struct node_info *n = r->child < d->n_nodes && !engine_node_is_supervisor(d->engine, r->child) && r->gen
                                    ? &d->nodes[r->child]
                                    : NULL;
    /* The incarnation reported: the current one, or the one before when
     * the report of its end comes after its replacement's spawn. */
    pid_t reported = !n ? 0 : n->gen == r->gen ? n->pid : n->prev_gen == r->gen ? n->prev_pid : 0;
    bool has_pid = reported > 0;
    if (has_pid)
        snprintf(pid, sizeof pid, "%d", (int)reported);
    snprintf(restarts, sizeof restarts, "%u", engine_node_restarts(d->engine, r->child));
    bool with_reason = r->kind != ENGINE_REPORT_CHILD_STARTED;
    bool followup = r->kind == ENGINE_REPORT_CHILD_TERMINATED;
    struct nines_field f[] = {
        {"supervisor", engine_node_path(d->engine, r->supervisor)},
        {"child", child},
        {"pid", has_pid ? pid : NULL},
        {"reason", with_reason ? why : NULL},
        {"action", followup ? engine_followup_name(r->followup) : NULL},
        {"restarts", r->kind == ENGINE_REPORT_CHILD_STARTED ? restarts : NULL},
        {"backoff_ms", r->delay_ms ? delay : NULL},
        {"load", r->kind == ENGINE_REPORT_CHILD_STARTED && has_pid && d->nodes[r->child].preloaded ? "preloaded" : NULL},
    };
    snprintf(delay, sizeof delay, "%llu", (unsigned long long)r->delay_ms);
    describe(r, child, why, msg, sizeof msg);
    nines_log_event(report_priority(r), engine_report_name(r->kind), msg, f, sizeof f / sizeof f[0]);
}
