/*
 * nines/module.h — the one header a Nines application includes.
 *
 * An application is a shared object that exports exactly one descriptor,
 * `nines_module_v1`, filled by NINES_MODULE_V1(). The worker host (the
 * process `ninesd` spawns for each worker) loads the .so, checks the
 * descriptor (magic, then ABI version, then size, then name and required
 * callbacks) and calls the callbacks from its own event loop, one at a time.
 *
 * Everything an application registers with the host — descriptors to watch,
 * timers — is named by a 64-bit tag the application chooses, never by a
 * function pointer. Events come back through the descriptor's callbacks with
 * that tag. This is what makes live code upgrade possible: after the host
 * swaps version A of the .so for version B, every registration survives and
 * every event is dispatched to B's code, because the host never kept a
 * pointer into A.
 *
 * Conventions: functions return 0 on success and a negative errno on
 * failure; a callback that returns a negative value stops the worker with an
 * error (see nines_stop()).
 *
 * The process: the worker host ignores SIGPIPE (a peer that went away is an
 * EPIPE from write(), not the end of the worker) and treats SIGTERM as a
 * request to stop with NINES_STOP_SHUTDOWN. stdout and stderr go to ninesd,
 * which logs each line as coming from this child: they are datagram
 * sockets (one write, one datagram: a single write over about 200 KiB fails
 * with EMSGSIZE; /dev/stdout cannot be opened, dup fd 1). Do not block in a
 * callback: nothing else runs in the worker while one is running.
 *
 * Readiness is level-triggered, as poll(): a watched fd that is still
 * readable is reported again on the next loop. Every runtime function may
 * be called from any callback, init, terminate and code_change included.
 *
 * Lifecycle of a worker: init() once; then handle_call(), handle_cast()
 * and handle_info() in any order, one at a time; at a live upgrade,
 * export_state() on the old code, code_change() on the new code and
 * free_state() on the old code; terminate() once at the end, unless the
 * process dies first (a crash, SIGKILL after the shutdown grace), and not
 * after an init that failed. A worker that is restarted starts again from
 * init() in a new process: nothing but what code_change receives survives
 * from one process to the next.
 *
 * What a rollback restores. A snapshot is exact only until the new code
 * has consumed input: after that, restoring it would revert what the new
 * code acknowledged and replay bytes it already read. So the rollback
 * window is defined by input: it opens when the old code's export_state
 * has made the snapshot and closes when the new code's first callback
 * after the swap starts (a call, a cast, an fd event, a timer, the answer
 * to a nines_call()) — or 1 s after the swap if none comes, so that an
 * upgrade is never undone long after it was made. If the new code dies
 * inside the window — inside code_change, or after the swap but before
 * any callback — ninesd starts the worker again on the old code
 * (--restore) and gives it:
 *   - the snapshot the old code's export_state made at the start of the
 *     upgrade, which is then exactly the state as of the crash (unless
 *     NINES_CC_STALE, below);
 *   - every descriptor that was watched at that moment, at the same
 *     number, watched under the same tag with the same events; descriptors
 *     the application opened but did not watch are not carried (keep them
 *     watched, with events 0, if code_change needs them);
 *   - every timer that was armed then, under the same tag, with what was
 *     left of it and the same period;
 *   - every nines_call() it had made then and that still awaited its
 *     answer: each answer (a reply, or an error such as -ETIMEDOUT) comes
 *     to the restored worker's handle_info() with its tag, exactly once —
 *     also one that ninesd had sent to the new code (read by it before a
 *     stale restore, or never read): ninesd keeps a copy of each answer
 *     while a rollback is possible and sends it again (one it could not
 *     keep — over the 4 MiB the copies of one worker may hold, or out of
 *     memory — comes as -ECONNABORTED, exactly once, counted in the
 *     worker's answers_lost in `ninesctl status` and logged as
 *     call_answers_lost);
 * and calls the old code's code_change with that snapshot, its own version
 * as `from_version` and nines_code_change_flags() saying NINES_CC_RESTORE.
 * Calls in flight to the crashed worker were failed to their callers
 * (-ECONNABORTED).
 *
 * A crash after the window is an ordinary crash of the new version: the
 * supervisor's rules apply (it restarts the worker from init, on the new
 * code, counted against the intensity), the log says it came right after
 * an upgrade (upgrade_crashed_after_swap), and nothing the new code
 * acknowledged is reverted. A module whose old code can resync with what
 * happened since (it closes or re-reads its connections, its clients
 * retry) may opt in to a restore from the stale snapshot within 1 s of the
 * swap by setting NINES_MODULE_STALE_RESTORE in its (old) descriptor's `flags`;
 * its code_change then sees NINES_CC_STALE as well, and must assume that
 * every acknowledgement made since the snapshot is lost and that every
 * descriptor may be in the middle of a message.
 *
 * Unwatched means no more events: once nines_fd_unwatch() or
 * nines_timer_cancel() returns, handle_info() gets no event for that
 * registration, not even one the kernel had already reported in the same
 * loop turn (the host drops it). A tag watched again is a new
 * registration: only events that arrive after the new watch reach it.
 *
 * Threads: the runtime functions below are not thread-safe and must be
 * called only from the thread that runs the callbacks. An application may
 * start threads of its own; they talk to the callbacks through a descriptor
 * it watches (a pipe or an eventfd), and they must be stopped and joined in
 * terminate() and before export_state() returns, because the code they run
 * is unloaded after an upgrade.
 *
 * Build an application with:
 *     cc -shared -fPIC $(pkg-config --cflags nines) -o app.so app.c
 * The runtime functions below are provided by the worker host at load time;
 * do not link anything for them.
 *
 * Install the .so where only its owner and root can change it: the host
 * refuses to load one that is writable by group or others, owned by a
 * user other than root and ninesd's own, or under a folder that is (every
 * folder up to `/`; sticky ones such as /tmp excepted), at `ninesd
 * --check`, at every start and restart and at an upgrade, naming the file
 * and its mode. Installing with `install -m 0644` into a root-owned folder
 * is enough.
 */
