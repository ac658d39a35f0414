/*
 * signal_name.c — signal names as operators write them ("SIGQUIT",
 * "QUIT", "RTMIN+2"), for `stop_signal:` and `ninesctl signal`. Pure.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tree.h"

static int parse_rt(const char *text, int *sig) {
    const char *p = text + strlen("RTMIN");
    long n = 0;
    if (*p == '+') {
        char *end;
        errno = 0;
        n = strtol(p + 1, &end, 10);
        if (errno || end == p + 1 || *end || n < 0)
            return -EINVAL;
    } else if (*p) {
        return -EINVAL;
    }
    if (n > SIGRTMAX - SIGRTMIN)
        return -EINVAL;
    *sig = SIGRTMIN + (int)n;
    return 0;
}

int nines_signal_parse(const char *text, int *sig) {
    if (strncmp(text, "SIG", 3) == 0)
        text += 3;
    if (!*text)
        return -EINVAL;
    if (strncmp(text, "RTMIN", 5) == 0)
        return parse_rt(text, sig);
    for (int s = 1; s < SIGRTMIN; s++) {
        const char *abbrev = sigabbrev_np(s);
        if (abbrev && strcmp(abbrev, text) == 0) {
            *sig = s;
            return 0;
        }
    }
    return -EINVAL;
}

const char *nines_signal_name(int sig, char *buf, size_t size) {
    const char *abbrev = sig > 0 && sig < SIGRTMIN ? sigabbrev_np(sig) : NULL;
    if (abbrev)
        snprintf(buf, size, "SIG%s", abbrev);
    else if (sig >= SIGRTMIN && sig <= SIGRTMAX)
        snprintf(buf, size, "SIGRTMIN+%d", sig - SIGRTMIN);
    else
        snprintf(buf, size, "SIG?");
    return buf;
}
