/*
 * child_proc.c — a worker process's life as the daemon sees it: the
 * channel's messages, its output captured line by line, its grace timer,
 * and its end, turned into an engine event.
 */
#include "child_proc.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "calls.h"
#include "fd_room.h"
#include "launcher.h"
#include "casts.h"
#include "cgroup.h"
#include "log.h"
#include "output_limit.h"
#include "output_sock.h"
#include "module_names.h"
#include "start_timeout.h"
#include "proto.h"
#include "reaper.h"
#include "spare.h"
#include "upgrade.h"
#include "warden.h"

static void feed(struct child_proc *p, enum engine_event_kind kind, const struct nines_reason *reason) {
    struct engine_event ev = {.kind = kind, .node = p->node, .gen = p->gen, .now_ms = daemon_now_ms()};
    if (reason)
        ev.reason = *reason;
    daemon_feed(p->d, &ev);
}

/* --- captured output ------------------------------------------------- */

struct line_ctx {
    struct child_proc *p;
    const char *stream;
    int fallback;
};

static void log_dropped(struct child_proc *p, uint64_t dropped) {
    char pid[16], count[24];
    snprintf(pid, sizeof pid, "%d", (int)p->pid);
    snprintf(count, sizeof count, "%llu", (unsigned long long)dropped);
    struct nines_field f[] = {
        {"child", engine_node_path(p->d->engine, p->node)},
        {"pid", pid},
        {"dropped", count},
    };
    nines_log_event(LOG_WARNING, "output_dropped", "lines of output over the rate limit were dropped", f, 3);
}

static void log_limited(struct child_proc *p) {
    char pid[16], burst[24], interval[24];
    snprintf(pid, sizeof pid, "%d", (int)p->pid);
    snprintf(burst, sizeof burst, "%d", NINES_OUTPUT_BURST);
    snprintf(interval, sizeof interval, "%ds", NINES_OUTPUT_INTERVAL_MS / 1000);
    struct nines_field f[] = {
        {"child", engine_node_path(p->d->engine, p->node)},
        {"pid", pid},
        {"burst", burst},
        {"interval", interval},
    };
    nines_log_event(LOG_WARNING, "output_limited", "output over the rate limit: dropping lines until the interval ends",
                    f, 4);
}

static void log_line(void *userdata, const char *line, size_t len) {
    struct line_ctx *c = userdata;
    uint64_t ended_dropped;
    enum output_verdict v = output_rate_line(&c->p->rate, daemon_now_ms(), &ended_dropped);
    if (ended_dropped)
        log_dropped(c->p, ended_dropped);
    if (v == OUTPUT_DROP)
        return;
    char text[NINES_LINE_MAX + 1], pid[16];
    int priority = linebuf_priority(&line, &len, c->fallback);
    memcpy(text, line, len);
    text[len] = '\0';
    snprintf(pid, sizeof pid, "%d", (int)c->p->pid);
    struct nines_field f[] = {
        {"child", engine_node_path(c->p->d->engine, c->p->node)},
        {"pid", pid},
        {"stream", c->stream},
    };
    nines_log_event(priority, "output", text, f, 3);
    if (v == OUTPUT_LOG_LIMIT)
        log_limited(c->p);
}

/* Read what is in the pipe now, at most `budget` bytes (then the loop
 * serves the others: the pipe stays readable); true at end of stream. */
static bool drain_pipe(struct child_proc *p, int fd, struct linebuf *b, const char *stream, size_t budget) {
    struct line_ctx c = {p, stream, LOG_INFO};
    char buf[8192];
    size_t done = 0, want;
    while ((want = output_read_size(done, budget, sizeof buf)) > 0) {
        ssize_t n = read(fd, buf, want);
        if (n > 0) {
            linebuf_feed(b, buf, (size_t)n, log_line, &c);
            done += (size_t)n;
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n == 0 || (n < 0 && errno != EAGAIN)) {
            linebuf_flush(b, log_line, &c);
            return true;
        }
        return false;
    }
    return false;
}

/* A module worker's output, from the shared socket (output_sock.h). */
static void on_socket_output(void *userdata, int tag, const char *bytes, size_t len) {
    struct child_proc *p = userdata;
    struct line_ctx c = {p, tag == 1 ? "stdout" : "stderr", LOG_INFO};
    linebuf_feed(tag == 1 ? &p->out : &p->err, bytes, len, log_line, &c);
}

