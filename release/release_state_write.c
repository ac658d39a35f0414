/*
 * release_state_write.c — what ninesd writes to DIR/state.yaml: the same
 * bytes for the same state (the entries in their order), written whole or
 * not at all.
 */
#include <errno.h>

#include "atomic_file.h"
#include "manifest.h"
#include "release_state.h"
#include "yaml_output.h"

int nines_rel_state_write(const struct nines_rel_state *s, FILE *f) {
    fputs("# Nines release state: written by ninesd, do not edit.\n", f);
    struct nines_yaml_out o;
    nines_yaml_out_begin(&o, f);
    nines_yaml_map_begin(&o, false);
    if (s->release)
        nines_yaml_pair(&o, "release", s->release);
    nines_yaml_scalar(&o, "releases");
    nines_yaml_seq_begin(&o, s->n == 0);
    for (size_t i = 0; i < s->n; i++) {
        nines_yaml_map_begin(&o, true);
        nines_yaml_pair(&o, "version", s->v[i].version);
        nines_yaml_pair(&o, "status", nines_rel_status_name(s->v[i].status));
        nines_yaml_map_end(&o);
    }
    nines_yaml_seq_end(&o);
    nines_yaml_map_end(&o);
    int e = nines_yaml_out_end(&o);
    return e ? e : ferror(f) ? -EIO : 0;
}

/* The writer has the signature nines_atomic_write() calls. */
static int write_state(const void *s, FILE *f) { return nines_rel_state_write(s, f); }

int nines_rel_state_write_file(const struct nines_rel_state *s, const char *path) {
    return nines_atomic_write(path, 0644, write_state, s);
}
