/*
 * control_policy.c — see control_policy.h.
 */
#include "control_policy.h"

#include <string.h>

#include "ctl_requests.h"

static bool in_group(const struct control_peer *p, gid_t g) {
    if (p->gid == g)
        return true;
    for (size_t i = 0; i < p->n_groups; i++)
        if (p->groups[i] == g)
            return true;
    return false;
}

enum control_access control_access_of(const struct control_peer *p, const struct control_rules *r) {
    if (p->uid == 0 || p->uid == r->daemon_uid)
        return CONTROL_FULL;
    if (r->has_group && in_group(p, r->group))
        return CONTROL_READ;
    return CONTROL_NONE;
}

bool control_command_reads_only(const char *command) {
    const struct ctl_request_info *r = ctl_request_find(command);
    return r && r->reads_only;
}

bool control_allows(enum control_access a, const char *command) {
    return a == CONTROL_FULL || (a == CONTROL_READ && control_command_reads_only(command));
}