static void flush_socket_output(struct child_proc *p) {
    output_sock_drain(p->d->output, NINES_OUTPUT_EXIT_BUDGET);
    struct line_ctx out = {p, "stdout", LOG_INFO}, err = {p, "stderr", LOG_INFO};
    linebuf_flush(&p->out, log_line, &out);
    linebuf_flush(&p->err, log_line, &err);
}

static int on_output(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
    struct child_proc *p = userdata;
    bool is_out = s == p->out_src;
    if (drain_pipe(p, fd, is_out ? &p->out : &p->err, is_out ? "stdout" : "stderr", NINES_OUTPUT_READ_BUDGET)) {
        sd_event_source_set_enabled(s, SD_EVENT_OFF);
        reaper_expect(p->d->reaper, p->pid); /* closed: its end may be merged into another's SIGCHLD */
    }
    return 0;
}

/* --- the channel ------------------------------------------------------ */

static void on_message(struct child_proc *p, const struct nines_msg *m, int *fds, size_t n_fds) {
    if (n_fds && m->type != NINES_MSG_HANDOFF_FDS && m->type != NINES_MSG_HANDOFF_STATE) {
        for (size_t i = 0; i < n_fds; i++)
            close(fds[i]); /* descriptors nobody asked for */
        n_fds = 0;
    }
    switch (m->type) {
    case NINES_MSG_HANDOFF_FDS:
    case NINES_MSG_HANDOFF_CALLS:
    case NINES_MSG_HANDOFF_STATE:
        upgrade_on_handoff(p->d, p->node, p->gen, m, fds, n_fds);
        break;
    case NINES_MSG_READY: {
        start_timeout_disarm(p);
        /* payload: NAME\0VERSION\0 */
        const char *name = (const char *)m->payload;
        size_t name_len = strnlen(name, m->length);
        snprintf(p->name, sizeof p->name, "%.*s", (int)name_len, name);
        size_t version_len = name_len + 1 < m->length ? strnlen(name + name_len + 1, m->length - name_len - 1) : 0;
        if (name_len + 1 < m->length)
            snprintf(p->version, sizeof p->version, "%.*s", (int)version_len, name + name_len + 1);
        /* Then "preloaded" when a spare had loaded the module before its START. */
        size_t third = name_len + 1 + version_len + 1;
        p->d->nodes[p->node].preloaded = third < m->length &&
                                          strncmp(name + third, "preloaded", m->length - third) == 0;
        /* What it wrote before it said READY is logged before it started. */
        if (p->out_key)
            output_sock_drain(p->d->output, NINES_OUTPUT_READ_BUDGET);
        module_names_learn(p->d, daemon_module_of(p->d, p->node), p->name);
        if (p->restoring) {
            /* Back on the old code after a failed upgrade: for the engine
             * this child never stopped running. */
            p->restoring = false;
            upgrade_on_restored(p->d, p->node);
            break;
        }
        feed(p, ENGINE_EV_READY, NULL);
        spare_want(p->d); /* it may have used the spare: have the next one ready */
        break;
    }
    case NINES_MSG_EXIT_REASON: {
        uint32_t kind = 0;
        if (m->length < sizeof kind)
            break;
        memcpy(&kind, m->payload, sizeof kind);
        p->reason = nines_reason_make((enum nines_reason_kind)kind, 0, NULL);
        snprintf(p->reason.message, sizeof p->reason.message, "%.*s",
                 (int)(m->length - sizeof kind), (const char *)m->payload + sizeof kind);
        p->has_reason = true;
        break;
    }
    case NINES_MSG_REPLY:
    case NINES_MSG_CALL_ERROR:
        calls_on_answer(p->d, p->node, p->gen, m);
        break;
    case NINES_MSG_OUT_CALL:
    case NINES_MSG_OUT_CAST:
        calls_from_worker(p->d, p->node, p->gen, m);
        break;
    case NINES_MSG_UPGRADE_RESULT:
        upgrade_on_result(p->d, p->node, p->gen, m);
        break;
    case NINES_MSG_TOOK_INPUT:
        upgrade_on_took_input(p->d, p->node, p->gen);
        break;
    case NINES_MSG_CASTS_REFUSED:
        casts_refused_by_worker(p->d, m->payload, m->length);
        break;
    default:
        break; /* a message for the other direction: ignored */
    }
}

