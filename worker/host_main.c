/*
 * host_main.c — nines-worker: the process ninesd spawns for each child.
 *
 *   nines-worker --module PATH --child CHILD_PATH [--expect-name NAME] [--arg KEY=VALUE]... [--socket NAME=FD]...
 *   nines-worker --exec -- PROGRAM [ARG]...
 *   nines-worker --spare PADDING
 *   nines-worker --check MODULE
 *   nines-worker --launcher [PADDING]
 *
 * A spare (see supervisord/spare.h) is started ahead of need and waits for
 * one START message on its channel saying what to run; its PADDING
 * argument is room for the command line it then shows in ps. --check
 * loads a module and checks its descriptor without running anything of
 * it but its constructors: exit 0 with "NAME VERSION CODE_CHANGE" on
 * stdout, CODE_CHANGE being the word code_change when the module has that
 * callback and '-' when not; or 1 with the reason on stderr (ninesd checks
 * every module this way before it starts a tree; nines-release verify
 * compares the first two words with the manifest; nines-appup generate
 * reads the third to choose between code_change and restart). --launcher
 * is ninesd's fork server (launcher.h), through which every other
 * nines-worker and exec program is spawned; a worker host it forks
 * (launch_fork.c) runs host_main below with the request's argv, as an
 * exec'd one runs main.
 *
 * --expect-name (and a START's third part) is the application ninesd
 * found PATH to be before: a module now of another name is refused, as
 * one untrusted or of another ABI is, at every start and restart
 * (supervisord/module_names.h).
 *
 * Either way the process first ties its life to ninesd's (no orphans),
 * then loads and runs the application, or becomes the plain program.
 */
#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdbool.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "exec_setup.h"
#include "host_title.h"
#include "host_warden.h"
#include "host.h"
#include "launcher.h"
#include "module_check.h"
#include "path_trust.h"
#include "proto.h"
#include "reason.h"

static int usage(void) {
    fprintf(stderr, "usage: nines-worker --module PATH --child CHILD [--expect-name NAME] [--arg KEY=VALUE]...\n"
                    "                    [--socket NAME=FD]...\n"
                    "       nines-worker --exec [--user NAME --uid N --gid N] [--cwd DIR] [--env NAME=VALUE]...\n"
                    "                           -- PROGRAM [ARG]...\n"
                    "       nines-worker --check MODULE\n"
                    "       nines-worker --warden [--cgroups DIR]\n"
                    "nines-worker is started by ninesd, once per worker.\n");
    return 2;
}

/* Die with ninesd. PR_SET_PDEATHSIG survives exec, so a plain program run
 * by --exec is covered too. The parent may have died before prctl(): then
 * we have been reparented and NINES_PARENT_PID no longer matches. */
/* ninesd raises its own descriptor limit (fd_budget.h); a worker, and the
 * program an exec child runs, get the limit ninesd was started with back
 * (select() breaks with descriptors over 1024). */
static void restore_nofile(void) {
    const char *soft = getenv("NINES_NOFILE_SOFT");
    struct rlimit rl;
    if (soft && getrlimit(RLIMIT_NOFILE, &rl) == 0) {
        rlim_t want = (rlim_t)strtoull(soft, NULL, 10);
        if (want && want < rl.rlim_cur) {
            rl.rlim_cur = want;
            (void)setrlimit(RLIMIT_NOFILE, &rl);
        }
    }
    unsetenv("NINES_NOFILE_SOFT");
}

static int tie_to_parent(void) {
    restore_nofile();
    const char *expected = getenv("NINES_PARENT_PID");
    if (!expected)
        return 0; /* run by hand */
    if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0)
        return -errno;
    if (getppid() != (pid_t)atol(expected))
        return -ESRCH;
    unsetenv("NINES_PARENT_PID");
    return 0;
}

/* An exec child: its user, environment and directory first (changing
 * the credentials clears the parent-death signal, so it is armed after),
 * then the program, trusted as far as its path (path_trust.h), checked at
 * every start and restart, and run from where it was found. argv: what
 * follows "--exec". */
