/*
 * log_buffer.h — the bounded buffer between ninesd's log records and a
 * sink that is not reading (issue 16).
 *
 * Pure. Records that the sink does not take at once wait here, whole; when
 * it is full, a new record is dropped and counted instead of waiting, so
 * the loop never blocks on its own log. The count is reported (one record
 * saying how many were lost) once the sink has taken everything.
 */
#ifndef NINES_LOG_BUFFER_H
#define NINES_LOG_BUFFER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define NINES_LOG_BUFFER_SIZE (256 * 1024)

struct nines_log_buffer {
    char data[NINES_LOG_BUFFER_SIZE];
    size_t len;
    uint64_t dropped; /* records lost since the last report */
};

/* Queue `len` bytes, all or nothing: false (and counted) when they do not fit. */
bool nines_log_buffer_add(struct nines_log_buffer *b, const char *bytes, size_t len);
/* The sink took the first n bytes. */
void nines_log_buffer_consume(struct nines_log_buffer *b, size_t n);
/* Drops to report now: the count once the buffer is empty (then reset), else 0. */
uint64_t nines_log_buffer_take_dropped(struct nines_log_buffer *b);

#endif /* NINES_LOG_BUFFER_H */
