/*
 * output_release.c — what the release commands print (see output.h):
 * records shown as they arrive (the steps of an upgrade, the phases of an
 * unpack), the list of releases, and the result of an upgrade or a
 * downgrade, for people or as one --json object.
 */
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "install.h"
#include "json.h"
#include "output.h"
#include "output_internal.h"
#include "render.h"

static bool is_install(const struct ctl_output *o) {
    enum ctl_command_id id = o->args->cmd->id;
    return id == CTL_CMD_RELEASE_UPGRADE || id == CTL_CMD_RELEASE_DOWNGRADE;
}

bool ctl_output_install_running(const struct ctl_output *o) {
    return is_install(o) && !o->args->dry_run;
}

bool ctl_output_upgrade_all(const struct ctl_output *o) {
    if (o->args->cmd->id != CTL_CMD_UPGRADE)
        return false;
    for (size_t i = 0; i < o->records.n; i++) {
        const char *phase = ctl_record_value(&o->records.v[i], "phase");
        if (phase && strcmp(phase, "begin") == 0)
            return true;
    }
    return false;
}

/* upgrade CHILD: "upgrading CHILD (running 1.0.0) to /srv/echo-2.so ..."
 * on a terminal; upgrade SUPERVISOR: each child as it ends, on a pipe too. */
static void show_upgrade(struct ctl_output *o, const struct ctl_record *r) {
    const char *phase = ctl_record_value(r, "phase");
    const char *from = ctl_record_value(r, "from"), *module = ctl_record_value(r, "module");
    const char *sup = ctl_record_value(r, "supervisor"), *kids = ctl_record_value(r, "children");
    if (ctl_render_upgrade_child(o->out, r, o->color)) {
        fflush(o->out);
        return;
    }
    if (!o->tty || !phase || !module)
        return;
    if (strcmp(phase, "sent") == 0 && from)
        fprintf(o->out, "upgrading %s (running %s) to %s ...\n", o->args->npos ? o->args->pos[0] : "", from,
                module);
    else if (strcmp(phase, "begin") == 0 && sup && kids)
        fprintf(o->out, "upgrading the %s running child%s of %s to %s ...\n", kids, strcmp(kids, "1") ? "ren" : "",
                sup, module);
    fflush(o->out);
}

void ctl_output_show_record(struct ctl_output *o, const struct ctl_record *r) {
    if (o->args->json)
        return; /* all of it in the object at the END */
    switch (o->args->cmd->id) {
    case CTL_CMD_UPGRADE:
        show_upgrade(o, r);
        return;
    case CTL_CMD_RELEASE_UPGRADE:
    case CTL_CMD_RELEASE_DOWNGRADE:
        /* The steps are the news: shown as they complete, on a pipe too. */
        if (ctl_render_install_record(o->out, r, o->color))
            fflush(o->out);
        return;
    case CTL_CMD_RELEASE_UNPACK:
    case CTL_CMD_RELEASE_MAKE_PERMANENT:
    case CTL_CMD_RELEASE_REMOVE:
        /* Progress, on a terminal only: the result line says it all. */
        if (o->tty) {
            ctl_render_progress(o->out, r);
            fflush(o->out);
        }
        return;
    default:
        return;
    }
}

int ctl_output_end_releases(struct ctl_output *o, const uint8_t *msg, size_t len) {
    if (!o->args->json) {
        if (ctl_render_releases(o->out, &o->records, o->color) < 0)
            return ctl_output_error(o, ctl_status_name(CTL_ST_INTERNAL), "out of memory", CTL_EXIT_FAILED);
        return CTL_EXIT_OK;
    }
    ctl_json_begin(o->out, true, "ok", msg, len);
    fputs(",\"releases\":[", o->out);
    for (size_t i = 0; i < o->records.n; i++) {
        const struct ctl_record *r = &o->records.v[i];
        const char *running = ctl_record_value(r, "running");
        fputs(i > 0 ? ",{" : "{", o->out);
        int n = ctl_json_fields(o->out, r, "running");
        /* Every release says whether it runs, not only the one that does. */
        fprintf(o->out, "%s\"running\":%s}", n > 0 ? "," : "",
                running && strcmp(running, "yes") == 0 ? "true" : "false");
    }
    fputs("]}\n", o->out);
    return CTL_EXIT_OK;
}