static int run_exec(int argc, char **argv) {
    const char **env = calloc((size_t)argc + 1, sizeof *env);
    struct nines_exec_setup setup;
    int prog = env ? nines_exec_setup_parse(argc, argv, &setup, env) : -ENOMEM;
    if (prog < 0)
        return usage();
    const char *step = "";
    int r = nines_exec_setup_apply(&setup, &step);
    if (r < 0) {
        bool in_cwd = strcmp(step, "enter the working directory") == 0;
        fprintf(stderr, "nines-worker: cannot run %s%s%s%s: cannot %s%s%s: %s\n", argv[prog],
                setup.user ? " as user '" : "", setup.user ? setup.user : "", setup.user ? "'" : "", step,
                in_cwd ? " " : "", in_cwd ? setup.cwd : "", strerror(-r));
        return 127;
    }
    if (tie_to_parent() < 0)
        return 1;
    /* Sockets from ninesd (listeners.h) are for this process, which the
     * program becomes: sd_listen_fds() checks LISTEN_PID. */
    char pid[24];
    snprintf(pid, sizeof pid, "%d", (int)getpid());
    if (getenv("LISTEN_FDS") && setenv("LISTEN_PID", pid, 1) < 0)
        return 1;
    char program[PATH_MAX], why[1200];
    if (path_trust_find_program(argv[prog], program, sizeof program)) {
        if (path_trust_check("program", program, why, sizeof why) == -EPERM) {
            fprintf(stderr, "nines-worker: cannot run %s: %s\n", argv[prog], why);
            return 126;
        }
        execv(program, argv + prog);
    } else {
        execvp(argv[prog], argv + prog);
    }
    fprintf(stderr, "nines-worker: cannot run %s: %s\n", argv[prog], strerror(errno));
    return 127;
}

static int parse_args(struct nines_ctx *ctx, int argc, char **argv) {
    ctx->args = calloc((size_t)argc, sizeof *ctx->args);
    ctx->sockets = calloc((size_t)argc, sizeof *ctx->sockets);
    if (!ctx->args || !ctx->sockets)
        return -ENOMEM;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--restore") == 0) {
            ctx->restore = true;
            continue;
        }
        if (i + 1 >= argc)
            return -EINVAL;
        const char *opt = argv[i], *val = argv[++i];
        if (strcmp(opt, "--module") == 0) {
            ctx->module_path = val;
        } else if (strcmp(opt, "--child") == 0) {
            ctx->child_path = val;
        } else if (strcmp(opt, "--expect-name") == 0) {
            ctx->expect_name = val;
        } else if (strcmp(opt, "--arg") == 0 || strcmp(opt, "--socket") == 0) {
            char *eq = strchr(val, '=');
            if (!eq)
                return -EINVAL;
            *eq = '\0';
            if (strcmp(opt, "--arg") == 0)
                ctx->args[ctx->n_args++] = (struct host_arg){val, eq + 1};
            else
                ctx->sockets[ctx->n_sockets++] = (struct host_arg){val, eq + 1};
        } else {
            return -EINVAL;
        }
    }
    return ctx->module_path ? 0 : -EINVAL;
}

/* The START message a spare waits for: "MODULE\0CHILD\0NAME\0KEY=VALUE\0...",
 * NAME the application expected ("" for none); a PRELOAD may come first.
 * 1 when the channel closed first (ninesd no longer needs the spare). */
static int await_start(struct nines_ctx *ctx) {
    static uint8_t buf[NINES_PROTO_BUFSIZE];
    struct nines_msg m;
    struct pollfd p = {.fd = ctx->channel, .events = POLLIN};
    int r;
    for (;;) {
        if (poll(&p, 1, -1) < 0 && errno != EINTR)
            return -errno;
        r = nines_proto_recv(ctx->channel, buf, &m);
        if (r == 0 && m.type == NINES_MSG_PRELOAD) {
            /* If it fails, the START loads afresh. */
            if (host_preload(m.payload, m.length) == 0 && host_loop_prepare(ctx) == 0)
                (void)nines_proto_send(ctx->channel, NINES_MSG_PRELOADED, 0, NULL, 0);
        } else if (r != -EAGAIN) {
            break;
        }
    }
    if (r == -ECONNRESET)
        return 1;
    if (r < 0 || m.type != NINES_MSG_START || m.length == 0 || m.payload[m.length - 1] != '\0')
        return -EBADMSG;
    char *next = (char *)m.payload, *end = next + m.length;
    ctx->module_path = next;
    next += strlen(next) + 1;
    if (next >= end)
        return -EBADMSG;
    ctx->child_path = next;
    next += strlen(next) + 1;
    if (next >= end)
        return -EBADMSG;
    ctx->expect_name = *next ? next : NULL;
    next += strlen(next) + 1;
    ctx->args = calloc(m.length, sizeof *ctx->args);
    if (!ctx->args)
        return -ENOMEM;
    while (next < end) {
        size_t len = strlen(next);
        char *eq = strchr(next, '=');
        if (!eq)
            return -EBADMSG;
        *eq = '\0';
        ctx->args[ctx->n_args++] = (struct host_arg){next, eq + 1};
        next += len + 1;
    }
    return 0;
}

