/*
 * control_policy.h — who may do what on the control socket. Pure.
 *
 * root and the daemon's own uid may do everything; members of the control
 * group (primary or supplementary) may read (status, events, version);
 * everyone else nothing.
 */
#ifndef NINES_CONTROL_POLICY_H
#define NINES_CONTROL_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

enum control_access {
    CONTROL_NONE,
    CONTROL_READ,
    CONTROL_FULL,
};

struct control_peer {
    pid_t pid;
    uid_t uid;
    gid_t gid;
    const gid_t *groups; /* supplementary groups (SO_PEERGROUPS) */
    size_t n_groups;
};

struct control_rules {
    uid_t daemon_uid;
    bool has_group;
    gid_t group;
};

enum control_access control_access_of(const struct control_peer *p, const struct control_rules *r);

/* Whether `command` only reads (allowed with CONTROL_READ). */
bool control_command_reads_only(const char *command);

/* Whether access `a` allows `command`. */
bool control_allows(enum control_access a, const char *command);

#endif /* NINES_CONTROL_POLICY_H */
