/*
 * release_state_write.c — what ninesd writes to DIR/state.yaml: the same
 * bytes for the same state (the entries in their order), written whole or
 * not at all.
 */
#include <errno.h>

#include "atomic_file.h"
#include "manifest.h"
#include "release_state.h"

int nines_rel_state_write(const struct nines_rel_state *s, FILE *f) {
    fputs("# Nines release state: written by ninesd, do not edit.\n", f);
    if (s->release) {
        fputs("release: ", f);
        nines_manifest_put_scalar(f, s->release);
        fputc('\n', f);
    }
    fputs(s->n ? "releases:\n" : "releases: []\n", f);
    for (size_t i = 0; i < s->n; i++) {
        fputs("  - {version: ", f);
        nines_manifest_put_scalar(f, s->v[i].version);
        fprintf(f, ", status: %s}\n", nines_rel_status_name(s->v[i].status));
    }
    return ferror(f) ? -EIO : 0;
}

/* The writer has the signature nines_atomic_write() calls. */
static int write_state(const void *s, FILE *f) { return nines_rel_state_write(s, f); }

int nines_rel_state_write_file(const struct nines_rel_state *s, const char *path) {
    return nines_atomic_write(path, 0644, write_state, s);
}
