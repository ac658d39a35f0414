/*
 * launch_proto.c — see launch_proto.h.
 */
#include "launch_proto.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

struct launch_header {
    uint32_t magic, flags, uid, gid, argc, n_env;
};

static int put(uint8_t *buf, size_t size, size_t *used, const char *s) {
    size_t len = strlen(s) + 1;
    if (len > size - *used)
        return -E2BIG;
    memcpy(buf + *used, s, len);
    *used += len;
    return 0;
}

int launch_request_encode(const struct launch_request *r, uint8_t *buf, size_t size) {
    if (!r->program || !r->argv || r->argc == 0)
        return -EINVAL;
    if (r->argc + r->n_env > LAUNCH_MAX_STRINGS || size < sizeof(struct launch_header))
        return -E2BIG;
    struct launch_header h = {LAUNCH_MAGIC, r->flags, r->uid, r->gid, (uint32_t)r->argc, (uint32_t)r->n_env};
    memcpy(buf, &h, sizeof h);
    size_t used = sizeof h;
    const char *fixed[] = {r->user ? r->user : "", r->cwd ? r->cwd : "", r->program};
    for (size_t i = 0; i < 3; i++)
        if (put(buf, size, &used, fixed[i]) < 0)
            return -E2BIG;
    for (size_t i = 0; i < r->argc; i++)
        if (put(buf, size, &used, r->argv[i]) < 0)
            return -E2BIG;
    for (size_t i = 0; i < r->n_env; i++)
        if (!strchr(r->env[i], '=') || put(buf, size, &used, r->env[i]) < 0)
            return strchr(r->env[i], '=') ? -E2BIG : -EINVAL;
    return (int)used;
}

/* The next NUL-terminated string at *at, or NULL when none is whole. */
static const char *take(const uint8_t *buf, size_t len, size_t *at) {
    if (*at >= len)
        return NULL;
    const uint8_t *nul = memchr(buf + *at, '\0', len - *at);
    if (!nul)
        return NULL;
    const char *s = (const char *)buf + *at;
    *at = (size_t)(nul - buf) + 1;
    return s;
}

int launch_request_decode(const uint8_t *buf, size_t len, const char **slots, size_t n_slots,
                          struct launch_request *out) {
    struct launch_header h;
    if (len < sizeof h)
        return -EBADMSG;
    memcpy(&h, buf, sizeof h);
    if (h.magic != LAUNCH_MAGIC || h.argc == 0 || h.argc > LAUNCH_MAX_STRINGS ||
        h.n_env > LAUNCH_MAX_STRINGS || (size_t)h.argc + h.n_env + 2 > n_slots)
        return -EBADMSG;
    size_t at = sizeof h;
    const char *user = take(buf, len, &at), *cwd = take(buf, len, &at), *program = take(buf, len, &at);
    if (!program || !program[0])
        return -EBADMSG;
    const char **argv = slots, **env = slots + h.argc + 1;
    for (size_t i = 0; i < h.argc; i++)
        if (!(argv[i] = take(buf, len, &at)))
            return -EBADMSG;
    argv[h.argc] = NULL;
    for (size_t i = 0; i < h.n_env; i++)
        if (!(env[i] = take(buf, len, &at)) || !strchr(env[i], '=') || env[i][0] == '=')
            return -EBADMSG;
    env[h.n_env] = NULL;
    if (at != len || ((h.flags & LAUNCH_USER) && !user[0]))
        return -EBADMSG;
    *out = (struct launch_request){.flags = h.flags, .uid = h.uid, .gid = h.gid,
                                   .user = user[0] ? user : NULL, .cwd = cwd[0] ? cwd : NULL,
                                   .program = program, .argv = argv, .argc = h.argc,
                                   .env = env, .n_env = h.n_env};
    return 0;
}

bool launch_answer_decode(const void *buf, size_t len, struct launch_answer *out) {
    if (len != sizeof *out)
        return false;
    memcpy(out, buf, sizeof *out);
    return out->kind == LAUNCH_CHILD_PID || out->kind == LAUNCH_DONE || out->kind == LAUNCH_READY_PID;
}

ssize_t launch_answer_recv(int sock, struct launch_answer *a, int *fd) {
    union {
        char buf[CMSG_SPACE(sizeof(int))];
        struct cmsghdr align;
    } ctl;
    struct iovec iov = {a, sizeof *a};
    struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.buf, .msg_controllen = sizeof ctl.buf};
    ssize_t n = recvmsg(sock, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
    *fd = -1;
    struct cmsghdr *c = n > 0 ? CMSG_FIRSTHDR(&mh) : NULL;
    if (c && c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS && c->cmsg_len == CMSG_LEN(sizeof(int)))
        memcpy(fd, CMSG_DATA(c), sizeof *fd);
    if (n > 0 && !launch_answer_decode(a, (size_t)n, a))
        a->kind = 0;
    if (*fd >= 0 && (n <= 0 || a->kind != LAUNCH_READY_PID || a->pid <= 0)) {
        close(*fd);
        *fd = -1;
    }
    return n;
}

/* "NAME=..." entries are the same variable when their names are. */
static bool same_name(const char *a, const char *b) {
    size_t n = strcspn(a, "=");
    return strncmp(a, b, n) == 0 && b[n] == '=';
}

static bool dropped(const char *var, const char *const *drop) {
    for (size_t i = 0; drop && drop[i]; i++)
        if (strncmp(var, drop[i], strlen(drop[i])) == 0)
            return true;
    return false;
}

int launch_env_merge(const char *const *base, const char *const *drop, const char *const *over, size_t n_over,
                     const char **out, size_t max) {
    size_t n = 0;
    for (size_t i = 0; base && base[i]; i++) {
        if (dropped(base[i], drop))
            continue;
        if (n + 1 >= max)
            return -E2BIG;
        out[n++] = base[i];
    }
    for (size_t i = 0; i < n_over; i++) {
        size_t k = 0;
        while (k < n && !same_name(over[i], out[k]))
            k++;
        if (k == n && n + 1 >= max)
            return -E2BIG;
        out[k] = over[i];
        n += k == n;
    }
    out[n] = NULL;
    return (int)n;
}

bool launch_request_forkable(const struct launch_request *r, const char *worker) {
    static const char *const modes[] = {"--spare", "--module", "--restore"};
    if ((r->flags & LAUNCH_EXEC) || !(r->flags & LAUNCH_CHANNEL) || r->argc < 2 || !r->argv || !r->program ||
        !worker || strcmp(r->program, worker) != 0)
        return false;
    for (size_t i = 0; i < sizeof modes / sizeof *modes; i++)
        if (strcmp(r->argv[1], modes[i]) == 0)
            return true;
    return false;
}

enum launch_how launch_how(uint32_t flags, int image, bool can_fork) {
    if (!(flags & LAUNCH_FORK) || (flags & LAUNCH_EXEC) || !(flags & LAUNCH_CHANNEL))
        return LAUNCH_HOW_EXEC;
    if (image == 0)
        return LAUNCH_HOW_EXEC_STALE;
    return image > 0 && can_fork ? LAUNCH_HOW_FORK : LAUNCH_HOW_EXEC;
}

bool launch_should_renew(enum launch_how how, unsigned forks) {
    return how == LAUNCH_HOW_EXEC_STALE || (how == LAUNCH_HOW_FORK && forks >= LAUNCH_FORKS_PER_IMAGE);
}
