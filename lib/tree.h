/*
 * tree.h — the supervision tree as declared in a tree file (doc/design.md §7).
 *
 * This is the validated, immutable *specification*: what the operator asked
 * for. The running state (pids, restart counts) lives in the engine and the
 * daemon, never here. Loading is all-or-nothing: either the whole file is
 * valid and a tree comes back, or nothing is built and the error says where
 * (file, line, column) and what was expected.
 */
#ifndef NINES_TREE_H
#define NINES_TREE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "nines_error.h"

enum nines_strategy {
    NINES_ONE_FOR_ONE,
    NINES_ONE_FOR_ALL,
    NINES_REST_FOR_ONE,
    NINES_DYNAMIC, /* OTP's simple_one_for_one: children of one template, started at run time */
};

enum nines_restart {
    NINES_PERMANENT, /* always restarted */
    NINES_TRANSIENT, /* restarted only after an abnormal exit */
    NINES_TEMPORARY, /* never restarted; removed when it ends */
};

enum nines_child_kind {
    NINES_CHILD_MODULE,     /* `module:` — an application .so run by the worker host */
    NINES_CHILD_EXEC,       /* `exec:` — a plain program */
    NINES_CHILD_SUPERVISOR, /* `supervisor:` — a nested supervisor */
};

enum nines_shutdown_kind {
    NINES_SHUTDOWN_TIMEOUT,     /* ask to stop, SIGKILL after `ms` */
    NINES_SHUTDOWN_BRUTAL_KILL, /* SIGKILL at once */
    NINES_SHUTDOWN_INFINITY,    /* ask to stop and wait as long as it takes */
};

struct nines_shutdown {
    enum nines_shutdown_kind kind;
    uint64_t ms; /* NINES_SHUTDOWN_TIMEOUT only */
};

/* A position in a source file, 1-based (libyaml's marks are 0-based). */
struct nines_mark {
    unsigned line;
    unsigned column;
};

/* One `args:` entry. Values are scalars, kept as the text written. */
struct nines_arg {
    char *key;
    char *value;
};

struct nines_sup_spec;

/* A worker's `max_queued_casts` when the file does not say, and the most it may say. */
#define NINES_MAX_QUEUED_CASTS 4096
#define NINES_MAX_QUEUED_CASTS_LIMIT 1000000

/* A module worker's `start_timeout` (its init) and `swap_timeout` (a live
 * upgrade, from the request to the new code's answer) when the file does
 * not say; 0 is `infinity`. A worker past one is killed: at start that is
 * its init failing, in an upgrade the upgrade failing (rolled back). */
#define NINES_START_TIMEOUT_MS 30000
#define NINES_SWAP_TIMEOUT_MS 30000

/* What an `exec:` child runs as and in (doc/design.md §7, README "The
 * tree file"): unset fields keep what ninesd has. Names are resolved when
 * the file is loaded, so an unknown user or group is a load error. */
struct nines_exec_opts {
    struct nines_arg *env; /* `env:` mapping, in file order: set (or replace) in the program's environment */
    size_t n_env;
    char *cwd;   /* `cwd:` absolute directory (relative ones resolved against the file), or NULL */
    char *user;  /* `user:` as written, or NULL */
    char *group; /* `group:` as written, or NULL (then the user's primary group) */
    unsigned uid, gid; /* resolved; meaningful when user (uid) or user/group (gid) is set */
    int stop_signal;   /* `stop_signal:` what asks it to stop; 0: SIGTERM */
};

/* `backoff:` (workers, opt-in; README "Restart backoff"): after the k-th
 * restart in a row the start waits initial x 2^(k-1), at most `max_ms`;
 * a run of at least `reset_ms` starts the count again. initial_ms == 0:
 * no backoff (the key absent). */
struct nines_backoff {
    uint64_t initial_ms, max_ms, reset_ms;
};
#define NINES_BACKOFF_INITIAL_MS 100
#define NINES_BACKOFF_MAX_MS 30000
#define NINES_BACKOFF_RESET_MS 60000
#define NINES_BACKOFF_LIMIT_MS (24ull * 3600 * 1000) /* the most any of the three may say */

/* `sockets:` (README "Sockets"): listening sockets a worker gets, each
 * under a name (LISTEN_FDNAMES). PASSED: one handed to ninesd itself
 * (socket activation: LISTEN_FDS/LISTEN_FDNAMES) under that name; TCP and
 * UNIX: one ninesd opens and keeps, across the child's restarts. */
enum nines_socket_kind {
    NINES_SOCKET_PASSED,
    NINES_SOCKET_TCP,
    NINES_SOCKET_UNIX,
};

struct nines_socket {
    char *name;       /* [A-Za-z0-9_.-]+, unique in the child */
    enum nines_socket_kind kind;
    char *address;    /* TCP: as written ("127.0.0.1:8080", "[::1]:80", "*:80", "8080"); UNIX: the path */
    unsigned backlog; /* TCP, UNIX: listen()'s backlog (default NINES_SOCKET_BACKLOG) */
    unsigned mode;    /* UNIX: the socket file's permission bits (default 0666) */
};
#define NINES_SOCKET_BACKLOG 128
#define NINES_SOCKETS_MAX 64 /* a child's sockets, at most */

