/*
 * module_check.h — is this descriptor one the host can run?
 *
 * Pure: used by the worker host when it loads a module, and meant for the
 * live upgrade's check of the new version and for `nines-release verify`.
 * The order of the checks matters: the magic first (is this a Nines
 * descriptor at all?), then the ABI version (can the other fields be read
 * with this layout?), then the size, and only then the fields.
 */
#ifndef NINES_MODULE_CHECK_H
#define NINES_MODULE_CHECK_H

#include <stddef.h>

#include "nines/module.h"

/* 0 if `m` can be run; otherwise -EPROTO and one line in `err` saying
 * what is wrong, e.g. "ABI version 7, this host supports 1". */
int nines_module_check(const struct nines_module *m, char *err, size_t size);

/* Whether `name` is a valid application name: [a-z0-9_-]{1,64}. */
int nines_module_name_valid(const char *name);

/* Whether `version` is valid: 1 to 64 printable characters without spaces
 * (it goes into logs as is). Appups and release manifests use the same rule. */
int nines_module_version_valid(const char *version);

#endif /* NINES_MODULE_CHECK_H */