#ifndef NINES_MODULE_H
#define NINES_MODULE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* "NINE" in ASCII: the first field of every descriptor. */
#define NINES_MAGIC 0x4e494e45u
/* Bumped only on an incompatible change; fields are only ever appended. */
#define NINES_ABI_VERSION 1u

#if defined(__GNUC__)
#define NINES_API __attribute__((visibility("default")))
#define NINES_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define NINES_API
#define NINES_PRINTF(f, a)
#endif

/* The host's per-worker context. Opaque; valid for the worker's lifetime. */
typedef struct nines_ctx nines_ctx;

/* Readiness flags for nines_fd_watch() and struct nines_info.events. */
enum {
    NINES_READABLE = 1u << 0,
    NINES_WRITABLE = 1u << 1,
    NINES_HANGUP = 1u << 2, /* reported only: the fd hung up or has an error. A
                             * peer that only shut down its sending side is
                             * NINES_READABLE, with read() returning 0. */
};

/* What a struct nines_info is about. */
enum nines_info_kind {
    NINES_INFO_FD = 1,    /* a watched descriptor is ready */
    NINES_INFO_TIMER = 2, /* a timer expired */
    NINES_INFO_REPLY = 3, /* the answer to a nines_call() */
};

/* An event delivered to handle_info(). */
struct nines_info {
    enum nines_info_kind kind;
    uint64_t tag;    /* the tag given to nines_fd_watch(), nines_timer_start() or nines_call() */
    int fd;          /* NINES_INFO_FD: the descriptor; -1 otherwise */
    uint32_t events; /* NINES_INFO_FD: NINES_READABLE|NINES_WRITABLE|NINES_HANGUP */
    /* NINES_INFO_REPLY: 0 and the reply's bytes, or a negative errno and a
     * text saying why there is no reply:
     *   -ENOENT        no child at that path
     *   -EPROTOTYPE    the path names a supervisor or a plain program
     *   -EHOSTDOWN     the child is not running (stopped, starting, restarting)
     *   -ECONNABORTED  the child ended before replying (it crashed, or was stopped)
     *   -ENOTSUP       the child does not handle calls
     *   -ETIMEDOUT     no reply within the timeout
     *   -EMSGSIZE      the request was over 64 KiB
     *   -ESHUTDOWN     the tree is stopping
     * `data` is valid only during the callback. */
    int status;
    const void *data;
    size_t len;
};

