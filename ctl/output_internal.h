/*
 * output_internal.h — between output.c (DATA frames) and output_end.c
 * (the END), not for the rest of ninesctl.
 */
#ifndef NINES_CTL_OUTPUT_INTERNAL_H
#define NINES_CTL_OUTPUT_INTERNAL_H

#include "output.h"

/* Take the lines still buffered, a last one without a newline included:
 * the END came, nothing more will complete it. 0 or -errno. */
int ctl_output_flush_lines(struct ctl_output *o);

#endif /* NINES_CTL_OUTPUT_INTERNAL_H */
