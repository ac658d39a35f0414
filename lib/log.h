/*
 * log.h — one record per event: a logfmt line on stderr, or a structured
 * journal entry (every field a journal field, NINES_EVENT=, NINES_CHILD=,
 * ..., beside a human MESSAGE= and the event kind's MESSAGE_ID=) when
 * ninesd runs under systemd with its output going to the journal.
 */
#ifndef NINES_LOG_H
#define NINES_LOG_H

#include <stdbool.h>
#include <stddef.h>

enum nines_log_target {
    NINES_LOG_TARGET_AUTO,    /* the journal if stderr is connected to it, else stderr */
    NINES_LOG_TARGET_STDERR,  /* logfmt lines */
    NINES_LOG_TARGET_JOURNAL, /* sd_journal_sendv() */
};

struct nines_field {
    const char *key;   /* logfmt key, lower case: "child", "pid", "reason" */
    const char *value; /* NULL: the field is left out */
};

/* Choose where records go. AUTO follows systemd's rule: the journal when
 * $JOURNAL_STREAM names the device and inode of our stderr. */
void nines_log_setup(enum nines_log_target target);
/* Parse "auto" | "stderr" | "journal"; -EINVAL otherwise. */
int nines_log_target_parse(const char *text, enum nines_log_target *out);
bool nines_log_to_journal(void);
/* With the journal as the target: 0 if an entry can be written, else
 * -errno and `why`, for a loud refusal at start instead of lost lines. */
int nines_log_journal_check(char *why, size_t size);
/* The journal's MESSAGE_ID= of an event kind: the first 128 bits of
 * SHA-256("nines/" EVENT) as 32 hex digits, stable as long as the event's
 * name (a contract: doc/design.md §7). Returns 32. */
size_t nines_log_message_id(const char *event, char out[static 33]);

/* Emit one record. `priority` is a syslog priority (LOG_ERR ... LOG_DEBUG). */
void nines_log_event(int priority, const char *event, const char *message,
                     const struct nines_field *fields, size_t n_fields);

/* Pure: format a logfmt line (with a trailing newline) into buf. Values
 * that are empty or hold spaces, '=', '"' or control characters are quoted
 * and escaped. Returns the length the full line needs, like snprintf. */
size_t nines_logfmt_format(char *buf, size_t size, const char *ts, int priority,
                           const char *event, const char *message,
                           const struct nines_field *fields, size_t n_fields);

/* Pure: the fields alone as a logfmt line (with a trailing newline);
 * fields with a NULL value are left out. Returns the length needed. */
size_t nines_logfmt_record(char *buf, size_t size, const struct nines_field *fields, size_t n_fields);

/* Every record emitted is also handed, as a logfmt line (newline
 * included), to `fn` (NULL: nobody). */
typedef void (*nines_log_tap_fn)(void *userdata, const char *event, const char *line, size_t len);
void nines_log_set_tap(nines_log_tap_fn fn, void *userdata);

/* Never block on stderr (ninesd's loop, issue 16): records go through a
 * non-blocking descriptor of their own, what the reader does not take at
 * once waits in a bounded buffer (NINES_LOG_BUFFER_SIZE, lib/log_buffer.h),
 * records that do not fit are dropped and counted, and once the buffer has
 * drained one `log_dropped` record (dropped=N) says how many were lost.
 * 0 or -errno. Without it, each record is one blocking write. */
int nines_log_nonblocking(void);
/* Back to one blocking write per record (what still waits is written if
 * the sink takes it now, else lost); frees the buffer. */
void nines_log_close(void);
/* The descriptor records are written to (stderr's own, once non-blocking). */
int nines_log_sink_fd(void);
/* The descriptor with records waiting for it to become writable, or -1. */
int nines_log_pending_fd(void);
/* Write what waits, as far as the sink takes it now. */
void nines_log_flush(void);
/* fn(userdata) each time a record is left waiting for the sink (the loop
 * then watches the sink until nines_log_pending_fd() is -1); NULL: none. */
void nines_log_set_wait_hook(void (*fn)(void *), void *userdata);

/* Hold the records back: from nines_log_hold() to the matching
 * nines_log_release() (they nest), a record to stderr waits in the
 * buffer instead of being written, then all go out in one write, in
 * order. ninesd holds them while it handles a child's end, so that the
 * write, which wakes the log's reader, comes after the restarted child's
 * START (child_proc.c). A record that does not fit then is written
 * first, as without the hold: nothing is dropped for it. Only with
 * nines_log_nonblocking(), and not for the journal, whose records go
 * out one call each. */
void nines_log_hold(void);
void nines_log_release(void);

/* "error", "warning", "notice", "info", "debug". */
const char *nines_log_level_name(int priority);

#endif /* NINES_LOG_H */
