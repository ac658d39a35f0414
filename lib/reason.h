/*
 * reason.h — why a child ended, in words an operator can act on.
 *
 * OTP distinguishes `normal`, `shutdown` and everything else (abnormal).
 * Native processes end in more ways: a signal (with or without a core
 * dump), an exit status, an init that failed with the application's own
 * message, a descriptor the host refused. A reason keeps all of that, and
 * nines_reason_is_abnormal() gives the OTP classification that restart
 * types and reports depend on.
 */
#ifndef NINES_REASON_H
#define NINES_REASON_H

#include <stdbool.h>
#include <stddef.h>

enum nines_reason_kind {
    NINES_REASON_NORMAL,         /* finished (nines_stop NORMAL, or an exec child exiting 0) */
    NINES_REASON_SHUTDOWN,       /* stopped on request */
    NINES_REASON_SIGNAL,         /* killed by `value` (a signal number) */
    NINES_REASON_EXIT_STATUS,    /* exited with non-zero status `value` */
    NINES_REASON_ERROR,          /* the application stopped with an error: `message` */
    NINES_REASON_INIT_FAILED,    /* init returned an error: `message` */
    NINES_REASON_ABI_REFUSED,    /* the .so could not be loaded or its descriptor was refused */
    NINES_REASON_SPAWN_FAILED,   /* the process could not be created: errno `value` */
    NINES_REASON_MAX_INTENSITY,  /* a supervisor reached its restart intensity and gave up */
    NINES_REASON_START_FAILED,   /* a supervisor's start failed: `message` names the child */
};

struct nines_reason {
    enum nines_reason_kind kind;
    int value;         /* signal number, exit status or errno, by kind */
    bool core_dumped;  /* SIGNAL only */
    char message[256]; /* "" when none */
};

/* OTP's rule: everything but normal and shutdown is abnormal. A supervisor
 * giving up exits with shutdown (as OTP's does), so MAX_INTENSITY is not
 * abnormal either: a transient supervisor that gives up is not restarted. */
bool nines_reason_is_abnormal(const struct nines_reason *r);

/* Human text, e.g. "normal", "shutdown", "killed by SIGSEGV (core dumped)",
 * "exit status 3", "init failed: cannot bind 0.0.0.0:80". */
void nines_reason_format(const struct nines_reason *r, char *buf, size_t size);

/* Convenience constructors. */
struct nines_reason nines_reason_make(enum nines_reason_kind kind, int value, const char *message);

/* Decide why a process ended from what the daemon saw: the wait status
 * (the siginfo code CLD_EXITED/CLD_KILLED/CLD_DUMPED and its status), the reason the
 * worker host reported over its channel before exiting (NULL if none), and
 * whether the daemon had asked it to stop. One rule for SIGTERM, for
 * module workers and programs alike (as OTP and systemd): a process that
 * dies of SIGTERM, whoever sent it, has shut down. Pure: unit-tested. */
struct nines_reason nines_reason_from_exit(int wait_code, int wait_status,
                                           const struct nines_reason *reported,
                                           bool stop_requested);
/* The same for a program whose `stop_signal:` is `stop_signal` (0 or
 * SIGTERM: as above): dying of it, or of SIGTERM, is a shutdown too, and
 * so is a core dump of it when the daemon had asked it to stop (SIGQUIT's
 * default action dumps core). */
struct nines_reason nines_reason_from_exit_sig(int wait_code, int wait_status,
                                               const struct nines_reason *reported,
                                               bool stop_requested, int stop_signal);

#endif /* NINES_REASON_H */
