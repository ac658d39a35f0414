/*
 * control_cmds.c — the commands of the control protocol: each checks its
 * arguments, then answers from the daemon's state or hands the work to
 * the engine (OTP's supervisor calls) or the call router.
 */
#include <errno.h>
#include <inttypes.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/stat.h>

#include "calls.h"
#include "child_proc.h"
#include "control_internal.h"
#include "ctl_requests.h"
#include "fd_room.h"
#include "log.h"
#include "release_handler.h"
#include "reload.h"
#include "upgrade.h"

/* What carries out each request of the protocol's table (ctl_requests.h),
 * which says its arguments and whether it only reads. */
struct command {
    const char *name;
    void (*run)(struct daemon *d, struct control_conn *c, int argc, const char **argv);
};

/* --- finding children ------------------------------------------------------ */

static engine_node find(struct daemon *d, struct control_conn *c, const char *path) {
    engine_node n = engine_find(d->engine, path);
    if (n == ENGINE_NO_NODE)
        control_send_end(c, CTL_ST_NOT_FOUND, "no child '%s' in the tree", path);
    return n;
}

/* --- engine requests ---------------------------------------------------------- */

static int remember(struct control *ctl, uint64_t request_id, uint64_t conn_id, enum engine_request_kind kind) {
    if (ctl->n_ops == ctl->cap_ops) {
        size_t cap = ctl->cap_ops ? ctl->cap_ops * 2 : 16;
        struct pending_op *v = realloc(ctl->ops, cap * sizeof *v);
        if (!v)
            return -ENOMEM;
        ctl->ops = v, ctl->cap_ops = cap;
    }
    ctl->ops[ctl->n_ops++] = (struct pending_op){request_id, conn_id, kind};
    return 0;
}

static bool take(struct control *ctl, uint64_t request_id, struct pending_op *out) {
    for (size_t i = 0; ctl && i < ctl->n_ops; i++)
        if (ctl->ops[i].request_id == request_id) {
            *out = ctl->ops[i];
            ctl->ops[i] = ctl->ops[--ctl->n_ops];
            return true;
        }
    return false;
}

static void ask_engine(struct daemon *d, struct control_conn *c, const struct engine_request *req) {
    struct engine_request r = *req;
    r.id = ++d->next_request_id;
    if (remember(d->control, r.id, control_conn_id(c), r.kind) < 0) {
        control_send_end(c, CTL_ST_INTERNAL, "out of memory");
        return;
    }
    struct engine_event ev = {.kind = ENGINE_EV_REQUEST, .request = r, .now_ms = daemon_now_ms()};
    daemon_feed(d, &ev);
}

static const char *verb(enum engine_request_kind k) {
    switch (k) {
    case ENGINE_REQ_RESTART_CHILD: return "restarted";
    case ENGINE_REQ_TERMINATE_CHILD: return "terminated";
    case ENGINE_REQ_DELETE_CHILD: return "deleted";
    default: return "started";
    }
}

static enum ctl_status status_of(enum engine_request_result r) {
    switch (r) {
    case ENGINE_REQ_OK: return CTL_ST_OK;
    case ENGINE_REQ_NOT_FOUND: return CTL_ST_NOT_FOUND;
    case ENGINE_REQ_START_FAILED: return CTL_ST_FAILED;
    case ENGINE_REQ_SHUTTING_DOWN: return CTL_ST_SHUTTING_DOWN;
    default: return CTL_ST_REFUSED;
    }
}

static void reply_ok(struct daemon *d, struct control_conn *c, const struct pending_op *op,
                     const struct engine_reply *r) {
    const char *path = engine_node_path(d->engine, r->node);
    bool started = op->kind != ENGINE_REQ_TERMINATE_CHILD && op->kind != ENGINE_REQ_DELETE_CHILD;
    pid_t pid = started && r->node < d->n_nodes ? d->nodes[r->node].pid : 0;
    if (op->kind == ENGINE_REQ_START_DYNAMIC) {
        char pidtext[16], line[1024];
        snprintf(pidtext, sizeof pidtext, "%d", (int)pid);
        struct nines_field f[] = {{"path", path}, {"pid", pid ? pidtext : NULL}};
        size_t len = nines_logfmt_record(line, sizeof line, f, 2);
        control_send_data(c, line, len < sizeof line ? len : sizeof line - 1);
    }
    if (pid)
        control_send_end(c, CTL_ST_OK, "%s %s (pid %d)", verb(op->kind), path, (int)pid);
    else
        control_send_end(c, CTL_ST_OK, "%s %s", verb(op->kind), path);
}

