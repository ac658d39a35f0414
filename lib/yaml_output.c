/*
 * yaml_output.c — YAML through libyaml's emitter (see yaml_output.h).
 */
#include "yaml_output.h"

#include <errno.h>
#include <string.h>

#include "utf8.h"

static void emit(struct nines_yaml_out *o, int initialized, yaml_event_t *ev) {
    if (o->error)
        return;
    if (!initialized) {
        o->error = -ENOMEM;
        return;
    }
    if (!yaml_emitter_emit(&o->emitter, ev)) /* it frees the event either way */
        o->error = o->emitter.error == YAML_WRITER_ERROR ? -EIO : -EILSEQ;
}

void nines_yaml_out_begin(struct nines_yaml_out *o, FILE *f) {
    yaml_event_t ev;
    memset(o, 0, sizeof *o);
    if (!yaml_emitter_initialize(&o->emitter)) {
        o->error = -ENOMEM;
        return;
    }
    fflush(f); /* what the caller wrote comes before the emitter's buffer */
    yaml_emitter_set_output_file(&o->emitter, f);
    yaml_emitter_set_unicode(&o->emitter, 1); /* UTF-8 as is, not \u escapes */
    yaml_emitter_set_width(&o->emitter, -1);  /* never fold a line */
    emit(o, yaml_stream_start_event_initialize(&ev, YAML_UTF8_ENCODING), &ev);
    emit(o, yaml_document_start_event_initialize(&ev, NULL, NULL, NULL, 1), &ev);
}

void nines_yaml_map_begin(struct nines_yaml_out *o, bool flow) {
    yaml_event_t ev;
    emit(o, yaml_mapping_start_event_initialize(&ev, NULL, NULL, 1,
                                                flow ? YAML_FLOW_MAPPING_STYLE : YAML_BLOCK_MAPPING_STYLE),
         &ev);
}

void nines_yaml_map_end(struct nines_yaml_out *o) {
    yaml_event_t ev;
    emit(o, yaml_mapping_end_event_initialize(&ev), &ev);
}

void nines_yaml_seq_begin(struct nines_yaml_out *o, bool flow) {
    yaml_event_t ev;
    emit(o, yaml_sequence_start_event_initialize(&ev, NULL, NULL, 1,
                                                 flow ? YAML_FLOW_SEQUENCE_STYLE : YAML_BLOCK_SEQUENCE_STYLE),
         &ev);
}

void nines_yaml_seq_end(struct nines_yaml_out *o) {
    yaml_event_t ev;
    emit(o, yaml_sequence_end_event_initialize(&ev), &ev);
}

/* Letters, digits and `_ . / + = -`, not starting with one of the
 * punctuation marks: YAML reads that back as the same text wherever it
 * stands. The rest is double-quoted, escaped by the emitter. */
static bool plain_reads_back(const char *s) {
    static const char safe[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._/+=-";
    return *s && strspn(s, safe) == strlen(s) && strchr("._/+=-", *s) == NULL;
}

/* libyaml checks the text is UTF-8 only loosely: refuse here what is not. */
static bool is_utf8(const char *s) {
    const uint8_t *p = (const uint8_t *)s, *end = p + strlen(s);
    uint32_t cp;
    for (size_t n; p < end; p += n)
        if ((n = nines_utf8_decode(p, (size_t)(end - p), &cp)) == 0)
            return false;
    return true;
}

void nines_yaml_scalar(struct nines_yaml_out *o, const char *text) {
    yaml_event_t ev;
    if (!o->error && !is_utf8(text)) {
        o->error = -EILSEQ;
        return;
    }
    yaml_scalar_style_t style = plain_reads_back(text) ? YAML_PLAIN_SCALAR_STYLE : YAML_DOUBLE_QUOTED_SCALAR_STYLE;
    emit(o, yaml_scalar_event_initialize(&ev, NULL, NULL, (yaml_char_t *)text, (int)strlen(text), 1, 1, style),
         &ev);
}

void nines_yaml_pair(struct nines_yaml_out *o, const char *key, const char *value) {
    nines_yaml_scalar(o, key);
    nines_yaml_scalar(o, value);
}

int nines_yaml_out_end(struct nines_yaml_out *o) {
    yaml_event_t ev;
    emit(o, yaml_document_end_event_initialize(&ev, 1), &ev);
    emit(o, yaml_stream_end_event_initialize(&ev), &ev);
    if (!o->error && !yaml_emitter_flush(&o->emitter))
        o->error = -EIO;
    yaml_emitter_delete(&o->emitter);
    return o->error;
}
