/*
 * control_client.h — a test client of the control socket, speaking the
 * protocol with lib/ctl_proto.h (no ninesctl in between).
 */
#ifndef NINES_CONTROL_CLIENT_H
#define NINES_CONTROL_CLIENT_H

#include <stddef.h>

#include "ctl_proto.h"

struct answer {
    enum ctl_status status;
    char message[1024];
    char data[256 * 1024]; /* every DATA frame, concatenated, NUL-terminated */
    size_t data_len;
    int frames; /* DATA frames received */
};

/* Connect to the socket at `path`; the fd, or -errno. */
int control_connect(const char *path);

/* Send one request (NULL-terminated argv) and read its whole answer.
 * 0, or -errno if the connection broke before the END. */
int control_ask(int fd, struct answer *a, ...);

/* The two halves of control_ask: send the request (0 or -errno), and
 * read its whole answer, e.g. once something else was done meanwhile. */
int control_request(int fd, ...);
int control_answer(int fd, struct answer *a);

/* Connect, ask, close. */
int control_ask_once(const char *path, struct answer *a, ...);

/* The value of `key` in the record whose path= is `path` in a status
 * answer, into buf; false if absent. */
int status_field(const struct answer *a, const char *path, const char *key, char *buf, size_t size);

#endif /* NINES_CONTROL_CLIENT_H */