/* Handle every message waiting; false once the channel is closed. */
static bool drain_channel(struct child_proc *p) {
    static uint8_t buf[NINES_PROTO_BUFSIZE];
    static int fds[NINES_HANDOFF_FDS_MAX + 1];
    struct nines_msg m;
    for (;;) {
        size_t n_fds;
        int r = nines_proto_recv_fds(p->channel, buf, &m, fds, NINES_HANDOFF_FDS_MAX + 1, &n_fds);
        if (r == -EAGAIN)
            return true;
        if (r == -EBADMSG)
            continue; /* a broken packet is dropped, never trusted */
        if (r < 0)
            return false;
        on_message(p, &m, fds, n_fds);
        /* READY may have led the engine to act on this child; it is still
         * ours until its exit is handled, so going on is safe. */
    }
}

/* One message per wake-up (see host_loop.c's on_channel): the source is
 * level-triggered, so more come on the next iteration. */
static int on_channel(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
    static uint8_t buf[NINES_PROTO_BUFSIZE];
    static int fds[NINES_HANDOFF_FDS_MAX + 1];
    struct child_proc *p = userdata;
    struct nines_msg m;
    size_t n_fds;
    if (revents & EPOLLOUT)
        child_send_flush(p);
    if (!(revents & (EPOLLIN | EPOLLHUP | EPOLLERR)))
        return 0;
    int r = p->fds_expected ? nines_proto_recv_fds(p->channel, buf, &m, fds, NINES_HANDOFF_FDS_MAX + 1, &n_fds)
                            : (n_fds = 0, nines_proto_recv(p->channel, buf, &m));
    if (r == 0)
        on_message(p, &m, fds, n_fds);
    else if (r != -EAGAIN && r != -EBADMSG) {
        sd_event_source_set_enabled(s, SD_EVENT_OFF); /* closed: the exit handler drains the rest */
        reaper_expect(p->d->reaper, p->pid);          /* its end, even merged, found by its pid */
    }
    return 0;
}

/* --- the end ----------------------------------------------------------- */

/* Whatever the child started and left in its process group dies with it
 * (the leader is still a zombie here, so the group id is still its own). */
static void sweep_group(pid_t pid) {
    kill(-pid, SIGKILL);
}

static void end_process(struct child_proc *p, const siginfo_t *si) {
    p->watched = false;
    /* A worker host that could not be exec'd (an exec child's program
     * says so itself, and exits 127 as it did under nines-worker --exec). */
    int exec_err = p->is_exec ? 0 : launcher_exec_error(p->d, p->pid);
    if (exec_err < 0 && !p->has_reason) {
        p->reason = nines_reason_make(NINES_REASON_SPAWN_FAILED, -exec_err, p->d->worker_path);
        p->has_reason = true;
    }
    sweep_group(p->pid);
    /* And what left the group, where the child has a cgroup (cgroup.h). */
    const char *cg_path = engine_node_path(p->d->engine, p->node);
    cgroups_kill(p->d, cg_path);
    cgroups_release(p->d, cg_path);
    /* Whatever it said and wrote before dying is already queued: take it
     * all before reporting the end, so the log reads in order. */
    casts_on_exit(p);
    if (p->channel >= 0)
        drain_channel(p);
    if (p->out_fd >= 0) {
        /* To its end of stream, or (ninesd's end read-write: exec_ready.c)
         * to what is there: a last line without its newline too. */
        struct line_ctx out = {p, "stdout", LOG_INFO}, err = {p, "stderr", LOG_INFO};
        if (!drain_pipe(p, p->out_fd, &p->out, "stdout", NINES_OUTPUT_EXIT_BUDGET))
            linebuf_flush(&p->out, log_line, &out);
        if (!drain_pipe(p, p->err_fd, &p->err, "stderr", NINES_OUTPUT_EXIT_BUDGET))
            linebuf_flush(&p->err, log_line, &err);
    } else {
        flush_socket_output(p);
    }
    uint64_t dropped = output_rate_flush(&p->rate);
    if (dropped)
        log_dropped(p, dropped);
    struct nines_reason r = nines_reason_from_exit_sig(si->si_code, si->si_status,
                                                       p->has_reason ? &p->reason : NULL,
                                                       p->stop_requested, p->stop_signal);
    start_timeout_reason(p, &r);
    struct daemon *d = p->d;
    engine_node node = p->node;
    uint64_t gen = p->gen;
    bool may_roll_back = !p->stop_requested && !p->restoring;
    d->procs[node] = NULL; /* freed by the caller, after the START */
    calls_on_exit(d, node, gen, &r);
    /* A worker that dies in (or just after) an upgrade comes back on its
     * old code with its state: for the engine it never stopped. */
    if (upgrade_on_exit(d, node, gen, &r, may_roll_back))
        return;
    struct engine_event ev = {.kind = ENGINE_EV_EXIT, .node = node, .gen = gen,
                              .reason = r, .now_ms = daemon_now_ms()};
    daemon_feed(d, &ev);
}