/* A request delivered to handle_call(). `data` is valid only during the
 * callback; `ref` identifies the caller for nines_reply(). */
struct nines_request {
    uint64_t ref;
    const void *data;
    size_t len;
};

/* How a worker ends; see nines_stop(). */
enum nines_stop_kind {
    NINES_STOP_NORMAL = 0,   /* finished its work: not restarted unless permanent */
    NINES_STOP_SHUTDOWN = 1, /* asked to stop (by its supervisor or itself) */
    NINES_STOP_ERROR = 2,    /* failed: an abnormal exit, restarted unless temporary */
};

/* Why terminate() is called. `message` is never NULL ("" when none). */
struct nines_stop_reason {
    enum nines_stop_kind kind;
    const char *message;
};

/* A growable byte buffer the host owns, filled by export_state(). */
typedef struct nines_buf nines_buf;

/*
 * The module descriptor. Fill it with NINES_MODULE_V1(); never by hand.
 *
 * Required: init, terminate. Optional (NULL means "not supported"):
 * handle_call (a call then gets an error reply), handle_cast (casts are
 * dropped), handle_info (only needed if the application watches fds or
 * starts timers), export_state and code_change (both needed for a live code
 * swap: without them `ninesctl upgrade --module` is refused with "no live
 * swap", nothing changed; a release moves such a module with a `restart`
 * step of its appup, which restarts its workers on the new code from
 * init, doc/appup.md).
 */
/*
 * The descriptor grows as SQLite's method tables do: fields are only ever
 * appended, a module's `size` says how many it was built with, and the host
 * runs any descriptor at least as big as the first revision's, reading a
 * later field only when NINES_MODULE_HAS() says the module has it. So a
 * module built against an older header keeps running on a newer host, and
 * one built against a newer header runs on an older host (which ignores
 * what it does not know).
 *
 * Revisions (NINES_ABI_VERSION stays 1 through all of them):
 *   1  magic .. free_state (NINES_MODULE_SIZE_V1)
 *   2  flags
 */
struct nines_module {
    uint32_t magic;       /* NINES_MAGIC */
    uint32_t abi_version; /* NINES_ABI_VERSION the .so was built against */
    uint32_t size;        /* sizeof(struct nines_module) at build time */
    uint32_t reserved;    /* zero: refused otherwise, kept for a later use */
    const char *name;     /* application name, [a-z0-9_-]+, stable across versions */
    const char *version;  /* this build's version, e.g. "1.2.0" */

    /* Set up the application. Read arguments with nines_arg(). Store the
     * state in *state. Return 0 when ready (the supervisor then counts the
     * worker as started), or a negative errno after nines_stop() with
     * NINES_STOP_ERROR and a message saying why. An init that has not
     * returned within the child's `start_timeout` (a tree key, 30 s by
     * default, `infinity` for none) is killed: the start failed, "init
     * failed: it did not return within 30000 ms (a limit: ...)". */
    int (*init)(nines_ctx *ctx, void **state);

    /* A request that expects a reply: call nines_reply() with call->ref,
     * now or later (a deferred reply). Return 0, or negative to stop. */
    int (*handle_call)(nines_ctx *ctx, void *state, const struct nines_request *call);

    /* A message that expects no reply. Return 0, or negative to stop. */
    int (*handle_cast)(nines_ctx *ctx, void *state, const void *data, size_t len);

    /* A watched fd is ready or a timer expired. Return 0, or negative to stop. */
    int (*handle_info)(nines_ctx *ctx, void *state, const struct nines_info *info);

    /* Last call before the worker exits: release the state. Descriptors
     * the application opened are its own to close. */
    void (*terminate)(nines_ctx *ctx, void *state, const struct nines_stop_reason *reason);

    /* Upgrade, old code: serialise the state into `out` with
     * nines_buf_append(). The state stays valid: if the upgrade fails the
     * old code goes on with it. Return 0 or a negative errno. */
    int (*export_state)(nines_ctx *ctx, void *state, nines_buf *out);

