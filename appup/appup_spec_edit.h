/*
 * appup_spec_edit.h — adding appup files to a release spec's `appups:`
 * list by editing its text, so that its comments and layout stay (a
 * spec is written by hand; libyaml's emitter would drop its comments).
 * `nines-appup generate` uses it for the appups it writes (doc/appup.md).
 */
#ifndef NINES_APPUP_SPEC_EDIT_H
#define NINES_APPUP_SPEC_EDIT_H

#include <stddef.h>

/* The spec text `text` with each of `paths` (n, relative to the spec's
 * folder, not yet listed) added to its top-level `appups:`: a flow
 * sequence on one line gets them before its ']', a block sequence a line
 * "- PATH" each after its last item, an empty key or no key at all
 * `appups: [PATHS]`. 0 and *out (malloc'd, NUL-terminated), or -1 with
 * why when the key's value has another layout (a flow sequence over
 * several lines, a scalar). */
int nines_spec_add_appups(const char *text, const char *const *paths, size_t n, char **out, char *why,
                          size_t why_size);

#endif