/* Show what this process now runs in ps (host_title.h). */
static void set_title(const struct nines_ctx *ctx) {
    const char *words[] = {"nines-worker", "--module", ctx->module_path, "--child", ctx->child_path};
    host_title_set(words, 5);
}

/* Say why the worker cannot run, to ninesd (which reports it as the child's
 * exit reason) or, run by hand, on stderr. */
static int refuse(struct nines_ctx *ctx, int reason_kind, const char *message) {
    if (ctx->channel >= 0)
        host_report_exit(ctx, reason_kind, message);
    else
        fprintf(stderr, "nines-worker: %s\n", message);
    return 1;
}

int host_load_checked(struct nines_ctx *ctx, char *err, size_t size) {
    char why[256];
    /* Only code nobody else could have written runs (path_trust.h): at
     * --check, at every start and restart, and (host_upgrade.c) upgrade. */
    if (path_trust_check("module", ctx->module_path, err, size) < 0)
        return -1;
    ctx->dl = dlopen(ctx->module_path, RTLD_NOW | RTLD_LOCAL);
    if (!ctx->dl) {
        snprintf(err, size, "%s", dlerror());
        return -1;
    }
    const struct nines_module *m = dlsym(ctx->dl, NINES_MODULE_SYMBOL);
    if (!m) {
        snprintf(err, size, "%s: no %s symbol: not a Nines module", ctx->module_path, NINES_MODULE_SYMBOL);
        return -1;
    }
    if (nines_module_check(m, why, sizeof why) < 0) {
        snprintf(err, size, "%s: %s", ctx->module_path, why);
        return -1;
    }
    if (ctx->expect_name && strcmp(m->name, ctx->expect_name) != 0) {
        snprintf(err, size, "%s: is application '%.64s', this child ran '%.64s' (the file was replaced: "
                 "upgrade to a module of a new path instead)", ctx->module_path, m->name, ctx->expect_name);
        return -1;
    }
    ctx->mod = m;
    return 0;
}

static int load_module(struct nines_ctx *ctx) {
    char err[1200];
    return host_load_checked(ctx, err, sizeof err) < 0 ? refuse(ctx, NINES_REASON_ABI_REFUSED, err) : 0;
}

/* --check: load and check, then say what the module is on stdout. ninesd
 * reads only stderr and the exit status and closes the stdout pipe at
 * once: a write to it must fail quietly, not kill the checker. */
static int check_module(const char *path) {
    struct nines_ctx check = {.channel = -1, .module_path = path};
    signal(SIGPIPE, SIG_IGN);
    if (tie_to_parent() < 0 || load_module(&check))
        return 1;
    printf("%s %s %s\n", check.mod->name, check.mod->version, check.mod->code_change ? "code_change" : "-");
    return 0;
}

/* READY with the name and version (and whether it was preloaded): the
 * worker is started. */
static int send_ready(struct nines_ctx *ctx) {
    if (ctx->channel < 0)
        return 0;
    char payload[180];
    int n = snprintf(payload, sizeof payload, "%s%c%s%c%s", ctx->mod->name, '\0', ctx->mod->version, '\0',
                     ctx->preloaded ? "preloaded" : "");
    if (!ctx->preloaded)
        n--; /* no third part */
    return nines_proto_send(ctx->channel, NINES_MSG_READY, 0, payload, (size_t)n + 1) < 0 ? 1 : 0;
}

