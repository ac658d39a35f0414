/*
 * daemon.c — the loop: signals become engine events, engine actions become
 * system calls. Every decision is the engine's; this file only carries
 * them out, in the order given.
 */
#include "daemon.h"

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include <systemd/sd-daemon.h>

#include "backoff_wait.h"
#include "child_proc.h"
#include "calls.h"
#include "cgroup.h"
#include "casts.h"
#include "drops.h"
#include "control.h"
#include "fd_budget.h"
#include "launcher.h"
#include "log.h"
#include "module_names.h"
#include "log_pump.h"
#include "notify.h"
#include "output_sock.h"
#include "reaper.h"
#include "release_handler.h"
#include "reload.h"
#include "spare.h"
#include "status_notify.h"
#include "upgrade.h"
#include "warden.h"

uint64_t daemon_now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void log_daemon(int priority, const char *event, const char *message) {
    nines_log_event(priority, event, message, NULL, 0);
}

static void spawn_child(struct daemon *d, engine_node node, uint64_t gen) {
    struct child_proc *p = NULL;
    int r = child_proc_spawn(d, node, gen, false, &p);
    if (r < 0) {
        struct engine_event ev = {.kind = ENGINE_EV_EXIT, .node = node, .gen = gen,
                                  .reason = nines_reason_make(NINES_REASON_SPAWN_FAILED, -r, d->worker_path),
                                  .now_ms = daemon_now_ms()};
        daemon_feed(d, &ev);
        return;
    }
    d->procs[node] = p;
    /* A new incarnation; the counters and the last exit are the child's. */
    struct node_info *info = &d->nodes[node];
    info->prev_pid = info->pid, info->prev_gen = info->gen;
    info->pid = p->pid;
    info->gen = gen;
    info->started_ms = 0;
    info->name[0] = info->version[0] = '\0';
    /* A plain program is started once it runs: it has no init to wait for. */
    const struct nines_child_spec *spec = engine_node_spec(d->engine, node);
    if (spec->kind == NINES_CHILD_EXEC && !spec->notify) {
        struct engine_event ev = {.kind = ENGINE_EV_READY, .node = node, .gen = gen,
                                  .now_ms = daemon_now_ms()};
        daemon_feed(d, &ev);
    }
}

/* The process an action is about, if it is still that incarnation. */
static struct child_proc *proc_for(struct daemon *d, const struct engine_action *a) {
    struct child_proc *p = a->node < d->n_nodes ? d->procs[a->node] : NULL;
    return p && p->gen == a->gen ? p : NULL;
}

static void tree_up(struct daemon *d) {
    d->tree_up = true;
    status_notify_ready(d);
    log_daemon(LOG_INFO, "tree_started", "every child is started");
}

static void tree_down(struct daemon *d, const struct engine_action *a) {
    char why[300];
    nines_reason_format(&a->reason, why, sizeof why);
    struct nines_field f[] = {{"reason", why}};
    nines_log_event(a->exit_code ? LOG_ERR : LOG_INFO, "tree_stopped",
                    a->exit_code ? "the root supervisor failed" : "the tree is stopped", f, 1);
    d->exit_code = a->exit_code;
    spare_drop(d);
    launcher_stop(d);
    drops_log(d, true);
    sd_event_exit(d->loop, a->exit_code);
}

/* What status shows of a start: when, and which module version runs. */
static void note_started(struct daemon *d, engine_node node) {
    if (node >= d->n_nodes)
        return;
    struct node_info *n = &d->nodes[node];
    n->started_ms = daemon_now_ms();
    struct child_proc *p = d->procs[node];
    snprintf(n->name, sizeof n->name, "%s", p ? p->name : "");
    snprintf(n->version, sizeof n->version, "%s", p ? p->version : "");
}

/* What status shows of an end: a child's exit or failed start, or a
 * supervisor giving up (the report names the supervisor as the child). */