struct nines_child_spec {
    char *id; /* unique among siblings; [A-Za-z0-9_.-]+ */
    enum nines_child_kind kind;
    enum nines_restart restart;   /* default: permanent */
    struct nines_shutdown shutdown; /* default: 5s for workers, infinity for supervisors */

    char *module;     /* MODULE: absolute path (relative ones resolved against the file) */
    char **exec_argv; /* EXEC: NULL-terminated argv; argv[0] absolute or found in PATH */
    bool notify;      /* EXEC: `ready: notify` — started once it sends READY=1 */
    struct nines_arg *args; /* MODULE and EXEC: `args:` mapping, in file order */
    size_t n_args;
    unsigned max_queued_casts; /* MODULE: casts that may wait in ninesd for it before senders are
                                  refused (`max_queued_casts:`, default NINES_MAX_QUEUED_CASTS) */
    uint64_t start_timeout_ms; /* MODULE: how long its init may take; 0: infinity (`start_timeout:`) */
    uint64_t swap_timeout_ms;  /* MODULE: how long a live upgrade may take; 0: infinity (`swap_timeout:`) */

    struct nines_exec_opts exec; /* EXEC: env, cwd, user, group, stop signal */
    struct nines_backoff backoff; /* MODULE and EXEC: restart backoff, or zeros */
    struct nines_socket *sockets; /* MODULE and EXEC: `sockets:`, in file order (a program's fds 3, 4, ...) */
    size_t n_sockets;

    struct nines_sup_spec *supervisor; /* SUPERVISOR */

    struct nines_mark mark; /* where the child was declared */
};

struct nines_sup_spec {
    enum nines_strategy strategy; /* default: one_for_one */
    unsigned intensity;           /* default: 1 (OTP's default) */
    uint64_t period_ms;           /* default: 5000 (OTP's default) */

    /* Static children, in start order. Empty for a dynamic supervisor. */
    struct nines_child_spec *children;
    size_t n_children;

    /* DYNAMIC only: the template every dynamic child is started from (its
     * id is the template's name) and the limit on live children (0: none). */
    struct nines_child_spec *child_template;
    unsigned max_children;
};

struct nines_tree {
    char *path; /* the file it was loaded from, as given */
    struct nines_sup_spec root;
};

/* Load and validate one child spec from YAML text (a mapping, e.g.
 * "{id: cache, module: x.so}"), as a tree file's child; relative paths
 * are relative to base_dir. Errors as for nines_tree_load, with positions
 * in `text` and `name` as the file. Free with nines_child_spec_free. */
int nines_child_load_string(const char *name, const char *base_dir, const char *text, size_t len,
                            struct nines_child_spec **out, struct nines_error *err);
void nines_child_spec_free(struct nines_child_spec *c); /* accepts NULL */

/* Load and validate a tree file. On success returns 0 and sets *out (free
 * with nines_tree_free). On failure returns a negative errno (-EINVAL for
 * invalid content) and fills *err; *out is left NULL and nothing leaks. */
int nines_tree_load(const char *path, struct nines_tree **out, struct nines_error *err);

/* Same, from a string in memory; `name` stands for the file in errors and
 * relative paths are resolved against `base_dir`. Used by tests and fuzzers. */
int nines_tree_load_string(const char *name, const char *base_dir, const char *text,
                           size_t len, struct nines_tree **out, struct nines_error *err);

void nines_tree_free(struct nines_tree *tree); /* accepts NULL */

/* Parse a duration: an integer followed by ms, s or m ("250ms", "5s",
 * "2m"). Returns 0 and sets *ms, or -EINVAL. */
int nines_duration_parse(const char *text, uint64_t *ms);

/* Parse a signal name: "SIGQUIT" or "QUIT" (upper case, as kill -l
 * writes them), or "RTMIN+N"/"SIGRTMIN+N". Returns 0 and sets *sig, or
 * -EINVAL. nines_signal_name(SIGQUIT) is "SIGQUIT" ("SIG?" if unknown). */
int nines_signal_parse(const char *text, int *sig);
const char *nines_signal_name(int sig, char *buf, size_t size);

/* A `tcp:` address: "HOST:PORT" (HOST an IPv4 literal, "[IPv6]", or "*"
 * for any), or "PORT" alone (any address). 0 and *out filled (IPv4 or
 * IPv6; "*" and a bare port are IPv6 any with IPv4 too), or -EINVAL. */
struct sockaddr_storage;
int nines_socket_tcp_parse(const char *text, struct sockaddr_storage *out, unsigned *len);

const char *nines_strategy_name(enum nines_strategy s);
const char *nines_restart_name(enum nines_restart r);

#endif /* NINES_TREE_H */