/* The children started while an end is handled, whose sources, timer,
 * descriptor count and warden entry wait until the end's log is written
 * (settle): a list in the order started, through child_proc.next_unsettled. */
static struct child_proc *unsettled, **unsettled_tail = &unsettled;
static unsigned ending_depth;

static void settle_all(void);

/* What the end decides (the reason, the engine's restart) and what must
 * come before a replacement runs (the old group killed) is done first;
 * what decides nothing waits until the replacement is on its way (a warm
 * spare has its START, an exec-ready process its request): the log's
 * records of the end, and of an exec child's start, are held and then
 * written in one write, in order (nines_log_hold); then the new process's
 * bookkeeping (settle: its sources, its timer, the warden told of its
 * group), the old record freed (its sources, its descriptors) and the
 * warden's forgetting of the old group (still before the leader is
 * reaped, so its number is not reused while the warden knows it). */
static void on_process_exit(void *userdata, const siginfo_t *si) {
    struct child_proc *p = userdata;
    struct daemon *d = p->d;
    pid_t pid = p->pid;
    ending_depth++;
    nines_log_hold();
    end_process(p, si);
    nines_log_release();
    ending_depth--;
    settle_all();
    child_proc_free(p); /* its sources and descriptors */
    warden_remove(d, pid);
}

static int on_timer(sd_event_source *s, uint64_t usec, void *userdata) {
    struct child_proc *p = userdata;
    p->timer_src = sd_event_source_unref(p->timer_src);
    feed(p, ENGINE_EV_TIMEOUT, NULL);
    return 0;
}

/* --- public ------------------------------------------------------------ */

/* Its output and channel read, from now on. */
static int add_sources(struct child_proc *p) {
    sd_event *loop = p->d->loop;
    int r = 0;
    if (r >= 0 && p->out_fd >= 0)
        r = sd_event_add_io(loop, &p->out_src, p->out_fd, EPOLLIN, on_output, p);
    if (r >= 0 && p->err_fd >= 0)
        r = sd_event_add_io(loop, &p->err_src, p->err_fd, EPOLLIN, on_output, p);
    if (r >= 0 && p->out_key)
        r = output_sock_attach(p->d->output, p->out_key, on_socket_output, p, 1);
    if (r >= 0 && p->err_key)
        r = output_sock_attach(p->d->output, p->err_key, on_socket_output, p, 2);
    if (r >= 0 && p->channel >= 0)
        r = sd_event_add_io(loop, &p->channel_src, p->channel, EPOLLIN, on_channel, p);
    if (r >= 0)
        child_send_update_events(p); /* what was queued for it meanwhile */
    return r;
}

/* What a running child needs besides its end's watch: its sources, its
 * start timeout, its descriptors counted, its group told to the warden
 * (which kills it if ninesd dies). */
static void hold_and_tell(struct child_proc *p) {
    fd_room_hold(p->d, p->channel, p->out_fd, p->err_fd, true);
    p->held = true;
    warden_add(p->d, p->pid); /* its group dies with ninesd, even a SIGKILLed one */
}

static int settle(struct child_proc *p, const struct nines_child_spec *spec) {
    int r = add_sources(p);
    if (r >= 0)
        r = start_timeout_arm(p, spec->start_timeout_ms);
    if (r >= 0)
        hold_and_tell(p);
    return r;
}

static void unlink_unsettled(struct child_proc *p) {
    for (struct child_proc **at = &unsettled; *at; at = &(*at)->next_unsettled)
        if (*at == p) {
            *at = p->next_unsettled;
            if (!*at)
                unsettled_tail = at;
            break;
        }
    p->unsettled = false;
}

static void push_unsettled(struct child_proc *p) {
    p->unsettled = true;
    p->next_unsettled = NULL;
    *unsettled_tail = p;
    unsettled_tail = &p->next_unsettled;
}

/* After an end's log: each child started meanwhile, in the order started.
 * One that cannot be settled is killed (it must not run unsupervised):
 * its end, reaped as any other, says why, and the engine restarts it as
 * a crash. */
static void settle_all(void) {
    if (ending_depth)
        return;
    while (unsettled) {
        struct child_proc *p = unsettled;
        unlink_unsettled(p);
        int r = settle(p, engine_node_spec(p->d->engine, p->node));
        if (r < 0) {
            hold_and_tell(p); /* until its end is handled */
            p->reason = nines_reason_make(NINES_REASON_SPAWN_FAILED, -r, "its sources or timer");
            p->has_reason = true;
            kill(-p->pid, SIGKILL);
        }
    }
}

