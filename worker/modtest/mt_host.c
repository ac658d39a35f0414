/*
 * mt_host.c — the worker under test and ninesd's end of its channel: the
 * module loaded and checked as nines-worker does, init run, the loop
 * turned while the script waits for an answer, the module's log lines
 * (its stderr) captured, and the end (shutdown, terminate).
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "modtest.h"
#include "module_check.h"
#include "proto.h"

int mt_fail(struct mt *mt, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(mt->why, sizeof mt->why, fmt, ap);
    va_end(ap);
    return -1;
}

/* A module named without a '/' is looked for in the -L folders, then in
 * the script's; one with a '/' is relative to the script's folder. */
int mt_resolve(struct mt *mt, const char *name, char *out, size_t size) {
    if (strchr(name, '/')) {
        snprintf(out, size, "%s%s%s", name[0] == '/' ? "" : mt->dir, name[0] == '/' ? "" : "/", name);
        return access(out, R_OK) == 0 ? 0 : mt_fail(mt, "%s: %s", out, strerror(errno));
    }
    for (size_t i = 0; i <= mt->n_dirs; i++) {
        snprintf(out, size, "%s/%s", i < mt->n_dirs ? mt->dirs[i] : mt->dir, name);
        if (access(out, R_OK) == 0)
            return 0;
    }
    return mt_fail(mt, "no module %s in the -L folders nor in %s", name, mt->dir);
}

/* The module's stderr into a pipe that mt_drain_log() reads. */
static int capture_log(struct mt *mt) {
    int p[2];
    if (pipe2(p, O_CLOEXEC | O_NONBLOCK) < 0)
        return mt_fail(mt, "pipe: %s", strerror(errno));
    fcntl(p[1], F_SETPIPE_SZ, 1 << 20);
    fflush(stderr);
    mt->saved_stderr = fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC, 10);
    dup2(p[1], STDERR_FILENO);
    close(p[1]);
    mt->log_fd = p[0];
    return 0;
}

void mt_drain_log(struct mt *mt) {
    char chunk[4096];
    ssize_t n;
    while (mt->log_fd >= 0 && (n = read(mt->log_fd, chunk, sizeof chunk)) > 0) {
        if (mt->log_len + (size_t)n + 1 > mt->log_cap) {
            size_t cap = (mt->log_len + (size_t)n + 1) * 2;
            char *p = realloc(mt->log, cap);
            if (!p)
                return;
            mt->log = p;
            mt->log_cap = cap;
        }
        memcpy(mt->log + mt->log_len, chunk, (size_t)n);
        mt->log_len += (size_t)n;
        mt->log[mt->log_len] = '\0';
        if (mt->verbose && mt->saved_stderr >= 0 && write(mt->saved_stderr, chunk, (size_t)n) < 0)
            mt->verbose = false;
    }
}

int mt_load(struct mt *mt) {
    char why[256];
    int ch[2];
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, ch) < 0)
        return mt_fail(mt, "socketpair: %s", strerror(errno));
    mt->peer = ch[0];
    mt->ctx = (struct nines_ctx){.channel = ch[1], .epfd = -1, .sigfd = -1, .module_path = mt->module,
                                 .child_path = mt->child, .args = mt->args, .n_args = mt->n_args};
    mt->ctx.dl = dlopen(mt->module, RTLD_NOW | RTLD_LOCAL);
    if (!mt->ctx.dl)
        return mt_fail(mt, "cannot load: %s", dlerror());
    mt->loaded = true;
    const struct nines_module *m = dlsym(mt->ctx.dl, NINES_MODULE_SYMBOL);
    if (!m)
        return mt_fail(mt, "%s: no %s symbol: not a Nines module", mt->module, NINES_MODULE_SYMBOL);
    if (nines_module_check(m, why, sizeof why) < 0)
        return mt_fail(mt, "%s: %s", mt->module, why);
    mt->ctx.mod = m;
    int r = host_loop_init(&mt->ctx);
    if (r < 0)
        return mt_fail(mt, "cannot set up the event loop: %s", strerror(-r));
    return capture_log(mt);
}

/* init as nines-worker runs it; `text`: a part of the failure expected. */
int mt_init(struct mt *mt, bool expect_failure, const char *text) {
    struct nines_ctx *ctx = &mt->ctx;
    int rc = ctx->mod->init(ctx, &ctx->state);
    mt_drain_log(mt);
    bool failed = rc < 0 || (ctx->stop_requested && ctx->stop_kind == NINES_STOP_ERROR);
    char msg[300];
    snprintf(msg, sizeof msg, "%s", ctx->stop_requested && ctx->stop_message[0] ? ctx->stop_message
                                     : rc < 0 ? strerror(-rc) : "");
    if (!expect_failure) {
        mt->started = !failed;
        return failed ? mt_fail(mt, "init failed: %s", msg) : 0;
    }
    if (!failed) {
        mt->started = true;
        return mt_fail(mt, "init succeeded, a failure was expected");
    }
    mt->finished = true; /* as in gen_server: no terminate after a failed init */
    return text && !strstr(msg, text) ? mt_fail(mt, "init failed with \"%s\", not with \"%s\"", msg, text) : 0;
}

