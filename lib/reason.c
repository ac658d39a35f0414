/*
 * reason.c — turning what the daemon saw of a child's end into a reason.
 */
#include "reason.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>

bool nines_reason_is_abnormal(const struct nines_reason *r) {
    switch (r->kind) {
    case NINES_REASON_NORMAL:
    case NINES_REASON_SHUTDOWN:
    case NINES_REASON_MAX_INTENSITY:
        return false;
    default:
        return true;
    }
}

struct nines_reason nines_reason_make(enum nines_reason_kind kind, int value, const char *message) {
    struct nines_reason r = {.kind = kind, .value = value};
    if (message)
        snprintf(r.message, sizeof r.message, "%s", message);
    return r;
}

static const char *signal_name(int sig) {
    const char *abbrev = sigabbrev_np(sig);
    return abbrev ? abbrev : "?";
}

void nines_reason_format(const struct nines_reason *r, char *buf, size_t size) {
    const char *m = r->message;
    switch (r->kind) {
    case NINES_REASON_NORMAL:
        snprintf(buf, size, "normal");
        break;
    case NINES_REASON_SHUTDOWN:
        snprintf(buf, size, "shutdown");
        break;
    case NINES_REASON_SIGNAL:
        snprintf(buf, size, "killed by SIG%s%s", signal_name(r->value),
                 r->core_dumped ? " (core dumped)" : "");
        break;
    case NINES_REASON_EXIT_STATUS:
        snprintf(buf, size, "exit status %d", r->value);
        break;
    case NINES_REASON_ERROR:
        snprintf(buf, size, "error: %s", *m ? m : "the application stopped with an error");
        break;
    case NINES_REASON_INIT_FAILED:
        snprintf(buf, size, "init failed: %s", *m ? m : "no reason given");
        break;
    case NINES_REASON_ABI_REFUSED:
        snprintf(buf, size, "module refused: %s", m);
        break;
    case NINES_REASON_SPAWN_FAILED:
        snprintf(buf, size, "spawn failed: %s%s%s", strerror(r->value), *m ? ": " : "", m);
        break;
    case NINES_REASON_MAX_INTENSITY:
        snprintf(buf, size, "shutdown: reached_max_restart_intensity");
        break;
    case NINES_REASON_START_FAILED:
        snprintf(buf, size, "start failed: %s", m);
        break;
    default:
        snprintf(buf, size, "unknown reason %d", (int)r->kind);
    }
}

/* A worker host always reports how it ends before exiting; when it did, and
 * the process then exited rather than being killed, its report is the
 * truth. A signal always wins: whatever was said, the process was killed. */
struct nines_reason nines_reason_from_exit(int wait_code, int wait_status,
                                           const struct nines_reason *reported,
                                           bool stop_requested) {
    return nines_reason_from_exit_sig(wait_code, wait_status, reported, stop_requested, SIGTERM);
}

struct nines_reason nines_reason_from_exit_sig(int wait_code, int wait_status,
                                               const struct nines_reason *reported,
                                               bool stop_requested, int stop_signal) {
    if (wait_code == CLD_KILLED || wait_code == CLD_DUMPED) {
        bool own = stop_signal > 0 && stop_signal != SIGTERM && wait_status == stop_signal;
        if ((wait_code == CLD_KILLED && (wait_status == SIGTERM || own)) ||
            (wait_code == CLD_DUMPED && own && stop_requested))
            return nines_reason_make(NINES_REASON_SHUTDOWN, 0, NULL);
        struct nines_reason r = nines_reason_make(NINES_REASON_SIGNAL, wait_status, NULL);
        r.core_dumped = wait_code == CLD_DUMPED;
        return r;
    }
    if (reported)
        return *reported;
    if (wait_status == 0)
        return nines_reason_make(stop_requested ? NINES_REASON_SHUTDOWN : NINES_REASON_NORMAL, 0, NULL);
    return nines_reason_make(NINES_REASON_EXIT_STATUS, wait_status, NULL);
}