void control_on_reply(struct daemon *d, const struct engine_reply *r) {
    struct pending_op op;
    if (!take(d->control, r->id, &op))
        return;
    struct control_conn *c = control_conn_find(d, op.conn_id);
    if (!c)
        return; /* the client left; the work is done all the same */
    if (r->result == ENGINE_REQ_OK) {
        reply_ok(d, c, &op, r);
        return;
    }
    char why[300] = "";
    if (r->result == ENGINE_REQ_START_FAILED)
        nines_reason_format(&r->reason, why, sizeof why);
    control_send_end(c, status_of(r->result), "%s%s%s", engine_request_result_name(r->result),
                     why[0] ? ": " : "", why);
}

static void run_child_request(struct daemon *d, struct control_conn *c, enum engine_request_kind kind,
                              const char *path) {
    engine_node n = find(d, c, path);
    if (n != ENGINE_NO_NODE)
        ask_engine(d, c, &(struct engine_request){.kind = kind, .node = n});
}

static void cmd_restart(struct daemon *d, struct control_conn *c, int argc, const char **argv) {
    run_child_request(d, c, ENGINE_REQ_RESTART_CHILD, argv[1]);
}

static void cmd_terminate(struct daemon *d, struct control_conn *c, int argc, const char **argv) {
    run_child_request(d, c, ENGINE_REQ_TERMINATE_CHILD, argv[1]);
}

static void cmd_delete(struct daemon *d, struct control_conn *c, int argc, const char **argv) {
    run_child_request(d, c, ENGINE_REQ_DELETE_CHILD, argv[1]);
}

/* start SUPERVISOR SPEC: the spec is YAML, checked like a tree file's child. */
static void cmd_start(struct daemon *d, struct control_conn *c, int argc, const char **argv) {
    engine_node sup = find(d, c, argv[1]);
    if (sup == ENGINE_NO_NODE)
        return;
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", d->tree->path);
    struct nines_child_spec *spec = NULL;
    struct nines_error err;
    if (nines_child_load_string("spec", dirname(dir), argv[2], strlen(argv[2]), &spec, &err) < 0) {
        char text[1200];
        nines_error_format(&err, text, sizeof text);
        control_send_end(c, CTL_ST_BAD_REQUEST, "%s", text);
        return;
    }
    char why[600];
    if (fd_room_for_child(d, spec->kind, why, sizeof why) < 0) {
        control_send_end(c, CTL_ST_REFUSED, "start refused: %s", why);
        nines_child_spec_free(spec);
        return;
    }
    /* The engine copies the spec while handling the event, which happens
     * now: requests come from the loop, never from inside an action. */
    ask_engine(d, c, &(struct engine_request){.kind = ENGINE_REQ_START_CHILD, .node = sup, .spec = spec});
    nines_child_spec_free(spec);
}

/* start-child SUPERVISOR [--id ID] [KEY=VALUE]... */
static void cmd_start_child(struct daemon *d, struct control_conn *c, int argc, const char **argv) {
    engine_node sup = find(d, c, argv[1]);
    if (sup == ENGINE_NO_NODE)
        return;
    struct nines_arg args[CTL_MAX_ARGS];
    char copies[CTL_MAX_ARGS][1024];
    size_t n = 0;
    int first = 2;
    const char *id = NULL;
    if (argc > 2 && strcmp(argv[2], "--id") == 0) {
        if (argc == 3) {
            control_send_end(c, CTL_ST_BAD_REQUEST, "%s", "--id needs the child's id");
            return;
        }
        id = argv[3];
        first = 4;
    }
    for (int i = first; i < argc; i++, n++) {
        const char *eq = strchr(argv[i], '=');
        if (!eq || eq == argv[i] || strlen(argv[i]) >= sizeof copies[0]) {
            control_send_end(c, CTL_ST_BAD_REQUEST, "expected KEY=VALUE, got '%s'", argv[i]);
            return;
        }
        strcpy(copies[n], argv[i]);
        copies[n][eq - argv[i]] = '\0';
        args[n] = (struct nines_arg){copies[n], copies[n] + (eq - argv[i]) + 1};
    }
    char why[600];
    if (fd_room_for_child(d, fd_room_template_kind(d, sup), why, sizeof why) < 0) {
        control_send_end(c, CTL_ST_REFUSED, "start-child refused: %s", why);
        return;
    }
    ask_engine(d, c, &(struct engine_request){.kind = ENGINE_REQ_START_DYNAMIC, .node = sup,
                                               .args = args, .n_args = n, .child_id = id});
}

