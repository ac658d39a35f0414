/*
 * cgroup_rule.c — see cgroup_rule.h. Pure, unit-tested.
 */
#include "cgroup_rule.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

int nines_cgroup_mode_parse(const char *text, enum nines_cgroup_mode *out) {
    static const char *const names[] = {"auto", "on", "off"};
    for (int i = 0; i < 3; i++)
        if (strcmp(text, names[i]) == 0) {
            *out = (enum nines_cgroup_mode)i;
            return 0;
        }
    return -EINVAL;
}

enum cgroup_verdict cgroup_decide(enum nines_cgroup_mode mode, const struct cgroup_facts *f, const char **why) {
    bool on = mode == NINES_CGROUPS_ON;
    if (mode == NINES_CGROUPS_OFF) {
        *why = "--cgroups off";
        return CGROUP_SKIP;
    }
    if (!f->v2) {
        *why = "ninesd is in no cgroup v2 hierarchy";
        return on ? CGROUP_REFUSE : CGROUP_SKIP;
    }
    if (!f->writable) {
        *why = f->in_unit ? "ninesd's cgroup is not writable by it (Delegate=yes in the unit gives it one)"
                          : "ninesd's cgroup is not writable by it";
        return on ? CGROUP_REFUSE : CGROUP_SKIP;
    }
    if (on) {
        *why = "--cgroups on";
        return CGROUP_USE;
    }
    /* Not PID 1 alone: a PID namespace without a cgroup namespace of its
     * own (unshare --pid) shares its cgroup with others, and two ninesd
     * in one cgroup would kill each other's children's cgroups. */
    if (f->delegated || f->in_unit) {
        *why = f->delegated ? "its cgroup is delegated" : "a systemd service (Delegate=yes)";
        return CGROUP_USE;
    }
    *why = f->pid1 ? "its cgroup was not delegated to it (a container's own cgroup: --cgroups on)"
                   : "its cgroup was not delegated to it (--cgroups on uses it anyway)";
    return CGROUP_SKIP;
}

static uint64_t fnv1a(const char *s) {
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

void cgroup_child_name(const char *path, char *out) {
    size_t n = 0, len = strlen(path);
    bool cut = 6 + len > CGROUP_NAME_MAX;
    size_t keep = cut ? CGROUP_NAME_MAX - 6 - 17 : len;
    memcpy(out, "child-", 6);
    n = 6;
    for (size_t i = 0; i < keep; i++)
        out[n++] = path[i] == '/' ? ':' : path[i];
    if (cut)
        n += (size_t)snprintf(out + n, CGROUP_NAME_MAX + 1 - n, "~%016llx", (unsigned long long)fnv1a(path));
    out[n] = '\0';
}
