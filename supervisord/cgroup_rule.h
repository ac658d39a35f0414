/*
 * cgroup_rule.h — the pure half of a cgroup per child (cgroup.h): whether
 * ninesd uses cgroups at all, and what a child's cgroup is called.
 */
#ifndef NINES_CGROUP_RULE_H
#define NINES_CGROUP_RULE_H

#include <stdbool.h>
#include <stddef.h>

enum nines_cgroup_mode { NINES_CGROUPS_AUTO, NINES_CGROUPS_ON, NINES_CGROUPS_OFF };

/* "auto", "on", "off": 0, or -EINVAL. */
int nines_cgroup_mode_parse(const char *text, enum nines_cgroup_mode *out);

/* What was found about ninesd's own cgroup. */
struct cgroup_facts {
    bool v2;        /* ninesd's cgroup in a cgroup v2 hierarchy was found */
    bool writable;  /* its folder and cgroup.procs are writable by ninesd */
    bool delegated; /* marked delegated (systemd's trusted.delegate / user.delegate) */
    bool in_unit;   /* ninesd is a systemd service's main process (INVOCATION_ID) */
    bool pid1;      /* PID 1 of its namespace (only named in the reason: not proof of a cgroup of its own) */
};

enum cgroup_verdict { CGROUP_USE, CGROUP_SKIP, CGROUP_REFUSE };

/* Use cgroups? CGROUP_REFUSE only for "on" when they cannot be used; `why`
 * says why not (or, for CGROUP_USE, on what grounds). */
enum cgroup_verdict cgroup_decide(enum nines_cgroup_mode mode, const struct cgroup_facts *f, const char **why);

/* A child's cgroup folder name: "child-" and its path with '/' as ':'
 * (ids never hold ':'), so `systemd-cgls` shows child-web:listener; a
 * path too long for a file name is cut and ends with a hash of the whole.
 * out holds at least CGROUP_NAME_MAX + 1 bytes. */
#define CGROUP_NAME_MAX 240
void cgroup_child_name(const char *path, char *out);

#endif /* NINES_CGROUP_RULE_H */