/* --- reading ---------------------------------------------------------------------- */

static void cmd_version(struct daemon *d, struct control_conn *c, int argc, const char **argv) {
    control_send_end(c, CTL_ST_OK, "ninesd %s protocol %d", NINES_VERSION, CTL_VERSION);
}

static void cmd_status(struct daemon *d, struct control_conn *c, int argc, const char **argv) {
    bool resources = argc > 2 && strcmp(argv[2], "resources") == 0;
    if (argc > 2 && !resources) {
        control_send_end(c, CTL_ST_BAD_REQUEST, "status: expected 'resources' or nothing after the path, got '%s'",
                         argv[2]);
        return;
    }
    engine_node n = argc > 1 ? find(d, c, argv[1]) : ENGINE_ROOT;
    if (n == ENGINE_NO_NODE)
        return;
    control_status_start(d, c, n, resources); /* its END once every record is out */
}

static void cmd_metrics(struct daemon *d, struct control_conn *c, int argc, const char **argv) {
    control_metrics_send(d, c);
    control_send_end(c, CTL_ST_OK, "%s", "");
}

static void cmd_events(struct daemon *d, struct control_conn *c, int argc, const char **argv) {
    bool follow = argc > 1 && strcmp(argv[1], "follow") == 0;
    if (argc > 1 && !follow) {
        control_send_end(c, CTL_ST_BAD_REQUEST, "events: expected 'follow' or nothing, got '%s'", argv[1]);
        return;
    }
    control_events_send_history(d, c);
    if (follow)
        control_follow(c); /* no END: the stream goes on */
    else
        control_send_end(c, CTL_ST_OK, "%s", "");
}

/* --- acting ---------------------------------------------------------------------- */

static void cmd_stop(struct daemon *d, struct control_conn *c, int argc, const char **argv) {
    control_send_end(c, CTL_ST_OK, "stopping the tree");
    daemon_request_stop(d, "ninesctl stop");
}

/* reload: the tree file read again, the difference applied (reload.h). */
static void cmd_reload(struct daemon *d, struct control_conn *c, int argc, const char **argv) {
    reload_request(d, control_conn_id(c), "ninesctl reload");
}

static bool parse_timeout(const char *text, uint64_t *ms) {
    char *end;
    errno = 0;
    unsigned long long v = strtoull(text, &end, 10);
    if (errno || end == text || *end || v == 0 || v > 24ull * 3600 * 1000)
        return false;
    *ms = v;
    return true;
}

static void cmd_call(struct daemon *d, struct control_conn *c, int argc, const char **argv) {
    uint64_t timeout_ms = 5000;
    if (argc > 3 && !parse_timeout(argv[3], &timeout_ms)) {
        control_send_end(c, CTL_ST_BAD_REQUEST, "call: timeout must be milliseconds from 1 to 86400000, got '%s'",
                         argv[3]);
        return;
    }
    calls_from_control(d, c, argv[1], argv[2], strlen(argv[2]), timeout_ms);
}

static void cmd_cast(struct daemon *d, struct control_conn *c, int argc, const char **argv) {
    char why[256];
    enum ctl_status st = calls_cast(d, argv[1], argv[2], strlen(argv[2]), why, sizeof why);
    control_send_end(c, st, "%s", st == CTL_ST_OK ? "sent" : why);
}

/* signal PATH SIGNAL: to the child's main process (not its group: the
 * program decides what its helpers get, as nginx's master does for HUP). */
static void cmd_signal(struct daemon *d, struct control_conn *c, int argc, const char **argv) {
    int sig;
    char name[32];
    if (nines_signal_parse(argv[2], &sig) < 0) {
        control_send_end(c, CTL_ST_BAD_REQUEST, "signal: unknown signal '%s' (a name such as SIGHUP, HUP, USR1 or "
                                                "RTMIN+1)", argv[2]);
        return;
    }
    engine_node n = find(d, c, argv[1]);
    if (n == ENGINE_NO_NODE)
        return;
    struct child_proc *p = n < d->n_nodes ? d->procs[n] : NULL;
    if (engine_node_is_supervisor(d->engine, n) || !p || p->pid <= 0) {
        control_send_end(c, CTL_ST_REFUSED, "'%s' is %s", argv[1],
                         engine_node_is_supervisor(d->engine, n) ? "a supervisor: signals go to workers" : "not running");
        return;
    }
    if (kill(p->pid, sig) < 0) {
        control_send_end(c, CTL_ST_FAILED, "signal %s to '%s': %s", nines_signal_name(sig, name, sizeof name), argv[1],
                         strerror(errno));
        return;
    }
    control_send_end(c, CTL_ST_OK, "sent %s to %s (pid %d)", nines_signal_name(sig, name, sizeof name), argv[1],
                     (int)p->pid);
}

