/*
 * output_internal.h — between output.c (DATA frames), output_end.c (the
 * END) and output_release.c (the release commands), not for the rest of
 * ninesctl.
 */
#ifndef NINES_CTL_OUTPUT_INTERNAL_H
#define NINES_CTL_OUTPUT_INTERNAL_H

#include "output.h"

/* Take the lines still buffered, a last one without a newline included:
 * the END came, nothing more will complete it. 0 or -errno. */
int ctl_output_flush_lines(struct ctl_output *o);

/* A record just arrived (and kept in o->records): shown now if the
 * command shows its records as they come. */
void ctl_output_show_record(struct ctl_output *o, const struct ctl_record *r);

/* An upgrade or a downgrade that runs (not --dry-run): its END, whatever
 * the status, ends in ctl_output_end_install. */
bool ctl_output_install_running(const struct ctl_output *o);

/* upgrade SUPERVISOR (the daemon said phase=begin): its END, whatever
 * the status, ends in ctl_output_end_upgrade_all. */
bool ctl_output_upgrade_all(const struct ctl_output *o);

/* The ENDs of release list (ok) and of a running install (any status).
 * Each returns the exit code. */
int ctl_output_end_releases(struct ctl_output *o, const uint8_t *msg, size_t len);
int ctl_output_end_install(struct ctl_output *o, enum ctl_status status, const uint8_t *msg, size_t len);
int ctl_output_end_upgrade_all(struct ctl_output *o, enum ctl_status status, const uint8_t *msg, size_t len);

#endif /* NINES_CTL_OUTPUT_INTERNAL_H */
