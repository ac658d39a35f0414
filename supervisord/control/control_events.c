/*
 * control_events.c — the supervisor reports `ninesctl events` shows: the
 * last CONTROL_HISTORY of them, and every new one to the followers.
 */
#include <stdlib.h>
#include <string.h>

#include "control_internal.h"

void control_events_record(struct daemon *d, const char *line, size_t len) {
    struct control *ctl = d->control;
    char *copy = malloc(len + 1);
    if (!copy)
        return;
    memcpy(copy, line, len);
    copy[len] = '\0';
    free(ctl->history[ctl->history_next]);
    ctl->history[ctl->history_next] = copy;
    ctl->history_next = (ctl->history_next + 1) % CONTROL_HISTORY;
    if (ctl->history_len < CONTROL_HISTORY)
        ctl->history_len++;
    for (struct control_conn *c = ctl->conns; c; c = c->next)
        if (c->following && !c->dead)
            control_send_data(c, copy, len);
}

/* Workers' output lines are their own story, not supervisor reports. */
void control_on_log_record(void *userdata, const char *event, const char *line, size_t len) {
    struct daemon *d = userdata;
    if (d->control && strcmp(event, "output") != 0)
        control_events_record(d, line, len);
}

/* The history, oldest first, in frames of up to 64 KiB. */
void control_events_send_history(struct daemon *d, struct control_conn *c) {
    struct control *ctl = d->control;
    size_t start = (ctl->history_next + CONTROL_HISTORY - ctl->history_len) % CONTROL_HISTORY;
    static char chunk[64 * 1024];
    size_t used = 0;
    for (size_t i = 0; i < ctl->history_len; i++) {
        const char *line = ctl->history[(start + i) % CONTROL_HISTORY];
        size_t len = strlen(line);
        if (used + len > sizeof chunk && used) {
            control_send_data(c, chunk, used);
            used = 0;
        }
        if (len <= sizeof chunk) {
            memcpy(chunk + used, line, len);
            used += len;
        }
    }
    if (used)
        control_send_data(c, chunk, used);
}

void control_events_free(struct daemon *d) {
    struct control *ctl = d->control;
    for (size_t i = 0; i < CONTROL_HISTORY; i++)
        free(ctl->history[i]), ctl->history[i] = NULL;
    ctl->history_len = ctl->history_next = 0;
}
