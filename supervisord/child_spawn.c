/*
 * child_spawn.c — creating a worker process: its channel, its output pipes,
 * its argv, and posix_spawn with a clean signal state.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cgroup.h"
#include "child_proc.h"
#include "module_names.h"
#include "launcher.h"
#include "output_sock.h"
#include "proto.h"
#include "spare.h"
#include "spawn_sockets.h"
#include "upgrade.h"

extern char **environ;

/* Descriptors handed to a child must not sit on 0-3 in the daemon, or a
 * dup2 onto the same number would keep O_CLOEXEC and close it at exec. */
static int move_above_3(int fd) {
    if (fd > 3)
        return fd;
    int moved = fcntl(fd, F_DUPFD_CLOEXEC, 4);
    int saved = errno;
    close(fd);
    errno = saved;
    return moved;
}

struct spawn_fds {
    int channel[2]; /* [0] daemon, [1] child */
    int out[2];     /* pipe: [0] read by daemon (-1 for a socket), [1] child's stdout */
    int err[2];
    uint64_t out_key, err_key; /* output_sock.h: the senders' addresses */
};

static void close_pair(int p[2]) {
    for (int i = 0; i < 2; i++)
        if (p[i] >= 0)
            close(p[i]), p[i] = -1;
}

static void close_spawn_fds(struct spawn_fds *f) {
    close_pair(f->channel), close_pair(f->out), close_pair(f->err);
}

/* A module host's output goes to the shared socket (no descriptor left in
 * ninesd); anything else's to a pipe per stream. */
static int open_output(struct spawn_fds *f, struct output_sock *osock) {
    if (!osock)
        return pipe2(f->out, O_CLOEXEC | O_NONBLOCK) < 0 || pipe2(f->err, O_CLOEXEC | O_NONBLOCK) < 0 ? -errno : 0;
    int r = output_sock_sender(osock, &f->out[1], &f->out_key);
    if (r >= 0)
        r = output_sock_sender(osock, &f->err[1], &f->err_key);
    return r;
}

static int open_spawn_fds(struct spawn_fds *f, bool with_channel, struct output_sock *osock) {
    *f = (struct spawn_fds){{-1, -1}, {-1, -1}, {-1, -1}, 0, 0};
    if (with_channel &&
        socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, f->channel) < 0)
        return -errno;
    int r = open_output(f, with_channel ? osock : NULL);
    if (r < 0) {
        close_spawn_fds(f);
        return r;
    }
    int *all[] = {&f->channel[1], &f->out[1], &f->err[1]};
    for (size_t i = 0; i < 3; i++)
        if (*all[i] >= 0 && (*all[i] = move_above_3(*all[i])) < 0)
            goto fail;
    /* The child's ends must block: a worker writes its output plainly.
     * The output sockets are made so (output_sock_sender); the pipes and
     * the channel's pair are non-blocking for ninesd's ends. */
    if (f->channel[1] >= 0 && fcntl(f->channel[1], F_SETFL, 0) < 0)
        goto fail;
    if (f->out[0] >= 0 && (fcntl(f->out[1], F_SETFL, 0) < 0 || fcntl(f->err[1], F_SETFL, 0) < 0))
        goto fail;
    return 0;
fail:
    r = -errno;
    close_spawn_fds(f);
    return r;
}

#define MAX_ARGV 512

/* "KEY=VALUE" (or any printf) into argbuf at *used: a pointer, or NULL
 * when it does not fit. */
__attribute__((format(printf, 4, 5))) static char *arg_text(char *argbuf, size_t size, size_t *used,
                                                             const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int len = vsnprintf(argbuf + *used, size - *used, fmt, ap);
    va_end(ap);
    if (len < 0 || (size_t)len >= size - *used)
        return NULL;
    char *at = argbuf + *used;
    *used += (size_t)len + 1;
    return at;
}

/* The worker host's --exec options (lib/exec_setup.h) for the child's
 * user, directory and environment. */