/* upgrade PATH MODULE [EXTRA]: a live swap of one worker's code, or of
 * every child of a dynamic supervisor. */
static void cmd_upgrade(struct daemon *d, struct control_conn *c, int argc, const char **argv) {
    engine_node n = find(d, c, argv[1]);
    if (n == ENGINE_NO_NODE)
        return;
    const struct nines_child_spec *spec = engine_node_spec(d->engine, n);
    struct engine_sup_flags flags;
    bool dynamic = engine_sup_flags(d->engine, n, &flags) && flags.strategy == NINES_DYNAMIC;
    const struct nines_sup_spec *sup = spec ? spec->supervisor : n == ENGINE_ROOT ? &d->tree->root : NULL;
    if (dynamic && (!sup || !sup->child_template || sup->child_template->kind != NINES_CHILD_MODULE)) {
        control_send_end(c, CTL_ST_REFUSED, "the children of '%s' are not module workers: only those are upgraded",
                         argv[1]);
        return;
    }
    if (!dynamic && (!spec || spec->kind != NINES_CHILD_MODULE)) {
        control_send_end(c, CTL_ST_REFUSED,
                         "'%s' is not a worker nor a dynamic supervisor: only module workers are upgraded", argv[1]);
        return;
    }
    const char *module = argv[2];
    struct stat st;
    if (module[0] != '/') {
        control_send_end(c, CTL_ST_BAD_REQUEST, "the module path must be absolute, got '%s'", module);
        return;
    }
    /* errno only when stat failed: after a success it is whatever an
     * earlier call left. */
    if (stat(module, &st) < 0) {
        control_send_end(c, CTL_ST_NOT_FOUND, "module %s: %s", module, strerror(errno));
        return;
    }
    if (!S_ISREG(st.st_mode)) {
        control_send_end(c, CTL_ST_NOT_FOUND, "module %s: not a regular file%s", module,
                         S_ISDIR(st.st_mode) ? " (a folder)" : "");
        return;
    }
    if (dynamic)
        upgrade_all_request(d, c, n, module, argc > 3 ? argv[3] : "");
    else
        upgrade_request(d, c, n, module, argc > 3 ? argv[3] : "");
}

static const struct command commands[] = {
    {"version", cmd_version},
    {"status", cmd_status},
    {"events", cmd_events},
    {"metrics", cmd_metrics},
    {"call", cmd_call},
    {"cast", cmd_cast},
    {"restart", cmd_restart},
    {"terminate", cmd_terminate},
    {"signal", cmd_signal},
    {"delete", cmd_delete},
    {"start", cmd_start},
    {"start-child", cmd_start_child},
    {"upgrade", cmd_upgrade},
    {"stop", cmd_stop},
    {"reload", cmd_reload},
    {"release-list", release_cmd_list},
    {"release-unpack", release_cmd_unpack},
    {"release-make-permanent", release_cmd_make_permanent},
    {"release-remove", release_cmd_remove},
    {"release-install", release_cmd_install},
};

static const struct command *handler(const char *name) {
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (strcmp(name, commands[i].name) == 0)
            return &commands[i];
    return NULL;
}

bool control_handles(const char *request) {
    return handler(request) != NULL;
}

void control_dispatch(struct daemon *d, struct control_conn *c, int argc, const char **argv) {
    const struct ctl_request_info *info = ctl_request_find(argv[0]);
    const struct command *cmd = info ? handler(info->name) : NULL;
    if (!cmd) {
        char names[600];
        ctl_request_names(names, sizeof names);
        control_send_end(c, CTL_ST_BAD_REQUEST, "unknown command '%s' (allowed: %s)", argv[0], names);
        return;
    }
    int n = argc - 1;
    if (n < info->min_args || (info->max_args >= 0 && n > info->max_args)) {
        control_send_end(c, CTL_ST_BAD_REQUEST, "usage: %s", info->usage);
        return;
    }
    if (d->stopping && !info->reads_only) {
        control_send_end(c, CTL_ST_SHUTTING_DOWN, "the tree is stopping");
        return;
    }
    cmd->run(d, c, argc, argv);
}