static void note_ended(struct daemon *d, const struct engine_report *r) {
    if (r->child >= d->n_nodes)
        return;
    struct node_info *n = &d->nodes[r->child];
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    nines_reason_format(&r->reason, n->last_exit, sizeof n->last_exit);
    n->last_exit_ms = daemon_now_ms();
    n->last_exit_unix_ms = (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
    /* Giving up is a `shutdown` to OTP's restart rules, but trouble here. */
    if (r->kind == ENGINE_REPORT_CHILD_TERMINATED || r->kind == ENGINE_REPORT_CHILD_STOPPED) {
        if (nines_reason_is_abnormal(&r->reason))
            n->exits_abnormal++;
        else if (r->reason.kind == NINES_REASON_NORMAL)
            n->exits_normal++;
        else
            n->exits_shutdown++;
    }
    n->last_exit_troubled = r->kind == ENGINE_REPORT_START_ERROR || r->reason.kind == NINES_REASON_MAX_INTENSITY ||
                            nines_reason_is_abnormal(&r->reason);
    if (n->last_exit_troubled) {
        n->prev_trouble_ms = n->last_trouble_ms;
        n->last_trouble_ms = n->last_exit_ms;
    }
}

/* The engine freed the node: its number will name another. Its process
 * has ended (the engine frees only children it saw end), so only what
 * the daemon kept of it goes: its row, a drop burst not yet said, the
 * module an upgrade left it on. */
static void forget_node(struct daemon *d, engine_node node) {
    if (node >= d->n_nodes)
        return;
    drops_forget_node(d, node);
    upgrade_forget_node(d, node);
    if (d->procs[node]) { /* never: a process the engine no longer knows */
        child_proc_free(d->procs[node]);
        d->procs[node] = NULL;
    }
    memset(&d->nodes[node], 0, sizeof d->nodes[node]);
}

int daemon_grow_nodes(struct daemon *d) {
    size_t n = engine_node_count(d->engine);
    if (n <= d->n_nodes)
        return 0;
    struct child_proc **procs = realloc(d->procs, n * sizeof *procs);
    if (procs)
        d->procs = procs;
    struct node_info *nodes = realloc(d->nodes, n * sizeof *nodes);
    if (nodes)
        d->nodes = nodes;
    if (!procs || !nodes)
        return -ENOMEM;
    memset(d->procs + d->n_nodes, 0, (n - d->n_nodes) * sizeof *procs);
    memset(d->nodes + d->n_nodes, 0, (n - d->n_nodes) * sizeof *nodes);
    d->n_nodes = n;
    return 0;
}

static void carry_out(struct daemon *d, const struct engine_action *a) {
    struct child_proc *p;
    switch (a->kind) {
    case ENGINE_ACT_SPAWN:
        spawn_child(d, a->node, a->gen);
        break;
    case ENGINE_ACT_STOP:
        if ((p = proc_for(d, a)))
            child_proc_stop(p);
        break;
    case ENGINE_ACT_KILL:
        if ((p = proc_for(d, a)))
            child_proc_kill(p);
        break;
    case ENGINE_ACT_TIMER_ARM:
        if ((p = proc_for(d, a)) && child_proc_arm_timer(p, a->ms) < 0)
            child_proc_kill(p); /* no timer, no grace: never wait forever */
        break;
    case ENGINE_ACT_TIMER_CANCEL:
        if ((p = proc_for(d, a)))
            child_proc_cancel_timer(p);
        break;
    case ENGINE_ACT_REPORT:
        if (a->report.kind == ENGINE_REPORT_CHILD_STARTED)
            note_started(d, a->report.child);
        else if (a->report.kind != ENGINE_REPORT_SHUTDOWN_ERROR)
            note_ended(d, &a->report);
        daemon_log_report(d, &a->report);
        status_notify_poke(d);
        break;
    case ENGINE_ACT_TREE_UP:
        tree_up(d);
        break;
    case ENGINE_ACT_TREE_DOWN:
        tree_down(d, a);
        break;
    case ENGINE_ACT_REPLY:
        if (!releases_on_reply(d, &a->reply) && !reload_on_reply(d, &a->reply))
            control_on_reply(d, &a->reply);
        break;
    case ENGINE_ACT_BACKOFF:
        backoff_wait_arm(d, a->node, a->gen, a->ms);
        break;
    case ENGINE_ACT_NODE_ADDED:
        if (daemon_grow_nodes(d) < 0) {
            log_daemon(LOG_CRIT, "daemon_error", "out of memory growing the tree");
            sd_event_exit(d->loop, 1);
        }
        break;
    case ENGINE_ACT_NODE_FREED:
        forget_node(d, a->node);
        break;
    }
}

static int push_pending(struct daemon *d, const struct engine_event *ev) {
    if (d->n_pending == d->cap_pending) {
        size_t cap = d->cap_pending ? d->cap_pending * 2 : 16;
        struct engine_event *v = realloc(d->pending, cap * sizeof *v);
        if (!v)
            return -ENOMEM;
        d->pending = v, d->cap_pending = cap;
    }
    d->pending[d->n_pending++] = *ev;
    return 0;
}

/* Events raised while a batch of actions runs (a spawn that failed, an exec
 * child that is started at once) wait their turn, so the engine always
 * sees events one at a time and in the order they happened. */
void daemon_feed(struct daemon *d, const struct engine_event *ev) {
    if (push_pending(d, ev) < 0) {
        log_daemon(LOG_CRIT, "daemon_error", "out of memory queueing an event");
        sd_event_exit(d->loop, 1);
        return;
    }
    if (d->feeding)
        return;
    d->feeding = true;
    for (size_t i = 0; i < d->n_pending; i++) {
        struct engine_event next = d->pending[i];
        struct engine_actions acts = {0};
        if (engine_handle(d->engine, &next, &acts) < 0) {
            log_daemon(LOG_CRIT, "daemon_error", "out of memory in the engine");
            sd_event_exit(d->loop, 1);
        }
        engine_actions_spawn_first(&acts); /* a restart's spawn before the report of the end */
        for (size_t k = 0; k < acts.n; k++)
            carry_out(d, &acts.v[k]);
        engine_actions_free(&acts);
    }
    d->n_pending = 0;
    d->feeding = false;
}

void daemon_request_stop(struct daemon *d, const char *why) {
    if (!d->stopping) {
        d->stopping = true;
        char msg[128];
        snprintf(msg, sizeof msg, "%s: stopping the tree", why);
        log_daemon(LOG_NOTICE, "stopping", msg);
        sd_notify(0, "STOPPING=1\nSTATUS=stopping the tree");
        spare_drop(d);
    }
    struct engine_event ev = {.kind = ENGINE_EV_STOP, .now_ms = daemon_now_ms()};
    daemon_feed(d, &ev);
}

/* SIGHUP: what systemd's ExecReload= sends (ninesd.service), and what a
 * closed terminal sends a foreground ninesd: a reload, never a stop. */
static int on_hup_signal(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata) {
    struct daemon *d = userdata;
    if (!d->stopping)
        reload_request(d, 0, "SIGHUP");
    return 0;
}

static int on_stop_signal(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata) {
    char why[32];
    snprintf(why, sizeof why, "SIG%s received", sigabbrev_np((int)si->ssi_signo));
    daemon_request_stop(userdata, why);
    return 0;
}

/* Sockets handed to ninesd first (LISTEN_PID names this process), then
 * those the tree declares: bound before anything starts (listeners.h). */
static int open_listeners(struct daemon *d, const struct nines_tree *tree) {
    char why[2048] = "";
    int r = listeners_take_passed(&d->listeners);
    if (r < 0 || (r = listeners_open_tree(&d->listeners, tree, why, sizeof why)) < 0) {
        fprintf(stderr, "ninesd: %s\n", r == -ENOMEM || !why[0] ? strerror(-r) : why);
        return r;
    }
    for (size_t i = 0; i < d->listeners.n; i++)
        if (!d->listeners.v[i].named) {
            char msg[400];
            snprintf(msg, sizeof msg, "socket '%s' handed to ninesd is named by no child: it stays unused",
                     d->listeners.v[i].name);
            struct nines_field f[] = {{"socket", d->listeners.v[i].name}};
            nines_log_event(LOG_WARNING, "socket_unused", msg, f, 1);
        }
    return 0;
}

int daemon_prestart(struct daemon *d, const struct daemon_options *opt) {
    *d = (struct daemon){.worker_path = opt->worker_path, .notify_fd = -1,
                         .no_spare = opt->no_spare, .no_launcher = opt->no_launcher,
                         .exec_hosts = opt->exec_hosts,
                         .max_snapshot = opt->max_snapshot ? opt->max_snapshot : DAEMON_MAX_SNAPSHOT};
    /* A loop of our own, not the thread's default one: sd-event checks
     * the default loop's thread with a gettid() at every turn. */
    int r = sd_event_new(&d->loop);
    if (r < 0)
        return r;
    /* Signals are loop events (sd-event needs them blocked first). */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM), sigaddset(&set, SIGINT), sigaddset(&set, SIGCHLD), sigaddset(&set, SIGHUP);
    sigprocmask(SIG_BLOCK, &set, NULL);
    if ((r = sd_event_add_signal(d->loop, NULL, SIGTERM, on_stop_signal, d)) < 0 ||
        (r = sd_event_add_signal(d->loop, NULL, SIGINT, on_stop_signal, d)) < 0 ||
        (r = sd_event_add_signal(d->loop, NULL, SIGHUP, on_hup_signal, d)) < 0 ||
        (r = reaper_new(d->loop, &d->reaper)) < 0 || (r = output_sock_new(d->loop, NULL, &d->output)) < 0)
        return r;
    /* The launcher's exec and linking, and its first spare, go on while
     * ninesd reads and checks the tree (while its descriptor table is
     * small, and before its soft limit is raised: the launcher keeps
     * the one ninesd was started with, as its children do). One spare
     * is what the pool keeps whatever the tree (spare_rate.h). */
    if (!d->no_launcher)
        launcher_start(d);
    spare_expect(d, 0);
    return 0;
}

