/*
 * records.h — the logfmt records of `status` and `events` as ninesctl
 * receives them: DATA payloads cut into lines (a line may straddle two
 * frames), each parsed with ctl_record_parse into its own allocation.
 */
#ifndef NINES_CTL_RECORDS_H
#define NINES_CTL_RECORDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ctl_proto.h"

/* Fields per record we keep; the daemon writes about 16 today, and keys
 * are only ever added, so leave room. */
#define CTL_RECORD_MAX_FIELDS 64

struct ctl_record {
    struct ctl_field *fields; /* keys and values point into the same allocation */
    int n;
    uint64_t keys; /* a bit per key's hash (ctl_record_key_bit): a key whose bit is clear is absent */
};

/* The bit of `keys` a key sets. */
uint64_t ctl_record_key_bit(const char *key);

/* The value of key, or NULL. */
const char *ctl_record_value(const struct ctl_record *r, const char *key);

/* Parse one line (no newline) into *r. 0, -EBADMSG, -E2BIG, -ENOMEM. */
int ctl_record_from_line(struct ctl_record *r, const char *line, size_t len);
void ctl_record_free(struct ctl_record *r);

struct ctl_records {
    struct ctl_record *v;
    size_t n, cap;
};

/* Parse and append one line; an empty line is skipped. 0 or -errno. */
int ctl_records_add(struct ctl_records *rs, const char *line, size_t len);
void ctl_records_free(struct ctl_records *rs);

/* Bytes in, whole lines out, whatever the frames' boundaries. */
struct ctl_lines {
    char *buf;
    size_t len, cap, start;
};

/* Append bytes. 0, -ENOMEM, or -EMSGSIZE for a line longer than a whole
 * DATA frame could be (the daemon never writes one). */
int ctl_lines_feed(struct ctl_lines *l, const void *data, size_t len);
/* The next complete line (without its newline), valid until the next
 * feed; false when none is complete. With `flush`, what is left without
 * a newline counts as a last line (the END came). */
bool ctl_lines_next(struct ctl_lines *l, bool flush, const char **line, size_t *len);
void ctl_lines_free(struct ctl_lines *l);

#endif /* NINES_CTL_RECORDS_H */
