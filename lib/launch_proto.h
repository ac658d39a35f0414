/*
 * launch_proto.h — what ninesd and its launcher say to each other.
 *
 * ninesd spawns its children through a small process (`nines-worker
 * --launcher`, supervisord/launcher.h) that holds none of the tree's
 * descriptors: a spawn from ninesd itself copies its whole descriptor
 * table and the kernel closes every close-on-exec descriptor again at
 * exec, a cost that grows with the tree (N² over a boot). The launcher's
 * table holds a handful, so a spawn costs the same at 10 or 10,000
 * children.
 *
 * One request is one SOCK_SEQPACKET message: a fixed header, then
 * NUL-terminated strings (user, cwd, the program, argv, the environment
 * entries to set over the launcher's own), with the child's stdout and
 * stderr (and its channel, with LAUNCH_CHANNEL, and its cgroup's
 * cgroup.procs, with LAUNCH_CGROUP) attached as SCM_RIGHTS, in that order. The child is created with CLONE_PARENT: it is ninesd's
 * child, reaped and signalled by ninesd as any other.
 *
 * Two answers come back on the same socket, in this order:
 *   LAUNCH_CHILD_PID  sent by the child itself before its exec, so that
 *                     ninesd learns its pid even if the launcher dies
 *                     right after creating it;
 *   LAUNCH_DONE       sent by the launcher once the exec has happened or
 *                     failed: pid, or err (-errno) when there is no child
 *                     to run (a failed clone, an exec that failed: that
 *                     child exits 127 at once and is reaped as any other).
 *   LAUNCH_READY_PID  the answer to a LAUNCH_READY request: an exec-ready
 *                     process (ninesd's child, its own process group,
 *                     nothing else done) and ninesd's end of a channel of
 *                     its own (SCM_RIGHTS). ninesd sends it one LAUNCH_EXEC
 *                     request (its stdout and stderr attached, no
 *                     cgroup: ninesd moves the process itself), which it
 *                     runs as the launcher's clone would (ninesd closes
 *                     its end once the request is sent; a failure is the
 *                     child's exit 126/127 and its stderr). So the pid of
 *                     an exec child's next start is known before it starts,
 *                     and no clone is on the way of its restart. Its
 *                     stdout and stderr are given ahead: once the process
 *                     is made, ninesd sends it LAUNCH_READY_OUTPUT (the
 *                     two pipes' write ends attached) and keeps the read
 *                     ends; the request then comes with no descriptor,
 *                     so no pipe is made or passed on a restart's way.
 * A plain exec child whose setup fails (its user, its folder, a program
 * not found or not trusted) still runs: it says why on its stderr and
 * exits 126 or 127, as the worker host's --exec did.
 *
 * Encoding and decoding are pure, unit-tested (tests/unit/test_launch_proto.c).
 */
#ifndef NINES_LAUNCH_PROTO_H
#define NINES_LAUNCH_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define LAUNCH_MAGIC 0x4e4c5231u /* "NLR1" */
#define LAUNCH_MAX_REQUEST (128 * 1024)
#define LAUNCH_MAX_STRINGS 4096  /* argv and env entries of one request */

enum launch_flags {
    LAUNCH_EXEC = 1u << 0,    /* an exec child: user, cwd, PATH look-up, trust check, one exec */
    LAUNCH_CHANNEL = 1u << 1, /* a third descriptor comes: the channel, for fd 3 */
    LAUNCH_USER = 1u << 2,    /* become uid/gid (with user's groups and HOME, USER, LOGNAME) */
    LAUNCH_CGROUP = 1u << 3,  /* a last descriptor comes: the child's cgroup.procs, which the new
                                 process writes itself into first of all (supervisord/cgroup.h) */
    LAUNCH_FORK = 1u << 4,    /* a worker host (the program is nines-worker itself, with a channel):
                                 the launcher may make it a fork of its own, already linked image
                                 instead of an exec, if that file is still the one it runs */
    LAUNCH_READY = 1u << 5,   /* no child: make an exec-ready process (no descriptors come;
                                 the rest of the request is ignored) */
};

/* How the launcher makes the child of a request (launch_how). */
enum launch_how {
    LAUNCH_HOW_EXEC,       /* clone and exec the program (as posix_spawn) */
    LAUNCH_HOW_FORK,       /* a fork of the launcher runs the worker host's main, no exec */
    LAUNCH_HOW_EXEC_STALE, /* exec: the program on disk is no longer the launcher's image (a release
                              replaced it); the launcher then execs the new one itself */
};