/* init, then READY with the name and version; or the init failure. */
static int start_module(struct nines_ctx *ctx) {
    int rc = ctx->mod->init(ctx, &ctx->state);
    if (rc < 0 || (ctx->stop_requested && ctx->stop_kind == NINES_STOP_ERROR)) {
        /* As in gen_server, terminate is not called when init fails. */
        char msg[256];
        if (ctx->stop_requested && ctx->stop_message[0])
            snprintf(msg, sizeof msg, "%s", ctx->stop_message);
        else
            snprintf(msg, sizeof msg, "init returned %d (%s)", rc, strerror(rc < 0 ? -rc : EINVAL));
        return refuse(ctx, NINES_REASON_INIT_FAILED, msg);
    }
    return send_ready(ctx);
}

/* fd 3 is the channel only when ninesd gave us one. */
static int find_channel(void) {
    struct stat st;
    return fstat(NINES_CHANNEL_FD, &st) == 0 && S_ISSOCK(st.st_mode) ? NINES_CHANNEL_FD : -1;
}

/* A worker host (--module, --spare, --restore): exec'd, or forked from
 * the launcher (worker/launch_fork.c) with the request's argv. */
static int host_main(int argc, char **argv) {
    struct nines_ctx ctx = {.channel = find_channel(), .epfd = -1, .sigfd = -1, .child_path = "worker"};
    bool spare = argc >= 2 && strcmp(argv[1], "--spare") == 0;
    if (spare ? ctx.channel < 0 : parse_args(&ctx, argc, argv) < 0)
        return usage();
    if (tie_to_parent() < 0)
        return 1;
    if (spare) {
        int r = await_start(&ctx);
        if (r > 0)
            return 0;
        if (r < 0) {
            char msg[128];
            snprintf(msg, sizeof msg, "spare host: no valid START message: %s", strerror(-r));
            return refuse(&ctx, NINES_REASON_ERROR, msg);
        }
        if ((r = host_preload_take(&ctx)) < 0) {
            char msg[128];
            snprintf(msg, sizeof msg, "spare host: cannot exec a fresh worker: %s", strerror(-r));
            return refuse(&ctx, NINES_REASON_ERROR, msg);
        }
        set_title(&ctx);
    }
    /* A peer closing a connection must be an error return from write(),
     * not the death of the whole worker. */
    signal(SIGPIPE, SIG_IGN);
    /* A restored worker's descriptors go back to their numbers before the
     * host opens any of its own. */
    if (ctx.restore) {
        int r = ctx.channel >= 0 ? host_restore_receive(&ctx) : -ENOTCONN;
        if (r < 0) {
            char msg[128];
            snprintf(msg, sizeof msg, "no valid hand-off to restore from: %s", strerror(-r));
            return refuse(&ctx, NINES_REASON_ERROR, msg);
        }
    }
    if (!ctx.preloaded && load_module(&ctx))
        return 1;
    int r = host_loop_init(&ctx);
    if (r < 0) {
        char msg[128];
        snprintf(msg, sizeof msg, "cannot set up the event loop: %s", strerror(-r));
        return refuse(&ctx, NINES_REASON_ERROR, msg);
    }
    if (ctx.restore ? host_restore_start(&ctx) || send_ready(&ctx) : start_module(&ctx))
        return 1;
    int status = host_run(&ctx);
    host_release_regs(&ctx);
    host_free_calls(&ctx);
    host_free_busy(&ctx);
    free(ctx.args);
    free(ctx.sockets);
    return status;
}

int main(int argc, char **argv) {
    host_title_init(argc, argv);
    if (argc >= 2 && strcmp(argv[1], "--exec") == 0)
        return run_exec(argc - 2, argv + 2);
    if (argc >= 2 && strcmp(argv[1], "--warden") == 0)
        return host_warden_main(argc - 2, argv + 2);
    if (argc == 3 && strcmp(argv[1], "--check") == 0)
        return check_module(argv[2]);
    if (argc >= 2 && strcmp(argv[1], "--launcher") == 0)
        return launcher_main(argc, argv, host_main);
    return host_main(argc, argv);
}