static int exec_options(const struct nines_exec_opts *o, char **argv, size_t *n, char *argbuf, size_t size,
                        size_t *used) {
    if (3 + 6 + 2 * o->n_env >= MAX_ARGV - 4)
        return -E2BIG;
    if (o->user) {
        char *uid = arg_text(argbuf, size, used, "%u", o->uid), *gid = arg_text(argbuf, size, used, "%u", o->gid);
        if (!uid || !gid)
            return -E2BIG;
        argv[(*n)++] = "--user", argv[(*n)++] = o->user;
        argv[(*n)++] = "--uid", argv[(*n)++] = uid;
        argv[(*n)++] = "--gid", argv[(*n)++] = gid;
    }
    if (o->cwd)
        argv[(*n)++] = "--cwd", argv[(*n)++] = o->cwd;
    for (size_t i = 0; i < o->n_env; i++) {
        argv[(*n)++] = "--env";
        if (!(argv[(*n)++] = arg_text(argbuf, size, used, "%s=%s", o->env[i].key, o->env[i].value)))
            return -E2BIG;
    }
    return 0;
}

/* argv of the worker host for this child; strings point into the spec. */
static int build_argv(const struct nines_child_spec *spec, const char *module, const char *expect, bool restore,
                      const char *worker, const char *path,
                      char **argv, char *argbuf, size_t argbuf_size) {
    size_t n = 0, used = 0;
    argv[n++] = (char *)worker;
    if (spec->kind == NINES_CHILD_EXEC) {
        argv[n++] = "--exec";
        int r = exec_options(&spec->exec, argv, &n, argbuf, argbuf_size, &used);
        if (r < 0)
            return r;
        argv[n++] = "--";
        for (char **a = spec->exec_argv; *a; a++) {
            if (n >= MAX_ARGV - 1)
                return -E2BIG;
            argv[n++] = *a;
        }
        argv[n] = NULL;
        return 0;
    }
    if (restore)
        argv[n++] = "--restore";
    argv[n++] = "--module", argv[n++] = (char *)module;
    argv[n++] = "--child", argv[n++] = (char *)path;
    if (expect)
        argv[n++] = "--expect-name", argv[n++] = (char *)expect;
    for (size_t i = 0; i < spec->n_args; i++) {
        int len = snprintf(argbuf + used, argbuf_size - used, "%s=%s", spec->args[i].key,
                           spec->args[i].value);
        if (len < 0 || (size_t)len >= argbuf_size - used || n >= MAX_ARGV - 3)
            return -E2BIG;
        argv[n++] = "--arg", argv[n++] = argbuf + used;
        used += (size_t)len + 1;
    }
    /* Its sockets follow its channel: NINES_CHANNEL_FD + 1, + 2, ... */
    for (size_t i = 0; i < spec->n_sockets; i++) {
        int len = snprintf(argbuf + used, argbuf_size - used, "%s=%d", spec->sockets[i].name,
                           NINES_CHANNEL_FD + 1 + (int)i);
        if (len < 0 || (size_t)len >= argbuf_size - used || n >= MAX_ARGV - 3)
            return -E2BIG;
        argv[n++] = "--socket", argv[n++] = argbuf + used;
        used += (size_t)len + 1;
    }
    argv[n] = NULL;
    return 0;
}

/* environ, less the variables meant for ninesd itself, plus
 * NINES_PARENT_PID (the host checks it after arming its parent-death
 * signal, to close the race with our own death) and, for an exec child
 * that notifies, ninesd's own NOTIFY_SOCKET. */
static bool inherited(const char *var) {
    static const char *const own[] = {"NINES_PARENT_PID=", "NINES_NOFILE_SOFT=", "NOTIFY_SOCKET=", "WATCHDOG_PID=",
                                      "WATCHDOG_USEC=", "LISTEN_FDS=", "LISTEN_PID=", "LISTEN_FDNAMES="};
    for (size_t i = 0; i < sizeof own / sizeof own[0]; i++)
        if (strncmp(var, own[i], strlen(own[i])) == 0)
            return false;
    return true;
}

static uint64_t nofile_soft; /* 0: leave the children's limit as it is */

void worker_spawn_set_nofile(uint64_t soft) {
    nofile_soft = soft;
}

static char **spawn_env(char *parent_var, size_t size, const char *notify_var, const struct spawn_sockets *ss) {
    static char nofile_var[48];
    size_t n = 0;
    while (environ[n])
        n++;
    char **env = calloc(n + 6, sizeof *env);
    if (!env)
        return NULL;
    size_t j = 0;
    for (size_t i = 0; i < n; i++)
        if (inherited(environ[i]))
            env[j++] = environ[i];
    snprintf(parent_var, size, "NINES_PARENT_PID=%d", (int)getpid());
    env[j++] = parent_var;
    if (notify_var)
        env[j++] = (char *)notify_var;
    if (nofile_soft) {
        snprintf(nofile_var, sizeof nofile_var, "NINES_NOFILE_SOFT=%llu", (unsigned long long)nofile_soft);
        env[j++] = nofile_var;
    }
    if (ss && ss->n && ss->env) /* LISTEN_PID: the worker host's, set by it before it runs the program */
        env[j++] = (char *)ss->count_var, env[j++] = (char *)ss->names_var;
    env[j] = NULL;
    return env;
}

