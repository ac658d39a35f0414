/*
 * install.h — what ninesctl learns about a release upgrade or downgrade
 * from the daemon's answer, for the --json object: which release, from
 * which version to which. Pure.
 */
#ifndef NINES_CTL_INSTALL_H
#define NINES_CTL_INSTALL_H

#include "records.h"

/* Versions and names are at most 64 characters (module_check.h); "" when
 * not known. */
struct ctl_install_names {
    char release[65], from[65], to[65];
};

/*
 * From the records first (keys `release`, `from`, `to` on any of them:
 * the first of each wins), then from the END's message as
 * doc/control-protocol.md words it: "upgraded NAME FROM -> TO: ..." (or
 * "downgraded ...") on success, "...; N steps undone, NAME stays on FROM"
 * after a failure. `to` is else the version asked for.
 */
void ctl_install_names(const struct ctl_records *rs, const char *message, const char *asked,
                       struct ctl_install_names *out);

#endif /* NINES_CTL_INSTALL_H */
