/*
 * nines_error.h — the error every loader and parser of Nines fills: where
 * (file, line, column) and what. Shared by the tree, appup, manifest and
 * release-state formats and by whoever reports their errors.
 */
#ifndef NINES_ERROR_H
#define NINES_ERROR_H

/* Where and why loading failed. `file` is the tree file's path; line and
 * column are 1-based and 0 when the error is not about a position (e.g. the
 * file cannot be opened). `message` is lower case, what then why. */
struct nines_error {
    char file[4096];
    unsigned line;
    unsigned column;
    char message[512];
};

/* "FILE:LINE:COLUMN: message" (or "FILE: message" without a position). */
void nines_error_format(const struct nines_error *err, char *buf, size_t size);

#endif