/* ninesd -> an exec-ready process: this 32-bit word alone, with the next
 * child's stdout and stderr attached (SCM_RIGHTS, in that order). */
#define LAUNCH_READY_OUTPUT 0x3254554fu /* "OUT2" */

/* A request, decoded: pointers into the message buffer. */
struct launch_request {
    uint32_t flags;
    uint32_t uid, gid;   /* with LAUNCH_USER */
    const char *user;    /* with LAUNCH_USER: the name, for groups and messages */
    const char *cwd;     /* NULL: stay in the launcher's folder (ninesd's) */
    const char *program; /* what to exec: a path, or with LAUNCH_EXEC a name looked up on PATH */
    const char *const *argv; /* argc entries and a NULL */
    size_t argc;
    const char *const *env;  /* "NAME=VALUE", set over the launcher's environment, in order */
    size_t n_env;
};

enum launch_answer_kind {
    LAUNCH_CHILD_PID = 1,
    LAUNCH_DONE = 2,
    LAUNCH_READY_PID = 3, /* an exec-ready process: its pid, its channel's other end attached */
};

struct launch_answer {
    uint32_t kind;
    int32_t pid;
    int32_t err; /* LAUNCH_DONE: 0, or -errno */
};

/* Encode `r` into buf: its length, or -E2BIG when it does not fit (or
 * has more than LAUNCH_MAX_STRINGS strings), -EINVAL without a program. */
int launch_request_encode(const struct launch_request *r, uint8_t *buf, size_t size);

/* Decode a request of `len` bytes from buf (left in place: the strings
 * point into it). `slots` holds the argv and env pointers (n_slots of
 * them, at least argc + n_env + 2). 0, or -EBADMSG for anything that is
 * not a whole, well-formed request. */
int launch_request_decode(const uint8_t *buf, size_t len, const char **slots, size_t n_slots,
                          struct launch_request *out);

/* An answer is a struct launch_answer in host order (both ends are on
 * one machine); true when `len` bytes at buf are one, copied to *out. */
bool launch_answer_decode(const void *buf, size_t len, struct launch_answer *out);

/* Whether ninesd may ask for `r` as a fork (LAUNCH_FORK): a worker host
 * (`worker --spare`, `--module`, `--restore`) with its channel, run from
 * `worker`, the path the launcher was started from. Pure. */
bool launch_request_forkable(const struct launch_request *r, const char *worker);

/* The launcher's choice for a request of `flags`: `image` is 1 when the
 * program's file is the one the launcher runs (same device and inode), 0
 * when another file is there now, -1 when it cannot be looked at;
 * `can_fork` whether this launcher can make a clean fork at all (it knows
 * its thread's TID address: worker/launch_fork.c). Pure. */
enum launch_how launch_how(uint32_t flags, int image, bool can_fork);
/* Receive one answer from `sock` without waiting, and the descriptor a
 * LAUNCH_READY_PID carries in *fd (else -1: any other is closed).
 * recvmsg's result; a->kind is 0 when what came is no answer. */
ssize_t launch_answer_recv(int sock, struct launch_answer *a, int *fd);

/* How many worker hosts one launcher image forks before it execs itself
 * again (same file, same pid and channel). Every fork of an image shares
 * its anonymous memory's reverse map (the kernel's anon_vma): the kernel's
 * walks of it (DAMON, reclaim) visit every such process, under a lock a
 * fork must take. With 10,000 hosts of one image, a fork waited 10-30 ms
 * for it (measured on the project VM, kdamond walking); a new image starts
 * a new map. */
#define LAUNCH_FORKS_PER_IMAGE 256

/* Whether the launcher execs itself again after a request it answered
 * `how`, having forked `forks` hosts from this image: a stale image, or
 * one that has forked LAUNCH_FORKS_PER_IMAGE. Pure. */
bool launch_should_renew(enum launch_how how, unsigned forks);

/* The environment of a child: `base` (NULL-terminated) without the
 * entries `drop` names (NAME= prefixes, NULL-terminated, or NULL), then
 * `over` (n_over entries) in order, a later entry of a name replacing an
 * earlier one wherever it was. Into out (max entries, NULL-terminated).
 * The count, or -E2BIG. Pure: pointers are copied, never the strings. */
int launch_env_merge(const char *const *base, const char *const *drop, const char *const *over, size_t n_over,
                     const char **out, size_t max);

#endif /* NINES_LAUNCH_PROTO_H */
