/*
 * exec_setup.c — becoming an `exec:` child's user, environment and
 * directory before its program runs (exec_setup.h).
 */
#include "exec_setup.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int become(const struct nines_exec_setup *s, const char **step) {
    struct passwd *pw = getpwuid(s->uid);
    if (s->uid != geteuid() || s->gid != getegid()) {
        *step = "set the supplementary groups";
        if ((pw ? initgroups(pw->pw_name, s->gid) : setgroups(0, NULL)) < 0)
            return -errno;
        *step = "set the group id";
        if (setresgid(s->gid, s->gid, s->gid) < 0)
            return -errno;
        *step = "set the user id";
        if (setresuid(s->uid, s->uid, s->uid) < 0)
            return -errno;
    }
    if (pw) {
        *step = "set HOME, USER and LOGNAME";
        if (setenv("HOME", pw->pw_dir, 1) < 0 || setenv("USER", pw->pw_name, 1) < 0 ||
            setenv("LOGNAME", pw->pw_name, 1) < 0)
            return -errno;
    }
    return 0;
}

int nines_exec_setup_apply(const struct nines_exec_setup *s, const char **step) {
    int r = s->user ? become(s, step) : 0;
    if (r < 0)
        return r;
    *step = "set the environment";
    for (size_t i = 0; i < s->n_env; i++)
        if (putenv((char *)s->env[i]) != 0)
            return -errno;
    *step = "enter the working directory";
    if (s->cwd && chdir(s->cwd) < 0)
        return -errno;
    return 0;
}

static bool parse_uint(const char *text, unsigned *out) {
    char *end;
    errno = 0;
    unsigned long v = strtoul(text, &end, 10);
    if (errno || end == text || *end || v > 0xfffffffeul)
        return false;
    *out = (unsigned)v;
    return true;
}

static int parse_one(const char *opt, const char *val, struct nines_exec_setup *s, const char **env) {
    if (strcmp(opt, "--user") == 0)
        s->user = val;
    else if (strcmp(opt, "--uid") == 0)
        return parse_uint(val, &s->uid) ? 0 : -EINVAL;
    else if (strcmp(opt, "--gid") == 0)
        return parse_uint(val, &s->gid) ? 0 : -EINVAL;
    else if (strcmp(opt, "--cwd") == 0)
        s->cwd = val;
    else if (strcmp(opt, "--env") == 0 && strchr(val, '=') && val[0] != '=')
        env[s->n_env++] = val;
    else
        return -EINVAL;
    return 0;
}

int nines_exec_setup_parse(int argc, char **argv, struct nines_exec_setup *s, const char **env) {
    *s = (struct nines_exec_setup){.env = env};
    int i = 0;
    while (i < argc && strcmp(argv[i], "--") != 0) {
        if (i + 1 >= argc || parse_one(argv[i], argv[i + 1], s, env) < 0)
            return -EINVAL;
        i += 2;
    }
    return i < argc - 1 ? i + 1 : -EINVAL;
}
