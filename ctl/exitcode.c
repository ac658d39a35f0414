/*
 * exitcode.c — END statuses and client-side failures to exit codes, and
 * the one-line error format (see ctl.h).
 */
#include <ctype.h>
#include <errno.h>
#include <string.h>

#include "ctl.h"

int ctl_exit_for_status(enum ctl_status s) {
    switch (s) {
    case CTL_ST_OK:
        return CTL_EXIT_OK;
    case CTL_ST_BAD_REQUEST:
        return CTL_EXIT_USAGE;
    case CTL_ST_DENIED:
        return CTL_EXIT_DENIED;
    case CTL_ST_NOT_FOUND:
    case CTL_ST_REFUSED:
    case CTL_ST_FAILED:
    case CTL_ST_TIMEOUT:
    case CTL_ST_TOO_BIG:
    case CTL_ST_SHUTTING_DOWN:
    case CTL_ST_INTERNAL:
        return CTL_EXIT_FAILED;
    }
    return CTL_EXIT_FAILED;
}

int ctl_exit_for_connect_error(int err) {
    if (err < 0)
        err = -err;
    return err == EACCES || err == EPERM ? CTL_EXIT_DENIED : CTL_EXIT_UNREACHABLE;
}

void ctl_print_error(FILE *f, const char *what, const char *status, const char *message) {
    /* Built whole, then written at once: stderr is unbuffered, and a line
     * in pieces could interleave with another process's output. */
    char line[2048];
    size_t n = (size_t)snprintf(line, sizeof line - 2, "ninesctl: %s%s", what && what[0] ? what : "",
                                what && what[0] ? ": " : "");
    /* Status names are snake_case for --json; people read words. */
    for (const char *p = status; *p && n < sizeof line - 2; p++)
        line[n++] = *p == '_' ? ' ' : *p;
    if (message && message[0] && n < sizeof line - 4) {
        line[n++] = ':', line[n++] = ' ';
        /* One line, whatever the daemon put in its message, and no
         * control bytes for the terminal to act on. */
        for (const char *p = message; *p && n < sizeof line - 2; p++)
            line[n++] = (unsigned char)*p < 0x20 || *p == 0x7f ? ' ' : *p;
    }
    line[n++] = '\n';
    line[n] = '\0';
    fputs(line, f);
}

const char *ctl_strerror(int err, char buf[static 64]) {
    snprintf(buf, 64, "%s", strerror(err < 0 ? -err : err));
    buf[0] = (char)tolower((unsigned char)buf[0]);
    return buf;
}