char **worker_spawn_env(char *parent_var, size_t size, const char *notify_var) {
    return spawn_env(parent_var, size, notify_var, NULL);
}

int spawn_attrs_clean(posix_spawnattr_t *attr, posix_spawn_file_actions_t *fa) {
    sigset_t none, all;
    sigemptyset(&none);
    sigfillset(&all);
    int r = posix_spawnattr_init(attr);
    if (r)
        return -r;
    /* The daemon blocks signals for sd-event; the child starts clean, in a
     * process group of its own so a terminal's ^C reaches only ninesd,
     * which then stops the tree in order. */
    posix_spawnattr_setflags(attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP);
    posix_spawnattr_setsigmask(attr, &none);
    posix_spawnattr_setsigdefault(attr, &all);
    posix_spawnattr_setpgroup(attr, 0);
    if ((r = posix_spawn_file_actions_init(fa))) {
        posix_spawnattr_destroy(attr);
        return -r;
    }
    posix_spawn_file_actions_addopen(fa, 0, "/dev/null", O_RDONLY, 0);
    return 0;
}

int spawn_helper(const char *path, char *const argv[], char *const env[], int fd, int at, pid_t *pid) {
    posix_spawnattr_t attr;
    posix_spawn_file_actions_t fa;
    int r = spawn_attrs_clean(&attr, &fa);
    if (r < 0)
        return r;
    posix_spawn_file_actions_adddup2(&fa, fd, at);
    r = -posix_spawn(pid, path, &fa, &attr, argv, env);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&attr);
    return r;
}

static int setup_attrs(posix_spawnattr_t *attr, posix_spawn_file_actions_t *fa, const struct spawn_fds *f,
                       const struct spawn_sockets *ss) {
    int r = spawn_attrs_clean(attr, fa);
    if (r < 0)
        return r;
    posix_spawn_file_actions_adddup2(fa, f->out[1], 1);
    posix_spawn_file_actions_adddup2(fa, f->err[1], 2);
    if (f->channel[1] >= 0)
        posix_spawn_file_actions_adddup2(fa, f->channel[1], NINES_CHANNEL_FD);
    spawn_sockets_add_actions(fa, ss);
    /* Nothing else: a descriptor ninesd inherited without close-on-exec
     * (from whoever started it) is not the child's (the launcher closes
     * them itself, worker/launcher.c). */
    int keep = f->channel[1] >= 0 ? NINES_CHANNEL_FD + 1 : 3;
    if (ss && ss->n && ss->base + (int)ss->n > keep)
        keep = ss->base + (int)ss->n;
    if ((r = posix_spawn_file_actions_addclosefrom_np(fa, keep))) {
        posix_spawn_file_actions_destroy(fa);
        posix_spawnattr_destroy(attr);
        return -r;
    }
    return 0;
}

static int do_spawn(const char *worker, char **argv, const struct spawn_fds *f, const char *notify_var,
                    const struct spawn_sockets *ss, pid_t *pid) {
    posix_spawnattr_t attr;
    posix_spawn_file_actions_t fa;
    char parent_var[64];
    int r = setup_attrs(&attr, &fa, f, ss);
    if (r < 0)
        return r;
    char **env = spawn_env(parent_var, sizeof parent_var, notify_var, ss);
    r = env ? -posix_spawn(pid, worker, &fa, &attr, argv, env) : -ENOMEM;
    free(env);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&attr);
    return r;
}

/* The cgroup.procs of the child being spawned (cgroup.h), or -1: set by
 * child_proc_spawn_process around its spawn, so that the spare pool's and
 * the preflight's hosts, which are no child, never join one. */
static int spawn_cgroup = -1;

/* Through the launcher (launcher.h) when d has one: -ENOTCONN if not.
 * The launcher's new process joins the cgroup itself, before its exec. */