int daemon_init(struct daemon *d, struct nines_tree *tree, const struct daemon_options *opt) {
    d->tree = tree;
    int r = open_listeners(d, tree);
    if (r < 0)
        return r;
    if (!(d->engine = engine_new(&tree->root)))
        return -ENOMEM;
    d->n_nodes = engine_node_count(d->engine);
    d->budget_connections = opt->budget_connections;
    d->budget_tree_need = fd_budget_children_need(tree);
    d->procs = calloc(d->n_nodes, sizeof *d->procs);
    d->nodes = calloc(d->n_nodes, sizeof *d->nodes);
    if (!d->procs || !d->nodes)
        return -ENOMEM;
    char cg_why[PATH_MAX + 200];
    if ((r = cgroups_setup(d, opt->cgroups, cg_why, sizeof cg_why)) < 0) {
        fprintf(stderr, "ninesd: %s\n", cg_why);
        return r;
    }
    warden_start(d);
    if ((r = notify_setup(d)) < 0 || (r = log_pump_setup(d)) < 0)
        return r;
    if (!opt->no_control) {
        struct control_options copt = {.socket_path = opt->socket_path, .group = opt->control_group,
                                       .max_connections = opt->max_connections,
                                       .idle_timeout_ms = opt->idle_timeout_ms};
        char why[2048];
        if ((r = control_open(d, &copt, why, sizeof why)) < 0) {
            fprintf(stderr, "ninesd: control socket: %s\n", why);
            return r;
        }
    }
    /* Pings the systemd watchdog when WatchdogSec= is set; no-op otherwise. */
    sd_event_set_watchdog(d->loop, true);
    return 0;
}