int child_proc_spawn(struct daemon *d, engine_node node, uint64_t gen, bool restore, struct child_proc **out) {
    const struct nines_child_spec *spec = engine_node_spec(d->engine, node);
    struct child_proc *p = calloc(1, sizeof *p);
    if (!p)
        return -ENOMEM;
    *p = (struct child_proc){.d = d, .node = node, .gen = gen, .channel = -1, .out_fd = -1,
                             .err_fd = -1, .is_exec = spec->kind == NINES_CHILD_EXEC, .restoring = restore,
                             .stop_signal = spec->exec.stop_signal ? spec->exec.stop_signal : SIGTERM};
    p->cast_bound = spec->max_queued_casts ? spec->max_queued_casts : NINES_MAX_QUEUED_CASTS;
    int r = child_proc_spawn_process(p, spec, engine_node_path(d->engine, node));
    if (r < 0) {
        free(p);
        return r;
    }
    r = reaper_watch(d->reaper, p->pid, on_process_exit, p);
    p->watched = r >= 0;
    if (r >= 0 && p->is_exec)
        reaper_look_always(d->reaper, p->pid); /* no hang-up says its end */
    if (r >= 0 && ending_depth)
        push_unsettled(p); /* started while an end is handled: settled once its log is out */
    else if (r >= 0)
        r = settle(p, spec);
    if (r < 0) {
        kill(-p->pid, SIGKILL); /* cannot be watched: must not run unsupervised */
        waitpid(p->pid, NULL, 0);
        child_proc_free(p);
        return r;
    }
    *out = p;
    return 0;
}

/* A child is its process group: a signal for it reaches every process it
 * started there. Safe from pid reuse: the leader is not reaped before its
 * exit is handled (reaper.h). A leader that moved to another group is
 * still signalled itself. */
static void signal_tree(struct child_proc *p, int sig) {
    if (kill(-p->pid, sig) < 0 && errno == ESRCH)
        kill(p->pid, sig);
    reaper_expect(p->d->reaper, p->pid);
}

void child_proc_stop(struct child_proc *p) {
    p->stop_requested = true;
    if (p->is_exec) {
        signal_tree(p, p->stop_signal); /* `stop_signal:`, SIGTERM by default */
        return;
    }
    /* Behind what waits for it; a worker whose channel is gone, or that
     * never reads it, is killed after its grace. */
    child_send(p, NINES_MSG_SHUTDOWN, 0, NULL, 0);
}

struct child_proc *child_proc_of_pid(struct daemon *d, pid_t pid) {
    return reaper_watcher(d->reaper, pid, on_process_exit);
}

void child_proc_kill(struct child_proc *p) {
    signal_tree(p, SIGKILL);
    cgroups_kill(p->d, engine_node_path(p->d->engine, p->node));
}

int child_proc_arm_timer(struct child_proc *p, uint64_t ms) {
    child_proc_cancel_timer(p);
    return sd_event_add_time_relative(p->d->loop, &p->timer_src, CLOCK_MONOTONIC, ms * 1000, 1000,
                                      on_timer, p);
}

void child_proc_cancel_timer(struct child_proc *p) {
    p->timer_src = sd_event_source_disable_unref(p->timer_src);
}

void child_proc_free(struct child_proc *p) {
    if (!p)
        return;
    if (p->unsettled)
        unlink_unsettled(p);
    if (p->watched)
        reaper_unwatch(p->d->reaper, p->pid);
    if (p->held)
        fd_room_hold(p->d, p->channel, p->out_fd, p->err_fd, false);
    sd_event_source_disable_unref(p->channel_src);
    sd_event_source_disable_unref(p->out_src);
    sd_event_source_disable_unref(p->err_src);
    sd_event_source_disable_unref(p->timer_src);
    start_timeout_disarm(p);
    child_send_clear(&p->queue, NULL);
    if (p->out_key)
        output_sock_detach(p->d->output, p->out_key);
    if (p->err_key)
        output_sock_detach(p->d->output, p->err_key);
    free(p->told);
    linebuf_free(&p->out);
    linebuf_free(&p->err);
    int fds[] = {p->channel, p->out_fd, p->err_fd};
    for (size_t i = 0; i < 3; i++)
        if (fds[i] >= 0)
            close(fds[i]);
    free(p);
}
