/*
 * output.h — what ninesctl prints for the answer to one command: DATA
 * frames go in as they arrive, the END decides the exit code. Human text
 * or one --json object (JSON Lines for events --follow) on `out`; errors
 * as one line on `err`, and with --json also as an object on `out`.
 *
 * Nothing here touches the socket or the process: a test feeds frames
 * and reads what was printed from memory.
 */
#ifndef NINES_CTL_OUTPUT_H
#define NINES_CTL_OUTPUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "args.h"
#include "records.h"
#include "render.h"
#include "textbuf.h"

struct ctl_output {
    const struct ctl_args *args;
    FILE *out, *err;
    bool color; /* colour the status tree */
    bool tty;   /* out is a terminal: end a call's reply with a newline */
    char what[256]; /* "restart web/listener", for error lines */
    struct ctl_lines lines;     /* status, events, start-child: records */
    struct ctl_records records; /* kept until the END (events --json, start-child, releases) */
    /* status: each record made into its row (text) or its JSON as it
     * comes, and counted; none is kept */
    struct ctl_status_rows *rows;
    struct ctl_textbuf nodes; /* --json: the nodes' objects, comma-separated */
    size_t n_nodes;
    struct ctl_status_summary summary; /* --json's "healthy" */
    bool keep_records; /* status: kept in `records` as well, for a caller that reads them (top) */
    uint8_t *reply;             /* call --json: the reply, whole */
    size_t reply_len, reply_cap;
    int last_byte; /* call: the last byte printed, -1 before any */
};

void ctl_output_init(struct ctl_output *o, const struct ctl_args *a, FILE *out, FILE *err, bool color, bool tty);
void ctl_output_free(struct ctl_output *o);

/* One DATA payload. 0, or -EBADMSG (a record that is not logfmt),
 * -EMSGSIZE, -ENOMEM: the caller reports a protocol error. */
int ctl_output_data(struct ctl_output *o, const uint8_t *payload, size_t len);

/* The END: print the result or the error. Returns the exit code. */
int ctl_output_end(struct ctl_output *o, enum ctl_status status, const uint8_t *message, size_t len);

/* A failure on our side (status: CTL_CLIENT_* or a daemon status name
 * such as "denied" or "too_big"). Prints it; returns exit_code. */
int ctl_output_error(struct ctl_output *o, const char *status, const char *message, int exit_code);

/* A command line the parser refused: "ninesctl: CMD: usage: ERROR (see
 * ninesctl [CMD] --help)", and the --json object. Returns 2. */
int ctl_output_usage(FILE *out, FILE *err, const struct ctl_args *a);

#endif /* NINES_CTL_OUTPUT_H */
