/*
 * output_end.c — what ninesctl prints when the END arrives: the result of
 * each command, for people or as one --json object (see output.h and the
 * README's "Controlling a running tree" for the schema).
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "json.h"
#include "output.h"
#include "output_internal.h"
#include "render.h"

/* status for a caller that keeps the records (top): they were not shown. */
static int end_kept_status(struct ctl_output *o) {
    struct ctl_status_summary s;
    ctl_status_summarize(&o->records, &s);
    return s.down ? CTL_EXIT_UNHEALTHY : CTL_EXIT_OK;
}

static int end_status(struct ctl_output *o, const uint8_t *msg, size_t len) {
    if (o->keep_records)
        return end_kept_status(o);
    if (o->args->json) {
        ctl_json_begin(o->out, true, "ok", msg, len);
        fprintf(o->out, ",\"healthy\":%s,\"nodes\":[", o->summary.down ? "false" : "true");
        if (o->nodes.len > 0) /* no node: no text (fwrite's may not be NULL) */
            fwrite(o->nodes.p, 1, o->nodes.len, o->out);
        fputs("]}\n", o->out);
        return o->summary.down ? CTL_EXIT_UNHEALTHY : CTL_EXIT_OK;
    }
    if (!o->rows && !(o->rows = ctl_status_rows_new(ctl_now_ms()))) /* no record came */
        return ctl_output_error(o, ctl_status_name(CTL_ST_INTERNAL), "out of memory", CTL_EXIT_FAILED);
    if (ctl_status_rows_print(o->out, o->rows, o->color) < 0)
        return ctl_output_error(o, ctl_status_name(CTL_ST_INTERNAL), "out of memory", CTL_EXIT_FAILED);
    return ctl_status_rows_summary(o->rows)->down ? CTL_EXIT_UNHEALTHY : CTL_EXIT_OK;
}

/* After raw bytes printed as they came: a prompt glued to them is hard
 * to read; a pipe gets them exactly as they were sent. */
static void end_raw(struct ctl_output *o) {
    if (o->tty && o->last_byte >= 0 && o->last_byte != '\n')
        fputc('\n', o->out);
}

static int end_call(struct ctl_output *o, const uint8_t *msg, size_t len) {
    if (!o->args->json) {
        end_raw(o);
        return CTL_EXIT_OK;
    }
    ctl_json_begin(o->out, true, "ok", msg, len);
    fputs(",\"reply\":", o->out);
    ctl_json_string(o->out, o->reply, o->reply_len);
    fputs("}\n", o->out);
    return CTL_EXIT_OK;
}

/* The plan of --dry-run: printed as it came; with --json, the planner's
 * JSON object goes into ours as it is, so it must look like one. */
static int end_plan(struct ctl_output *o, const uint8_t *msg, size_t len) {
    if (!o->args->json) {
        end_raw(o);
        return CTL_EXIT_OK;
    }
    size_t start = 0, end = o->reply_len;
    while (start < end && isspace(o->reply[start]))
        start++;
    while (end > start && isspace(o->reply[end - 1]))
        end--;
    if (end - start < 2 || o->reply[start] != '{' || o->reply[end - 1] != '}')
        return ctl_output_error(o, CTL_CLIENT_PROTOCOL, "the plan from the daemon is not a JSON object",
                                CTL_EXIT_PROTOCOL);
    ctl_json_begin(o->out, true, "ok", msg, len);
    fputs(",\"plan\":", o->out);
    fwrite(o->reply + start, 1, end - start, o->out);
    fputs("}\n", o->out);
    return CTL_EXIT_OK;
}

static int end_events(struct ctl_output *o, const uint8_t *msg, size_t len) {
    /* Human lines and --follow's JSON Lines went out as they came. */
    if (!o->args->json || o->args->follow)
        return CTL_EXIT_OK;
    ctl_json_begin(o->out, true, "ok", msg, len);
    fputs(",\"events\":[", o->out);
    for (size_t i = 0; i < o->records.n; i++) {
        if (i > 0)
            fputc(',', o->out);
        ctl_json_record(o->out, &o->records.v[i]);
    }
    fputs("]}\n", o->out);
    return CTL_EXIT_OK;
}

/* start-child: the new child's record says where it is and its pid. */
static int end_start_child(struct ctl_output *o, const uint8_t *msg, size_t len) {
    const struct ctl_record *r = o->records.n ? &o->records.v[0] : NULL;
    const char *path = r ? ctl_record_value(r, "path") : NULL;
    const char *pid = r ? ctl_record_value(r, "pid") : NULL;
    if (!o->args->json) {
        if (len > 0)
            fprintf(o->out, "%.*s\n", (int)len, (const char *)msg);
        else if (path)
            fprintf(o->out, "%s\n", path);
        return CTL_EXIT_OK;
    }
    ctl_json_begin(o->out, true, "ok", msg, len);
    if (path) {
        fputs(",\"path\":", o->out);
        ctl_json_cstring(o->out, path);
    }
    if (pid && ctl_json_type_of("pid", pid) == CTL_JSON_NUMBER)
        fprintf(o->out, ",\"pid\":%s", pid);
    fputs("}\n", o->out);
    return CTL_EXIT_OK;
}

/* Everything else: the END's message is the result. */
static int end_message(struct ctl_output *o, const uint8_t *msg, size_t len) {
    if (o->args->json) {
        ctl_json_begin(o->out, true, "ok", msg, len);
        fputs("}\n", o->out);
    } else if (len > 0) {
        fprintf(o->out, "%.*s\n", (int)len, (const char *)msg);
    }
    return CTL_EXIT_OK;
}

static int end_ok(struct ctl_output *o, const uint8_t *msg, size_t len) {
    switch (o->args->cmd->id) {
    case CTL_CMD_STATUS:
        return end_status(o, msg, len);
    case CTL_CMD_CALL:
        return end_call(o, msg, len);
    case CTL_CMD_EVENTS:
        return end_events(o, msg, len);
    case CTL_CMD_START_CHILD:
        return end_start_child(o, msg, len);
    case CTL_CMD_RELEASE_LIST:
        return ctl_output_end_releases(o, msg, len);
    case CTL_CMD_RELEASE_UPGRADE:
    case CTL_CMD_RELEASE_DOWNGRADE:
        return end_plan(o, msg, len); /* --dry-run: a running one ends elsewhere */
    default:
        return end_message(o, msg, len);
    }
}

int ctl_output_end(struct ctl_output *o, enum ctl_status status, const uint8_t *message, size_t len) {
    if (len > 0 && memchr(message, '\0', len))
        len = strlen((const char *)message); /* a message is text: stop at a NUL */
    /* Events --follow shows what came before the daemon ended the stream. */
    int r = ctl_output_flush_lines(o);
    if (r == 0 && ctl_output_install_running(o))
        return ctl_output_end_install(o, status, message, len);
    if (r == 0 && ctl_output_upgrade_all(o))
        return ctl_output_end_upgrade_all(o, status, message, len);
    if (status != CTL_ST_OK) {
        char *text = strndup((const char *)message, len);
        int code = ctl_output_error(o, ctl_status_name(status), text ? text : "", ctl_exit_for_status(status));
        free(text);
        return code;
    }
    if (r < 0) {
        char text[160], why[64];
        snprintf(text, sizeof text, "bad record from the daemon: %s", ctl_strerror(r, why));
        return ctl_output_error(o, CTL_CLIENT_PROTOCOL, text, CTL_EXIT_PROTOCOL);
    }
    int code = end_ok(o, message, len);
    fflush(o->out);
    return code;
}