    /* Upgrade, new code: build the new state from the old version's
     * snapshot. `from_version` is the old descriptor's version, `extra` the
     * operator's string ("" when none). Return 0 with *state set, or a
     * negative errno to refuse (the old code then goes on, unchanged).
     * An upgrade that has not ended within the child's `swap_timeout` (a
     * tree key, 30 s by default, `infinity` for none) fails: the worker
     * is killed and comes back on the old code with its state, as after
     * a crash in code_change.
     * The descriptors named in the snapshot are open, with the same
     * numbers, and every fd watch and timer is still registered.
     *
     * code_change is also how a worker comes back after a failed upgrade:
     * if the new code crashed inside the rollback window (see "What a
     * rollback restores" at the top; nines_code_change_flags() then says
     * NINES_CC_RESTORE), the worker is restarted on the old code,
     * whose code_change gets its own last snapshot (`from_version` equal
     * to its own version), its descriptors and its registrations. So a
     * module must accept a snapshot of its own version. */
    int (*code_change)(nines_ctx *ctx, const char *from_version, const void *snapshot,
                       size_t len, const char *extra, void **state);

    /* Upgrade, old code, once the new code has taken over: free the old
     * state's memory and nothing else — the descriptors, fd watches and
     * timers it used now belong to the new code. Optional: without it the
     * old state's memory is leaked at each upgrade. */
    void (*free_state)(nines_ctx *ctx, void *state);

    /* Revision 2. NINES_MODULE_* bits; unknown bits are refused. */
    uint32_t flags;
};

/* struct nines_module's flags. */
enum {
    /* This code may be restored from its pre-upgrade snapshot even after
     * the new code took input (within 1 s of the swap): see "What a
     * rollback restores" above, and NINES_CC_STALE. */
    NINES_MODULE_STALE_RESTORE = 1u << 0,
};
#define NINES_MODULE_KNOWN_FLAGS NINES_MODULE_STALE_RESTORE

/* The size of the first revision's descriptor: the smallest a host runs. */
#define NINES_MODULE_SIZE_V1                                                   \
    (offsetof(struct nines_module, free_state) + sizeof(void (*)(void)))

/* Whether descriptor `m` was built with `field`: read a field appended after
 * revision 1 only when this is true. */
#define NINES_MODULE_HAS(m, field)                                             \
    ((m)->size >= offsetof(struct nines_module, field) + sizeof((m)->field))

/* The symbol the host looks up with dlsym(). */
#define NINES_MODULE_SYMBOL "nines_module_v1"

/*
 * Declare the application's descriptor, e.g.:
 *     NINES_MODULE_V1(.name = "counter", .version = "1.0.0",
 *                     .init = counter_init, .handle_call = counter_call,
 *                     .terminate = counter_terminate);
 *
 * From C++ (g++ or clang++, C++20 or GNU C++ before it), the same macro:
 * it gives the descriptor C linkage (a namespace-scope const would
 * otherwise be internal, and dlsym() would not find it). C++ wants the
 * fields in the order of struct nines_module, as above.
 */
#if defined(__cplusplus) && defined(__GNUC__)
/* g++ -Wextra warns of every callback left out: leaving them out is the
 * point (they are optional and zero). The declaration at the end takes
 * the user's ';' after the pragma that closes the warning's scope. */
#define NINES_DESCRIPTOR_BEGIN                                                 \
    _Pragma("GCC diagnostic push")                                             \
    _Pragma("GCC diagnostic ignored \"-Wmissing-field-initializers\"") extern "C"
#define NINES_DESCRIPTOR_END                                                   \
    ;                                                                          \
    _Pragma("GCC diagnostic pop") extern "C" void nines__descriptor_end(void)
#elif defined(__cplusplus)
#define NINES_DESCRIPTOR_BEGIN extern "C"
#define NINES_DESCRIPTOR_END
#else
#define NINES_DESCRIPTOR_BEGIN
#define NINES_DESCRIPTOR_END
#endif
#define NINES_MODULE_V1(...)                                                   \
    NINES_DESCRIPTOR_BEGIN NINES_API const struct nines_module nines_module_v1 = { \
        .magic = NINES_MAGIC,                                                  \
        .abi_version = NINES_ABI_VERSION,                                      \
        .size = sizeof(struct nines_module),                                   \
        .reserved = 0,                                                         \
        __VA_ARGS__} NINES_DESCRIPTOR_END