int mt_send(struct mt *mt, uint32_t type, uint64_t ref, const void *data, size_t len) {
    int r = nines_proto_send(mt->peer, type, ref, data, len);
    return r < 0 ? mt_fail(mt, "cannot send to the worker: %s", strerror(-r)) : 0;
}

static uint64_t now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* A message nobody waits for: a call of the module's is answered (there
 * is no other child), descriptors handed over are closed. */
static void on_other(struct mt *mt, const struct nines_msg *m) {
    if (m->type == NINES_MSG_OUT_CALL) {
        unsigned char buf[64];
        int32_t code = -ENOENT;
        const char *why = "nines-modtest runs one module: no other child";
        memcpy(buf, &code, sizeof code);
        memcpy(buf + sizeof code, why, strlen(why));
        nines_proto_send(mt->peer, NINES_MSG_CALL_FAILED, m->ref, buf, sizeof code + strlen(why));
    }
}

int mt_pump(struct mt *mt, int ms, bool (*done)(const struct nines_msg *m, void *arg), void *arg,
            struct nines_msg *out) {
    static uint8_t buf[NINES_PROTO_BUFSIZE];
    uint64_t end = now_ms() + (uint64_t)ms;
    for (;;) {
        struct nines_msg m;
        int fds[NINES_HANDOFF_FDS_MAX];
        size_t n_fds = 0;
        int r = nines_proto_recv_fds(mt->peer, buf, &m, fds, NINES_HANDOFF_FDS_MAX, &n_fds);
        for (size_t i = 0; i < n_fds; i++)
            close(fds[i]);
        if (r == 0 && done && done(&m, arg)) {
            *out = m;
            mt_drain_log(mt);
            return 0;
        }
        if (r == 0) {
            on_other(mt, &m);
            continue;
        }
        mt_drain_log(mt);
        if (mt->ctx.stop_requested)
            return mt_fail(mt, "the worker stopped: %s", mt->ctx.stop_message[0] ? mt->ctx.stop_message
                                                                                 : "(no message)");
        uint64_t now = now_ms();
        if (now >= end)
            return done ? mt_fail(mt, "no answer within %d ms", ms) : 0;
        host_turn(&mt->ctx, (int)(end - now < 5 ? end - now : 5));
    }
}

static bool is_exit(const struct nines_msg *m, void *arg) {
    return m->type == NINES_MSG_EXIT_REASON;
}

/* The shutdown ninesd sends, then terminate. */
int mt_stop(struct mt *mt) {
    if (mt->finished || !mt->started)
        return 0;
    struct nines_msg m;
    if (mt_send(mt, NINES_MSG_SHUTDOWN, 0, NULL, 0) < 0)
        return -1;
    while (!mt->ctx.stop_requested)
        if (host_turn(&mt->ctx, 1000) <= 0 && !mt->ctx.stop_requested)
            return mt_fail(mt, "the worker did not take the shutdown");
    mt->finished = true;
    int status = host_finish(&mt->ctx);
    mt->started = false;
    mt_pump(mt, 100, is_exit, NULL, &m);
    return status == 0 ? 0 : mt_fail(mt, "the worker ended with an error: %s", mt->ctx.stop_message);
}

void mt_cleanup(struct mt *mt) {
    if (mt->started && !mt->finished) {
        mt->finished = true;
        host_finish(&mt->ctx);
    }
    mt_drain_log(mt);
    if (mt->loaded) {
        host_release_regs(&mt->ctx);
        host_free_calls(&mt->ctx);
        if (mt->ctx.dl)
            dlclose(mt->ctx.dl);
        if (mt->ctx.epfd >= 0)
            close(mt->ctx.epfd);
        if (mt->ctx.sigfd >= 0)
            close(mt->ctx.sigfd);
        close(mt->ctx.channel);
        close(mt->peer);
    }
    for (size_t i = 0; i < mt->n_named; i++) {
        free(mt->named[i].data);
        if (mt->named[i].fd >= 0)
            close(mt->named[i].fd);
    }
    if (mt->saved_stderr >= 0) {
        dup2(mt->saved_stderr, STDERR_FILENO);
        close(mt->saved_stderr);
    }
    if (mt->log_fd >= 0)
        close(mt->log_fd);
    free(mt->log);
    for (size_t i = 0; i < mt->n_args; i++) {
        free((char *)mt->args[i].key);
        free((char *)mt->args[i].value);
    }
}
