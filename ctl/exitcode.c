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

/* Append up to `len` bytes of s to line (holding n bytes, room for cap
 * with a newline and a NUL after), with no control bytes for the
 * terminal to act on. The new length. */
static size_t put_clean(char *line, size_t n, size_t cap, const char *s, size_t len) {
    for (size_t i = 0; i < len && s[i] && n < cap - 2; i++)
        line[n++] = (unsigned char)s[i] < 0x20 || s[i] == 0x7f ? ' ' : s[i];
    return n;
}

/* The error line up to `len` bytes of the message. */
static void print_error_n(FILE *f, const char *what, const char *status, const char *message, size_t len) {
    /* Built whole, then written at once: stderr is unbuffered, and a line
     * in pieces could interleave with another process's output. */
    char line[2048];
    size_t n = (size_t)snprintf(line, sizeof line - 2, "ninesctl: %s%s", what && what[0] ? what : "",
                                what && what[0] ? ": " : "");
    /* Status names are snake_case for --json; people read words. */
    for (const char *p = status; *p && n < sizeof line - 2; p++)
        line[n++] = *p == '_' ? ' ' : *p;
    if (message && len > 0 && message[0] && n < sizeof line - 4) {
        line[n++] = ':', line[n++] = ' ';
        /* One line, whatever the daemon put in its message. */
        n = put_clean(line, n, sizeof line, message, len);
    }
    line[n++] = '\n';
    line[n] = '\0';
    fputs(line, f);
}

void ctl_print_error(FILE *f, const char *what, const char *status, const char *message) {
    print_error_n(f, what, status, message, message ? strlen(message) : 0);
}

void ctl_print_error_lines(FILE *f, const char *what, const char *status, const char *message) {
    size_t first = strcspn(message, "\n");
    print_error_n(f, what, status, message, first);
    for (const char *p = message + first; *p;) {
        p += *p == '\n';
        size_t len = strcspn(p, "\n");
        if (len > 0) {
            char line[2048] = "  ";
            size_t n = put_clean(line, 2, sizeof line, p, len);
            line[n++] = '\n';
            line[n] = '\0';
            fputs(line, f);
        }
        p += len;
    }
}

const char *ctl_strerror(int err, char buf[static 64]) {
    snprintf(buf, 64, "%s", strerror(err < 0 ? -err : err));
    buf[0] = (char)tolower((unsigned char)buf[0]);
    return buf;
}