/* --- The runtime: functions the host provides to the application. ------ */

/* The value of argument `key` from the tree file's `args:`, or NULL. */
NINES_API const char *nines_arg(nines_ctx *ctx, const char *key);

/* Argument `key` as a decimal integer in *out; -ENOENT if absent, -EINVAL
 * if it is not an integer (*out is then unchanged; saying so, e.g. with
 * nines_stop(), is up to the application). */
NINES_API int nines_arg_int(nines_ctx *ctx, const char *key, long long *out);

/* This child's path in the tree, e.g. "web/listener". */
NINES_API const char *nines_child_path(nines_ctx *ctx);

/* The listening socket named `name` in this child's `sockets:` (README
 * "Sockets"): a descriptor ninesd holds open across the worker's restarts
 * (clients queue in its backlog meanwhile), or -ENOENT when the tree
 * gives it none of that name (or the host runs it without ninesd). It is
 * blocking, as handed over; set O_NONBLOCK before watching it. Do not
 * close it: the next incarnation gets the same socket. */
NINES_API int nines_listen_fd(nines_ctx *ctx, const char *name);

/* Watch `fd` for `events` (NINES_READABLE and/or NINES_WRITABLE); readiness
 * arrives in handle_info() as NINES_INFO_FD with `tag`. The application
 * keeps ownership of fd: unwatch before closing it. -EEXIST if the tag (or
 * the fd) is already watched, -ENOTSUP if the module has no handle_info,
 * -EPERM for an fd that cannot be polled (a regular file). */
NINES_API int nines_fd_watch(nines_ctx *ctx, uint64_t tag, int fd, uint32_t events);

/* Change the events watched under `tag` (0: only NINES_HANGUP is then
 * reported); -ENOENT if no such watch. */
NINES_API int nines_fd_update(nines_ctx *ctx, uint64_t tag, uint32_t events);

/* Stop watching under `tag` (the fd is not closed); -ENOENT if none. */
NINES_API int nines_fd_unwatch(nines_ctx *ctx, uint64_t tag);

/* Start timer `tag`: first expiry after `after_ms`, then every `repeat_ms`
 * (0: once). Restarting an armed tag re-arms it. Expiries arrive in
 * handle_info() as NINES_INFO_TIMER (a one-shot timer is no longer armed
 * when its callback runs, so it may start the same tag again); expiries
 * missed while a callback ran are delivered once. -ENOTSUP without
 * handle_info. Timer tags and fd tags are separate name spaces. */
NINES_API int nines_timer_start(nines_ctx *ctx, uint64_t tag, uint64_t after_ms,
                                uint64_t repeat_ms);

/* Cancel timer `tag`; -ENOENT if it is not armed. */
NINES_API int nines_timer_cancel(nines_ctx *ctx, uint64_t tag);

/* One registration of this worker, as the host holds it. */
struct nines_registration {
    enum nines_info_kind kind; /* NINES_INFO_FD or NINES_INFO_TIMER */
    uint64_t tag;
    int fd;                /* NINES_INFO_FD: the watched descriptor; -1 for a timer */
    uint32_t events;       /* NINES_INFO_FD: the events watched (NINES_READABLE|NINES_WRITABLE) */
    uint64_t remaining_ms; /* NINES_INFO_TIMER: until the next expiry, 0 when due */
    uint64_t repeat_ms;    /* NINES_INFO_TIMER: the period, 0 for a one-shot timer */
};

/* What is registered under (`kind`, `tag`): 0 and *out, or -ENOENT (no
 * such watch, or the timer is not armed), -EINVAL for another kind. The
 * host is the one record of what is registered, and it carries every
 * registration across an upgrade and a rollback: a code_change can find
 * its descriptors and timers here instead of copying them into the
 * snapshot. */
NINES_API int nines_registration(nines_ctx *ctx, enum nines_info_kind kind, uint64_t tag,
                                 struct nines_registration *out);

