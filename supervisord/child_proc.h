/*
 * child_proc.h — one running worker process, as the daemon sees it: its
 * pid, its channel, its captured output, its grace timer.
 *
 * Every worker is spawned (through the launcher, launcher.h, or
 * posix_spawn when there is none; never a fork of the daemon's state) and
 * dies with ninesd (PR_SET_PDEATHSIG). A module child runs `nines-worker
 * --module ...`; an exec child runs its program, exec'd by the launcher
 * after its setup (or, without a launcher, `nines-worker --exec --
 * PROGRAM...`, which only arranges that and execs).
 */
#ifndef NINES_CHILD_PROC_H
#define NINES_CHILD_PROC_H

#include <spawn.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <systemd/sd-event.h>

#include "child_send.h"
#include "daemon.h"
#include "launcher.h"
#include "linebuf.h"
#include "output_limit.h"
#include "reason.h"

struct child_proc {
    struct daemon *d;
    engine_node node;
    uint64_t gen;
    pid_t pid;
    bool is_exec;
    int stop_signal; /* what asks an exec child to stop (its spec's stop_signal, or SIGTERM) */
    int channel; /* daemon's end of the socketpair; -1 for exec children */
    int out_fd, err_fd; /* read ends of an exec child's stdout and stderr pipes, else -1 */
    uint64_t out_key, err_key; /* a module worker's output senders (output_sock.h), else 0 */
    bool watched;               /* its end is awaited (reaper.h) */
    sd_event_source *channel_src, *out_src, *err_src, *timer_src;
    struct linebuf out, err;
    struct output_rate rate;    /* its output lines against the rate limit */
    bool stop_requested;
    bool has_reason;            /* the worker host said how it ends */
    struct nines_reason reason; /* ... and this is what it said */
    char name[64];              /* the module's name and version, from READY */
    char version[64];
    bool notified_ready;        /* exec child with ready: notify sent READY=1 */
    bool restoring;             /* brought back on the old code after a failed upgrade */
    struct child_queue queue;   /* what waits for the channel to drain (child_send.h) */
    size_t cast_bound;          /* its spec's max_queued_casts (casts.h) */
    struct casts_told *told;    /* senders told this worker is busy (casts.h) */
    size_t n_told, cap_told;
    bool ending;                /* its exit is being handled */
    bool held;                  /* its descriptors are counted in d->child_fds (fd_room.h) */
    /* Started while an end was handled: its sources, timer, descriptor
     * count and warden entry wait for that end's log (child_proc.c). */
    bool unsettled;
    struct child_proc *next_unsettled;
    sd_event_source *start_src; /* its start_timeout, until READY (start_timeout.h) */
    uint64_t start_timeout_ms;
    bool start_timed_out;       /* killed for it */
    /* Asked to upgrade: its host may send descriptors (the hand-off's), so
     * its channel is read with room for them from then on. Before that a
     * plain recv() does, a syscall cheaper on every message of the call
     * path; descriptors nobody asked for are closed by the kernel. */
    bool fds_expected;
};

/* A freshly spawned worker host: its pid and the daemon's ends. */
struct spawned {
    pid_t pid;
    int channel; /* -1 without a channel */
    int out_fd, err_fd; /* pipes' read ends, or -1 */
    uint64_t out_key, err_key; /* or the output senders' keys (output_sock.h), or 0 */
};

struct output_sock;

/* Spawn `worker` (through d's launcher, launcher.h, when d is given and
 * has one; else posix_spawn from ninesd) with argv, a clean signal state, its own process
 * group and (with_channel) the channel on fd 3; stdout/stderr on senders
 * to `osock` with a channel and osock given, else on pipes;
 * notify_var ("NOTIFY_SOCKET=...") is added to its environment if given. */
int worker_spawn(struct daemon *d, const char *worker, char **argv, bool with_channel, const char *notify_var,
                 struct output_sock *osock, struct spawned *out);
/* A worker host with a channel, spawned through the launcher without
 * waiting (launcher_spawn_async): 0 with out's descriptors, its pid 0
 * until fn(userdata, pid, 0) says it; -ENOTCONN without a launcher
 * (nothing happened: spawn with worker_spawn instead). */
int worker_spawn_async(struct daemon *d, const char *worker, char **argv, struct output_sock *osock,
                       launcher_fn fn, void *userdata, struct spawned *out);
/* The same, with listening sockets (listeners.h) at descriptors base,
 * base+1, ... and (env) LISTEN_FDS/LISTEN_FDNAMES: `n` of them, or sl
 * NULL. With sockets the spawn is ninesd's own posix_spawn, never the
 * launcher's (its requests carry the three standard descriptors only). */
struct spawn_listen {
    const int *fds;
    const char *const *names;
    size_t n;
    int base;
    bool env;
};
int worker_spawn_listen(struct daemon *d, const char *worker, char **argv, bool with_channel, const char *notify_var,
                        struct output_sock *osock, const struct spawn_listen *sl, struct spawned *out);

/* posix_spawn attributes every process ninesd starts gets: a clean
 * signal mask and dispositions, a process group of its own, stdin on
 * /dev/null. 0 or -errno (nothing to destroy then). */
int spawn_attrs_clean(posix_spawnattr_t *attr, posix_spawn_file_actions_t *fa);
/* One of ninesd's helper processes (the launcher, the warden): `path`
 * with argv and env, so started, with `fd` at descriptor `at`. */
int spawn_helper(const char *path, char *const argv[], char *const env[], int fd, int at, pid_t *pid);

/* The environment a worker host is spawned with: ninesd's, less what is
 * its own, plus NINES_PARENT_PID (written into parent_var), NOTIFY_SOCKET
 * (notify_var, if given) and NINES_NOFILE_SOFT. Free the array only. */
char **worker_spawn_env(char *parent_var, size_t size, const char *notify_var);

/* Workers get this soft RLIMIT_NOFILE back (NINES_NOFILE_SOFT, read by
 * the worker host): the one ninesd had before it raised its own. 0: none. */
void worker_spawn_set_nofile(uint64_t soft);

/* Spawn p's process (p->d, node, gen, is_exec set) from `spec`, as child
 * `path`. Fills pid and the descriptors. 0 or -errno; nothing left open. */
int child_proc_spawn_process(struct child_proc *p, const struct nines_child_spec *spec, const char *path);

/* Spawn the process for node/gen. 0, or -errno (nothing left behind).
 * With `restore`, a worker host that waits for a hand-off (upgrade.h)
 * and rebuilds its state from it instead of running init. */
int child_proc_spawn(struct daemon *d, engine_node node, uint64_t gen, bool restore, struct child_proc **out);
void child_proc_stop(struct child_proc *p); /* ask to stop: SHUTDOWN message, or the stop signal for exec */
void child_proc_kill(struct child_proc *p); /* SIGKILL */
/* The child whose process is pid (its group leader, watched since its
 * spawn), in O(1); NULL for any other pid. */
struct child_proc *child_proc_of_pid(struct daemon *d, pid_t pid);
int child_proc_arm_timer(struct child_proc *p, uint64_t ms);
void child_proc_cancel_timer(struct child_proc *p);
void child_proc_free(struct child_proc *p); /* closes everything; accepts NULL */

#endif /* NINES_CHILD_PROC_H */