int daemon_run(struct daemon *d) {
    struct engine_event ev = {.kind = ENGINE_EV_START, .now_ms = daemon_now_ms()};
    d->nodes[ENGINE_ROOT].started_ms = ev.now_ms;
    /* The first starts go before the boot's spares are asked for: the
     * launcher answers in order, and a start it clones (an exec child,
     * a worker with no spare yet) would wait behind every one of them. */
    daemon_feed(d, &ev);
    struct fd_budget b;
    fd_budget_count(d->tree, 0, &b);
    spare_expect(d, b.module_workers < 100000 ? (unsigned)b.module_workers : 100000); /* hosts ready for the boot */
    spare_want(d);
    int r = sd_event_loop(d->loop);
    return r < 0 ? 1 : d->exit_code;
}

void daemon_free(struct daemon *d) {
    backoff_wait_free_all();
    for (size_t i = 0; d->procs && i < d->n_nodes; i++)
        child_proc_free(d->procs[i]);
    if (d->loop)
        spare_free_pool(d);
    launcher_stop(d);
    calls_free(d);
    drops_log(d, true);
    d->drop_timer = sd_event_source_disable_unref(d->drop_timer);
    releases_free(d);
    upgrade_free(d);
    module_names_free(d);
    status_notify_free(d);
    warden_free(d);
    cgroups_free(d);
    control_close(d);
    free(d->procs);
    free(d->nodes);
    free(d->pending);
    engine_free(d->engine);
    if (d->loop)
        notify_close(d);
    reload_free(d); /* the files run before: after the engine, whose nodes point into them */
    nines_tree_free(d->tree);
    reaper_free(d->reaper);
    output_sock_free(d->output); /* after every child: they detach from it */
    log_pump_close(d, 1000);
    listeners_free(&d->listeners);
    sd_event_unref(d->loop);
}