/* Every registration, one per call: start with *cursor = 0; 1 and *out
 * while there is one more, 0 at the end. The order is the host's. A
 * registration removed during the walk is not reported; one added may be
 * or not. */
NINES_API int nines_registration_next(nines_ctx *ctx, size_t *cursor, struct nines_registration *out);

/* Reply to the call identified by `ref` (from struct nines_request). Each call
 * gets exactly one reply; -ENOENT for an unknown or already answered ref.
 * -EAGAIN when the channel to ninesd is full (this worker sent faster than
 * ninesd reads): nothing was sent and the call is still pending, so reply
 * again later (a timer); if it is never answered, its caller gets
 * -ETIMEDOUT. */
NINES_API int nines_reply(nines_ctx *ctx, uint64_t ref, const void *data, size_t len);

/* Call the worker at `path` (e.g. "db/cache", from the root): its
 * handle_call() gets `data`, and its reply — or why there is none — comes
 * back to this worker's handle_info() as NINES_INFO_REPLY with `tag`,
 * exactly once, within `timeout_ms` (0: 5000) at the latest. Never blocks.
 * ninesd never drops a call: what a full channel cannot take waits in
 * ninesd for it to drain, and a callee that ends with calls outstanding
 * (crash, kill, stop, restart) answers each with -ECONNABORTED.
 * 0, -ENOTSUP without handle_info, -EMSGSIZE over 64 KiB, -EINVAL for an
 * empty path, -ENOTCONN when not run by ninesd, -EAGAIN when the channel
 * to ninesd is full (nothing was sent and no answer will come: call again
 * later, e.g. after the next answer or from a timer). */
NINES_API int nines_call(nines_ctx *ctx, const char *path, const void *data, size_t len, uint64_t tag,
                         uint64_t timeout_ms);

/* Send `data` to the worker at `path`'s handle_cast(). Fire and forget:
 * dropped if that child is not running, as an OTP cast is (counted as
 * casts_dropped in `ninesctl status`). Never dropped for being busy: at
 * most the destination's `max_queued_casts` (its tree key, 4,096 by
 * default) casts wait in ninesd for it, and once that many do,
 * ninesd tells this worker, and nines_cast() to that path returns -EAGAIN
 * — nothing was sent — until the destination has drained to half that (or
 * ended). The application decides: send again later (a timer), or give up.
 * Casts from one worker to another arrive in the order they were sent.
 * 0, or -errno as for nines_call() (-EAGAIN: the destination is busy, or
 * the channel to ninesd is full). */
NINES_API int nines_cast(nines_ctx *ctx, const char *path, const void *data, size_t len);

/* Log levels, the syslog priorities. */
enum nines_log_level {
    NINES_LOG_ERR = 3,
    NINES_LOG_WARNING = 4,
    NINES_LOG_NOTICE = 5,
    NINES_LOG_INFO = 6,
    NINES_LOG_DEBUG = 7,
};

/* Log one line, attributed to this child by ninesd. */
NINES_API void nines_log(nines_ctx *ctx, enum nines_log_level level, const char *fmt, ...)
    NINES_PRINTF(3, 4);

/* Ask the host to stop this worker once the current callback returns:
 * terminate() is called with this reason and the worker exits. `message`
 * (may be NULL) is reported by the supervisor, e.g. as the reason an init
 * failed. The first call wins. */
NINES_API void nines_stop(nines_ctx *ctx, enum nines_stop_kind kind, const char *message);

/* What the code_change running now is for; 0 outside code_change and for
 * an ordinary upgrade. */
enum {
    NINES_CC_RESTORE = 1u << 0, /* the worker comes back on this code after a
                                 * failed upgrade, from its own snapshot */
    NINES_CC_STALE = 1u << 1,   /* ... and the new code took input after that
                                 * snapshot (NINES_MODULE_STALE_RESTORE): what it
                                 * acknowledged is lost, descriptors may be
                                 * mid-message: close or resync them */
};
NINES_API unsigned nines_code_change_flags(nines_ctx *ctx);

/* Append `len` bytes to a buffer given to export_state(). */
NINES_API int nines_buf_append(nines_buf *buf, const void *data, size_t len);

#ifdef __cplusplus
}
#endif

#endif /* NINES_MODULE_H */
