/*
 * spare.c — the warm worker host (see spare.h).
 */
#include "spare.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "proto.h"
#include "reaper.h"

struct spare {
    struct spawned proc;
    struct daemon *d;
    bool watched;
};

static void close_fds(struct spawned *s) {
    int fds[] = {s->channel, s->out_fd, s->err_fd};
    for (size_t i = 0; i < 3; i++)
        if (fds[i] >= 0)
            close(fds[i]);
}

static void spare_free(struct spare *s, bool kill_it) {
    if (s->watched)
        reaper_unwatch(s->d->reaper, s->proc.pid);
    if (kill_it && s->watched)
        kill(s->proc.pid, SIGKILL);
    if (kill_it)
        waitpid(s->proc.pid, NULL, 0); /* an idle host dies at once */
    close_fds(&s->proc);
    free(s);
}

/* An idle spare that dies (killed by hand, out of memory) is just replaced
 * the next time one is wanted; the reaper reaps it. */
static void on_spare_exit(void *userdata, const siginfo_t *si) {
    struct daemon *d = userdata;
    d->spare->watched = false;
    spare_free(d->spare, false);
    d->spare = NULL;
}

static int spawn_spare(struct daemon *d) {
    /* Room for the title the host shows once it knows its child. */
    static char padding[768];
    if (!padding[0])
        memset(padding, ' ', sizeof padding - 1);
    char *argv[] = {(char *)d->worker_path, "--spare", padding, NULL};
    struct spare *s = calloc(1, sizeof *s);
    if (!s)
        return -ENOMEM;
    int r = worker_spawn(d, d->worker_path, argv, true, NULL, d->output, &s->proc);
    if (r < 0) {
        free(s);
        return r;
    }
    s->d = d;
    r = reaper_watch(d->reaper, s->proc.pid, on_spare_exit, d);
    if (r < 0) {
        kill(s->proc.pid, SIGKILL);
        spare_free(s, true);
        return r;
    }
    s->watched = true;
    d->spare = s;
    return 0;
}

static int on_idle(sd_event_source *src, void *userdata) {
    struct daemon *d = userdata;
    sd_event_source_set_enabled(src, SD_EVENT_OFF);
    /* Without a spare, workers are spawned directly: slower, not broken. */
    if (!d->spare && !d->stopping)
        spawn_spare(d);
    return 0;
}

void spare_want(struct daemon *d) {
    if (d->spare || d->stopping || d->no_spare)
        return;
    if (!d->spare_refill) {
        if (sd_event_add_defer(d->loop, &d->spare_refill, on_idle, d) < 0)
            return;
        sd_event_source_set_priority(d->spare_refill, SD_EVENT_PRIORITY_IDLE);
    }
    sd_event_source_set_enabled(d->spare_refill, SD_EVENT_ONESHOT);
}

int spare_start_payload(const struct nines_child_spec *spec, const char *module, const char *path, char *buf,
                        size_t size) {
    size_t used = 0;
    const char *parts[] = {module, path};
    for (size_t i = 0; i < 2; i++) {
        size_t len = strlen(parts[i]) + 1;
        if (len > size - used)
            return -E2BIG;
        memcpy(buf + used, parts[i], len);
        used += len;
    }
    for (size_t i = 0; i < spec->n_args; i++) {
        size_t klen = strlen(spec->args[i].key), vlen = strlen(spec->args[i].value);
        if (klen + vlen + 2 > size - used)
            return -E2BIG;
        memcpy(buf + used, spec->args[i].key, klen);
        buf[used + klen] = '=';
        memcpy(buf + used + klen + 1, spec->args[i].value, vlen + 1);
        used += klen + vlen + 2;
    }
    return (int)used;
}

int spare_take(struct daemon *d, const struct nines_child_spec *spec, const char *module, const char *path,
               struct spawned *out) {
    static char payload[NINES_PROTO_MAX_PAYLOAD];
    struct spare *s = d->spare;
    if (!s)
        return -ENOENT;
    int len = spare_start_payload(spec, module, path, payload, sizeof payload);
    if (len < 0)
        return len; /* too big for one message: spawn with argv instead */
    d->spare = NULL;
    int r = nines_proto_send(s->proc.channel, NINES_MSG_START, 0, payload, (size_t)len);
    if (r < 0) {
        spare_free(s, true);
        return r;
    }
    /* The process is the child's now: the caller watches its exit. */
    *out = s->proc;
    reaper_unwatch(d->reaper, s->proc.pid);
    free(s);
    return 0;
}

void spare_drop(struct daemon *d) {
    d->spare_refill = sd_event_source_disable_unref(d->spare_refill);
    if (d->spare)
        spare_free(d->spare, true);
    d->spare = NULL;
}
