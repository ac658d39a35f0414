/*
 * yaml_output.h — YAML written through libyaml's emitter, for the files
 * Nines writes (the release state, release manifests): the emitter quotes
 * and escapes what needs it (UTF-8 included), so what is written loads
 * back as the same text. A plain scalar is asked for only where it reads
 * back as itself; the emitter may still quote it.
 *
 * Errors are sticky: after the first, the calls do nothing and
 * nines_yaml_out_end() returns it.
 */
#ifndef NINES_YAML_OUTPUT_H
#define NINES_YAML_OUTPUT_H

#include <stdbool.h>
#include <stdio.h>
#include <yaml.h>

struct nines_yaml_out {
    yaml_emitter_t emitter;
    int error; /* 0, -EILSEQ (text that is not UTF-8), -EIO, -ENOMEM */
};

/* Start one document on f (written after anything already in f: a
 * comment written with fputs before this call stays first). */
void nines_yaml_out_begin(struct nines_yaml_out *o, FILE *f);
/* A mapping or a sequence, in flow style ({a: 1}, [x]) or block style. */
void nines_yaml_map_begin(struct nines_yaml_out *o, bool flow);
void nines_yaml_map_end(struct nines_yaml_out *o);
void nines_yaml_seq_begin(struct nines_yaml_out *o, bool flow);
void nines_yaml_seq_end(struct nines_yaml_out *o);
/* One scalar: plain when it would read back as itself, else quoted. */
void nines_yaml_scalar(struct nines_yaml_out *o, const char *text);
/* KEY: VALUE inside a mapping. */
void nines_yaml_pair(struct nines_yaml_out *o, const char *key, const char *value);
/* End the document, flush, free the emitter: 0 or the first error. */
int nines_yaml_out_end(struct nines_yaml_out *o);

#endif /* NINES_YAML_OUTPUT_H */
