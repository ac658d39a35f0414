/*
 * host_preload.c — a spare host that has loaded its module before its
 * START (see host.h and supervisord/spare.h).
 *
 * A restart served by such a spare skips the dlopen, not the checks: at
 * the START the module's path is judged again (path_trust.h), the file
 * must still be the one loaded (same device, inode, size, mtime and
 * ctime: any write, chmod, replacement or symlink change shows in one of
 * them) and the application the child expects. Anything else (a stale
 * copy, another module, a preload that failed) and the process execs
 * itself again as a plain worker for the child, which loads the file as
 * it is now with every check, as a start without a spare does.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "host.h"
#include "path_trust.h"

static struct {
    bool tried, ok;
    char path[PATH_MAX];
    char expect[128]; /* "" for any */
    struct stat st;
    void *dl;
    const struct nines_module *mod;
} pre;

static bool same_file(const struct stat *a, const struct stat *b) {
    return a->st_dev == b->st_dev && a->st_ino == b->st_ino && a->st_size == b->st_size &&
           a->st_mtim.tv_sec == b->st_mtim.tv_sec && a->st_mtim.tv_nsec == b->st_mtim.tv_nsec &&
           a->st_ctim.tv_sec == b->st_ctim.tv_sec && a->st_ctim.tv_nsec == b->st_ctim.tv_nsec;
}

int host_preload(const uint8_t *payload, size_t length) {
    if (pre.tried)
        return -EALREADY; /* one module per process */
    pre.tried = true;
    const char *path = (const char *)payload, *end = path + length;
    size_t plen = strnlen(path, length);
    if (plen == 0 || plen >= sizeof pre.path || plen + 1 >= length)
        return -EBADMSG;
    const char *expect = path + plen + 1;
    size_t elen = strnlen(expect, (size_t)(end - expect));
    if (expect + elen >= end || elen >= sizeof pre.expect)
        return -EBADMSG;
    memcpy(pre.path, path, plen + 1);
    memcpy(pre.expect, expect, elen + 1);
    /* The same file before and after the dlopen: the one it opened. */
    struct stat before, after;
    struct nines_ctx probe = {.channel = -1, .module_path = pre.path, .expect_name = elen ? pre.expect : NULL};
    char err[1200];
    if (stat(pre.path, &before) < 0)
        return -errno;
    if (host_load_checked(&probe, err, sizeof err) < 0)
        return -EPERM;
    if (stat(pre.path, &after) < 0 || !same_file(&before, &after))
        return -ESTALE;
    pre.st = before;
    pre.dl = probe.dl;
    pre.mod = probe.mod;
    pre.ok = true;
    return 0;
}

/* The preloaded copy serves ctx: every check a load makes, again or
 * still valid. */
static bool still_valid(const struct nines_ctx *ctx) {
    char why[1200];
    struct stat now;
    if (!pre.ok || strcmp(ctx->module_path, pre.path) != 0)
        return false;
    if (ctx->expect_name ? strcmp(pre.mod->name, ctx->expect_name) != 0 : pre.expect[0] != '\0')
        return false;
    if (path_trust_check("module", pre.path, why, sizeof why) < 0)
        return false;
    return stat(pre.path, &now) == 0 && same_file(&now, &pre.st);
}

/* Exec this program again as `nines-worker --module ... --child ...`. */
static int reexec(const struct nines_ctx *ctx) {
    char self[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n <= 0)
        return -errno;
    self[n] = '\0';
    size_t max = 8 + 2 * ctx->n_args;
    char **argv = calloc(max, sizeof *argv);
    if (!argv)
        return -ENOMEM;
    size_t k = 0;
    argv[k++] = self;
    argv[k++] = "--module", argv[k++] = (char *)ctx->module_path;
    argv[k++] = "--child", argv[k++] = (char *)ctx->child_path;
    if (ctx->expect_name)
        argv[k++] = "--expect-name", argv[k++] = (char *)ctx->expect_name;
    for (size_t i = 0; i < ctx->n_args; i++) {
        char *kv;
        if (asprintf(&kv, "%s=%s", ctx->args[i].key, ctx->args[i].value) < 0)
            return -ENOMEM;
        argv[k++] = "--arg", argv[k++] = kv;
    }
    argv[k] = NULL;
    execv(self, argv);
    return -errno;
}

int host_preload_take(struct nines_ctx *ctx) {
    if (!pre.tried)
        return 0;
    if (!still_valid(ctx))
        return reexec(ctx);
    ctx->dl = pre.dl;
    ctx->mod = pre.mod;
    ctx->preloaded = true;
    return 1;
}