static int launch(struct daemon *d, const struct launch_request *req, const struct spawn_fds *f, pid_t *pid) {
    int fds[4] = {f->out[1], f->err[1], f->channel[1], spawn_cgroup};
    struct launch_request with = *req;
    if (spawn_cgroup >= 0)
        with.flags |= LAUNCH_CGROUP;
    return d ? launcher_spawn(d, &with, fds, pid) : -ENOTCONN;
}

/* Spawned from ninesd itself: moved right after (its exec of the worker
 * host is done; the host runs nothing of the child's before its own
 * start-up). */
static void join_after_spawn(pid_t pid) {
    if (spawn_cgroup >= 0)
        (void)cgroups_move(spawn_cgroup, pid);
}

/* The child's ends closed (the child's now, or nobody's on failure); on
 * success the daemon's ends in *out. */
static int finish(struct spawn_fds *f, int r, struct spawned *out) {
    int *child_ends[] = {&f->channel[1], &f->out[1], &f->err[1]};
    for (size_t i = 0; i < 3; i++)
        if (*child_ends[i] >= 0)
            close(*child_ends[i]), *child_ends[i] = -1;
    if (r < 0) {
        close_spawn_fds(f);
        return r;
    }
    out->channel = f->channel[0];
    out->out_fd = f->out[0];
    out->err_fd = f->err[0];
    out->out_key = f->out_key;
    out->err_key = f->err_key;
    return 0;
}

int worker_spawn_listen(struct daemon *d, const char *worker, char **argv, bool with_channel, const char *notify_var,
                        struct output_sock *osock, const struct spawn_listen *sl, struct spawned *out) {
    static struct spawn_sockets ss_buf;
    struct spawn_sockets *ss = sl && sl->n ? &ss_buf : NULL;
    struct spawn_fds f;
    int r = ss ? spawn_sockets_prepare(ss, sl) : 0;
    if (r < 0)
        return r;
    if ((r = open_spawn_fds(&f, with_channel, osock)) < 0) {
        spawn_sockets_close(ss);
        return r;
    }
    size_t argc = 0;
    while (argv[argc])
        argc++;
    struct launch_request req = {.flags = with_channel ? LAUNCH_CHANNEL : 0, .program = worker,
                                 .argv = (const char *const *)argv, .argc = argc,
                                 .env = &notify_var, .n_env = notify_var ? 1 : 0};
    r = launch(ss ? NULL : d, &req, &f, &out->pid); /* sockets: never through the launcher */
    if (r == -ENOTCONN && (r = do_spawn(worker, argv, &f, notify_var, ss, &out->pid)) == 0)
        join_after_spawn(out->pid);
    spawn_sockets_close(ss);
    return finish(&f, r, out);
}

int worker_spawn(struct daemon *d, const char *worker, char **argv, bool with_channel, const char *notify_var,
                 struct output_sock *osock, struct spawned *out) {
    return worker_spawn_listen(d, worker, argv, with_channel, notify_var, osock, NULL, out);
}

int worker_spawn_async(struct daemon *d, const char *worker, char **argv, struct output_sock *osock,
                       launcher_fn fn, void *userdata, struct spawned *out) {
    size_t argc = 0;
    while (argv[argc])
        argc++;
    struct launch_request req = {.flags = LAUNCH_CHANNEL, .program = worker, .argv = (const char *const *)argv,
                                 .argc = argc};
    struct spawn_fds f;
    int r = open_spawn_fds(&f, true, osock);
    if (r < 0)
        return r;
    int fds[4] = {f.out[1], f.err[1], f.channel[1], -1}; /* in no child's cgroup */
    r = launcher_spawn_async(d, &req, fds, fn, userdata);
    out->pid = 0;
    return finish(&f, r, out);
}

/* An exec child through the launcher, one exec: the request carries what
 * nines-worker --exec's options would (exec_options). -ENOTCONN without
 * a launcher, or when it does not fit one request. */