/* "key":"value", or "key":null when not known. */
static void json_name(FILE *f, const char *key, const char *value) {
    fprintf(f, ",\"%s\":", key);
    if (value[0])
        ctl_json_cstring(f, value);
    else
        fputs("null", f);
}

/* "key":[...] of the records of one phase, without their `phase`. */
static void json_phase(FILE *f, const char *key, const struct ctl_records *rs, const char *phase) {
    fprintf(f, ",\"%s\":[", key);
    size_t n = 0;
    for (size_t i = 0; i < rs->n; i++) {
        const char *p = ctl_record_value(&rs->v[i], "phase");
        if (!p || strcmp(p, phase) != 0)
            continue;
        fputs(n++ > 0 ? ",{" : "{", f);
        ctl_json_fields(f, &rs->v[i], "phase");
        fputc('}', f);
    }
    fputc(']', f);
}

static void install_json(struct ctl_output *o, enum ctl_status status, const char *message) {
    struct ctl_install_names names;
    ctl_install_names(&o->records, message, o->args->npos > 0 ? o->args->pos[0] : NULL, &names);
    ctl_json_begin(o->out, status == CTL_ST_OK, ctl_status_name(status), message, strlen(message));
    json_name(o->out, "release", names.release);
    json_name(o->out, "from", names.from);
    json_name(o->out, "to", names.to);
    fprintf(o->out, ",\"direction\":\"%s\",\"result\":\"%s\"",
            o->args->cmd->id == CTL_CMD_RELEASE_UPGRADE ? "up" : "down", status == CTL_ST_OK ? "ok" : "failed");
    json_phase(o->out, "steps", &o->records, "step");
    json_phase(o->out, "undone", &o->records, "undo");
    fputs("}\n", o->out);
}

static void upgrade_all_json(struct ctl_output *o, enum ctl_status status, const char *message) {
    const struct ctl_record *begin = NULL;
    for (size_t i = 0; i < o->records.n && !begin; i++) {
        const char *phase = ctl_record_value(&o->records.v[i], "phase");
        if (phase && strcmp(phase, "begin") == 0)
            begin = &o->records.v[i];
    }
    const char *sup = begin ? ctl_record_value(begin, "supervisor") : NULL;
    const char *module = begin ? ctl_record_value(begin, "module") : NULL;
    ctl_json_begin(o->out, status == CTL_ST_OK, ctl_status_name(status), message, strlen(message));
    json_name(o->out, "supervisor", sup ? sup : "");
    json_name(o->out, "module", module ? module : "");
    fprintf(o->out, ",\"result\":\"%s\"", status == CTL_ST_OK ? "ok" : "failed");
    json_phase(o->out, "children", &o->records, "child");
    json_phase(o->out, "undone", &o->records, "undo");
    fputs("}\n", o->out);
}

/* The END of a running install or of upgrade SUPERVISOR, whatever the
 * status: the object says what ran and what was undone. */
static int end_with_records(struct ctl_output *o, enum ctl_status status, const uint8_t *msg, size_t len,
                            bool install) {
    char *text = strndup((const char *)msg, len);
    if (!text)
        return ctl_output_error(o, ctl_status_name(CTL_ST_INTERNAL), "out of memory", CTL_EXIT_FAILED);
    if (status != CTL_ST_OK) {
        fflush(o->out); /* the steps printed come first */
        ctl_print_error_lines(o->err, o->what, ctl_status_name(status), text);
    } else if (!o->args->json && text[0]) {
        fprintf(o->out, "%s\n", text);
    }
    /* Failed or not, the object says which steps ran and which were undone. */
    if (o->args->json && install)
        install_json(o, status, text);
    else if (o->args->json)
        upgrade_all_json(o, status, text);
    fflush(o->out);
    free(text);
    return ctl_exit_for_status(status);
}

int ctl_output_end_install(struct ctl_output *o, enum ctl_status status, const uint8_t *msg, size_t len) {
    return end_with_records(o, status, msg, len, true);
}

int ctl_output_end_upgrade_all(struct ctl_output *o, enum ctl_status status, const uint8_t *msg, size_t len) {
    return end_with_records(o, status, msg, len, false);
}
