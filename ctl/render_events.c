/*
 * render_events.c — `ninesctl events` for people: one line per
 * supervisor report. Records arrive one by one (--follow streams them),
 * so columns have fixed minimum widths instead of measured ones; they fit
 * the levels and event names the daemon writes and most paths.
 */
#include "render.h"
#include "render_internal.h"

/* A field, "-" when absent, padded to `width` columns; control bytes (a
 * worker's message may hold anything) shown as '?'. */
static void field(FILE *out, const char *v, int width) {
    int cols = (int)ctl_print_text(out, v && v[0] ? v : "-");
    fprintf(out, "%*s", width > cols ? width - cols : 0, "");
}

void ctl_render_event(FILE *out, const struct ctl_record *r) {
    /* A supervisor's own reports (shutdown) name no child: show who. */
    const char *who = ctl_record_value(r, "child");
    if (!who || !who[0])
        who = ctl_record_value(r, "supervisor");
    /* Each column padded to its width, then a space: a longer value
     * pushes the rest along rather than running into it. */
    field(out, ctl_record_value(r, "ts"), 0);
    fputc(' ', out);
    field(out, ctl_record_value(r, "level"), 7);
    fputc(' ', out);
    field(out, ctl_record_value(r, "event"), 19);
    fputc(' ', out);
    field(out, who, 20);
    fputc(' ', out);
    field(out, ctl_record_value(r, "reason"), 16);
    fputc(' ', out);
    field(out, ctl_record_value(r, "action"), 12);
    fputc(' ', out);
    field(out, ctl_record_value(r, "msg"), 0);
    fputc('\n', out);
}