static int exec_spawn(struct daemon *d, const struct nines_child_spec *spec, const char *notify_var, char *argbuf,
                      size_t size, struct spawned *out) {
    static const char *env[MAX_ARGV];
    const struct nines_exec_opts *o = &spec->exec;
    size_t n_env = 0, used = 0, argc = 0;
    if (notify_var)
        env[n_env++] = notify_var;
    for (size_t i = 0; i < o->n_env; i++)
        if (n_env >= MAX_ARGV ||
            !(env[n_env++] = arg_text(argbuf, size, &used, "%s=%s", o->env[i].key, o->env[i].value)))
            return -ENOTCONN;
    while (spec->exec_argv[argc])
        argc++;
    struct launch_request req = {.flags = LAUNCH_EXEC | (o->user ? LAUNCH_USER : 0), .uid = o->uid, .gid = o->gid,
                                 .user = o->user, .cwd = o->cwd, .program = spec->exec_argv[0],
                                 .argv = (const char *const *)spec->exec_argv, .argc = argc, .env = env,
                                 .n_env = n_env};
    /* In the exec-ready process with the output it was given ahead: no
     * pipe made, nothing attached. */
    int ends[2];
    if (d && launcher_spawn_given(d, &req, spawn_cgroup, &out->pid, ends) == 0) {
        *out = (struct spawned){.pid = out->pid, .channel = -1, .out_fd = ends[0], .err_fd = ends[1]};
        return 0;
    }
    struct spawn_fds f;
    int r = open_spawn_fds(&f, false, NULL);
    if (r < 0)
        return r;
    r = launch(d, &req, &f, &out->pid);
    if (r == -ENOTCONN) {
        close_spawn_fds(&f);
        return r;
    }
    return finish(&f, r, out);
}

static void take_spawned(struct child_proc *p, const struct spawned *s) {
    p->pid = s->pid;
    p->channel = s->channel;
    p->out_fd = s->out_fd;
    p->err_fd = s->err_fd;
    p->out_key = s->out_key;
    p->err_key = s->err_key;
}

/* The spare pool's next host, moved into the child's cgroup before it is
 * told what to run (and back if it is not handed over after all). */
static int take_spare(struct child_proc *p, const struct nines_child_spec *spec, const char *module,
                      const char *expect, const char *path, struct spawned *s) {
    spare_await(p->d, module);
    pid_t next = spawn_cgroup >= 0 ? spare_next_pid(p->d, module) : 0;
    if (next > 0)
        (void)cgroups_move(spawn_cgroup, next);
    int r = spare_take(p->d, spec, module, expect, path, s);
    if (r < 0 && next > 0 && spare_next_pid(p->d, module) == next)
        cgroups_move_home(p->d, next);
    return r;
}

static int spawn_in_cgroup(struct child_proc *p, const struct nines_child_spec *spec, const char *path, char **argv,
                           char *argbuf, size_t argbuf_size, struct spawned *out) {
    /* A module worker starts fastest in the warm host kept ready for it. */
    const char *module = daemon_module_of(p->d, p->node);
    /* The application the module was: a file replaced since is refused. */
    const char *expect = p->is_exec ? NULL : module_names_expect(p->d, module);
    if (!p->is_exec && !p->restoring && !spec->n_sockets && take_spare(p, spec, module, expect, path, out) == 0)
        return 0;
    int r;
    char notify_var[96];
    snprintf(notify_var, sizeof notify_var, "NOTIFY_SOCKET=%s", p->d->notify_path);
    if (p->is_exec && !spec->n_sockets) {
        /* One exec, from the launcher; else through nines-worker --exec
         * (with sockets: launch requests carry no more descriptors). */
        r = exec_spawn(p->d, spec, spec->notify ? notify_var : NULL, argbuf, argbuf_size, out);
        if (r != -ENOTCONN)
            return r;
    }
    r = build_argv(spec, module, expect, p->restoring, p->d->worker_path, path, argv, argbuf, argbuf_size);
    if (r < 0)
        return r;
    struct spawn_listen sl;
    if ((r = spawn_sockets_of_child(p->d, p->is_exec, spec, path, &sl)) < 0)
        return r;
    return worker_spawn_listen(p->d, p->d->worker_path, argv, !p->is_exec, spec->notify ? notify_var : NULL,
                               p->d->output, &sl, out);
}

int child_proc_spawn_process(struct child_proc *p, const struct nines_child_spec *spec, const char *path) {
    static char *argv[MAX_ARGV];
    static char argbuf[64 * 1024];
    struct spawned s;
    spawn_cgroup = cgroups_open(p->d, path);
    int r = spawn_in_cgroup(p, spec, path, argv, argbuf, sizeof argbuf, &s);
    if (spawn_cgroup >= 0)
        close(spawn_cgroup);
    spawn_cgroup = -1;
    if (r == 0)
        take_spawned(p, &s);
    return r;
}
