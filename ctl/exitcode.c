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
    fputs("ninesctl: ", f);
    if (what && what[0])
        fprintf(f, "%s: ", what);
    /* Status names are snake_case for --json; people read words. */
    for (const char *p = status; *p; p++)
        fputc(*p == '_' ? ' ' : *p, f);
    if (message && message[0]) {
        fputs(": ", f);
        /* One line, whatever the daemon put in its message, and no
         * control bytes for the terminal to act on. */
        for (const char *p = message; *p; p++)
            fputc((unsigned char)*p < 0x20 || *p == 0x7f ? ' ' : *p, f);
    }
    fputc('\n', f);
}

const char *ctl_strerror(int err, char buf[static 64]) {
    snprintf(buf, 64, "%s", strerror(err < 0 ? -err : err));
    buf[0] = (char)tolower((unsigned char)buf[0]);
    return buf;
}
