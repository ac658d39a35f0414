/*
 * ctl_requests.h — the one table of the control protocol's requests
 * (doc/control-protocol.md): each request's name, how many arguments it
 * takes, its usage line, and whether it only reads. The daemon checks
 * requests against it (arguments, who may send it, what runs while the
 * tree stops); ninesctl's commands name their request in it; a unit test
 * checks that both sides cover it.
 */
#ifndef NINES_CTL_REQUESTS_H
#define NINES_CTL_REQUESTS_H

#include <stdbool.h>
#include <stddef.h>

struct ctl_request_info {
    const char *name;
    int min_args, max_args; /* after the name; -1: no limit */
    const char *usage;
    /* Changes nothing: allowed to the read-only group (--group) and
     * while the tree is stopping. */
    bool reads_only;
};

extern const struct ctl_request_info ctl_requests[];
extern const size_t ctl_n_requests;

/* The row named `name` (exactly, case included), or NULL. */
const struct ctl_request_info *ctl_request_find(const char *name);

/* "version, status, ..." — every request's name, for an error message.
 * Returns snprintf's count. */
int ctl_request_names(char *buf, size_t size);

#endif /* NINES_CTL_REQUESTS_H */
