/*
 * output.c — DATA frames in, text out, and the error paths (see
 * output.h). What the END prints per command is output_end.c.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "json.h"
#include "output.h"
#include "output_internal.h"
#include "render.h"
#include "textbuf.h"

void ctl_output_init(struct ctl_output *o, const struct ctl_args *a, FILE *out, FILE *err, bool color, bool tty) {
    *o = (struct ctl_output){.args = a, .out = out, .err = err, .color = color, .tty = tty, .last_byte = -1};
    ctl_args_what(a, o->what, sizeof o->what);
}

void ctl_output_free(struct ctl_output *o) {
    ctl_status_rows_free(o->rows);
    o->rows = NULL;
    ctl_textbuf_free(&o->nodes);
    ctl_lines_free(&o->lines);
    ctl_records_free(&o->records);
    free(o->reply);
    o->reply = NULL;
}

/* Raw bytes, not records (a call's reply, a plan of --dry-run): printed
 * as they come for people, kept for --json. */
static int raw_data(struct ctl_output *o, const uint8_t *p, size_t len) {
    if (!o->args->json) {
        fwrite(p, 1, len, o->out);
        if (len > 0)
            o->last_byte = p[len - 1];
        return 0;
    }
    if (len > o->reply_cap - o->reply_len) {
        size_t cap = o->reply_cap ? o->reply_cap : 4096;
        while (cap - o->reply_len < len)
            cap *= 2;
        uint8_t *r = realloc(o->reply, cap);
        if (!r)
            return -ENOMEM;
        o->reply = r;
        o->reply_cap = cap;
    }
    memcpy(o->reply + o->reply_len, p, len);
    o->reply_len += len;
    return 0;
}

/* An event as it arrives, unless --json without --follow collects them
 * into one object. --follow flushes each: someone is watching. */
static int event_line(struct ctl_output *o, const char *line, size_t len) {
    const struct ctl_args *a = o->args;
    if (a->json && !a->follow)
        return ctl_records_add(&o->records, line, len);
    if (len == 0)
        return 0;
    struct ctl_record r;
    int e = ctl_record_from_line(&r, line, len);
    if (e < 0)
        return e;
    if (a->json) {
        ctl_json_record(o->out, &r);
        fputc('\n', o->out);
    } else {
        ctl_render_event(o->out, &r);
    }
    ctl_record_free(&r);
    if (a->follow)
        fflush(o->out);
    return 0;
}

/* A record kept for the END, and shown now by the commands that do. */
static int record_line(struct ctl_output *o, const char *line, size_t len) {
    size_t before = o->records.n;
    int r = ctl_records_add(&o->records, line, len);
    if (r == 0 && o->records.n > before)
        ctl_output_show_record(o, &o->records.v[before]);
    return r;
}

/* A status record, parsed where it lies and not kept: its row of the
 * table made, or its JSON added to the nodes (the object's head needs
 * the END's message and the summary, so the nodes wait in memory as
 * text). */
static int status_line(struct ctl_output *o, char *line, size_t len) {
    if (len == 0)
        return 0;
    struct ctl_field fields[CTL_RECORD_MAX_FIELDS];
    struct ctl_record r;
    int e = ctl_record_in_place(&r, line, len, fields);
    if (e < 0)
        return e;
    if (o->args->json) {
        ctl_status_summary_add(&o->summary, &r);
        if (o->n_nodes++ > 0)
            ctl_textbuf_putc(&o->nodes, ',');
        ctl_json_record_buf(&o->nodes, &r);
        return o->nodes.oom ? -ENOMEM : 0;
    }
    if (!o->rows && !(o->rows = ctl_status_rows_new(ctl_now_ms())))
        return -ENOMEM;
    return ctl_status_rows_add(o->rows, &r);
}

/* Whole lines taken from the buffer: events printed now, status records
 * made into rows or JSON, the others kept (and some shown) as records. */
static int take_lines(struct ctl_output *o, bool flush) {
    char *line;
    size_t len;
    enum ctl_command_id cmd = o->args->cmd->id;
    while (ctl_lines_next(&o->lines, flush, &line, &len)) {
        int r = cmd == CTL_CMD_EVENTS   ? event_line(o, line, len)
                : cmd == CTL_CMD_STATUS && !o->keep_records ? status_line(o, line, len)
                                        : record_line(o, line, len);
        if (r < 0)
            return r;
    }
    return 0;
}

int ctl_output_data(struct ctl_output *o, const uint8_t *payload, size_t len) {
    /* A plan (upgrade and downgrade --dry-run), as the planner wrote it. */
    if (o->args->dry_run)
        return raw_data(o, payload, len);
    switch (o->args->cmd->id) {
    case CTL_CMD_CALL:
    case CTL_CMD_METRICS:
        return raw_data(o, payload, len);
    case CTL_CMD_RELEASE_UPGRADE:
    case CTL_CMD_RELEASE_DOWNGRADE:
    case CTL_CMD_STATUS:
    case CTL_CMD_EVENTS:
    case CTL_CMD_START_CHILD:
    case CTL_CMD_UPGRADE:
    case CTL_CMD_RELEASE_LIST:
    case CTL_CMD_RELEASE_UNPACK:
    case CTL_CMD_RELEASE_MAKE_PERMANENT:
    case CTL_CMD_RELEASE_REMOVE: {
        int r = ctl_lines_feed(&o->lines, payload, len);
        return r < 0 ? r : take_lines(o, false);
    }
    default:
        return 0; /* data a newer daemon adds to other answers: not ours to show */
    }
}

int ctl_output_flush_lines(struct ctl_output *o) {
    return take_lines(o, true);
}

int ctl_output_error(struct ctl_output *o, const char *status, const char *message, int exit_code) {
    fflush(o->out); /* what was printed before comes first */
    if (o->args && o->args->cmd && o->args->cmd->lines)
        ctl_print_error_lines(o->err, o->what, status, message);
    else
        ctl_print_error(o->err, o->what, status, message);
    if (o->args && o->args->json) {
        ctl_json_begin(o->out, false, status, message, strlen(message));
        fputs("}\n", o->out);
    }
    fflush(o->out);
    return exit_code;
}

int ctl_output_usage(FILE *out, FILE *err, const struct ctl_args *a) {
    char message[sizeof a->error + 64];
    const char *name = a->cmd ? a->cmd->name : a->group ? a->group : "";
    snprintf(message, sizeof message, "%s (see ninesctl%s%s --help)", a->error, name[0] ? " " : "", name);
    ctl_print_error(err, name, CTL_CLIENT_USAGE, message);
    if (a->json) {
        ctl_json_begin(out, false, CTL_CLIENT_USAGE, message, strlen(message));
        fputs("}\n", out);
    }
    return CTL_EXIT_USAGE;
}
