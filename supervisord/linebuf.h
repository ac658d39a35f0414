/*
 * linebuf.h — splitting a child's output stream into lines.
 *
 * Pure: bytes go in, complete lines come out through a callback. A line
 * longer than NINES_LINE_MAX is cut into pieces of that size so one
 * runaway writer cannot make the daemon buffer without bound. At the end of
 * the stream, a last line without '\n' is flushed as it is.
 *
 * Whole lines go to the callback straight from the input; only a line
 * still open at the end of a read is kept, in a buffer allocated the first
 * time one is (a worker that writes whole lines, or nothing, never has
 * one: it was 8 KiB of every child's record in ninesd, 80 MiB at 10,000
 * workers). Without memory for it, the piece goes out as a line of its own.
 */
#ifndef NINES_LINEBUF_H
#define NINES_LINEBUF_H

#include <stddef.h>

#define NINES_LINE_MAX 4096

struct linebuf {
    char *data; /* NINES_LINE_MAX bytes once a line had to wait, else NULL */
    size_t len;
};

typedef void (*linebuf_line_fn)(void *userdata, const char *line, size_t len);

/* Feed `len` bytes; call `fn` once per complete line (without the '\n'). */
void linebuf_feed(struct linebuf *b, const char *bytes, size_t len, linebuf_line_fn fn, void *userdata);
/* End of stream: emit what is left, if anything. */
void linebuf_flush(struct linebuf *b, linebuf_line_fn fn, void *userdata);
/* Its buffer freed (what waited in it is dropped: flush first). */
void linebuf_free(struct linebuf *b);

/* A line may start with an sd-daemon priority prefix "<N>" (0-7): strip it
 * and return N, or return `fallback` and leave the line as it is. */
int linebuf_priority(const char **line, size_t *len, int fallback);

#endif /* NINES_LINEBUF_H */
