/*
 * launch_job.c — preparing a child in the launcher (launch_job.h): what
 * nines-worker --exec did after the spawn, done before it, where
 * allocating and reading files is safe.
 */
#include "launch_job.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "path_trust.h"

extern char **environ;

/* The message and exit code of a child that cannot run its program. */
__attribute__((format(printf, 3, 4))) static void fail(struct launch_job *j, int code, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(j->msg, sizeof j->msg, fmt, ap);
    va_end(ap);
    j->msg_len = n < 0 ? 0 : (size_t)n < sizeof j->msg ? (size_t)n : sizeof j->msg - 1;
    j->fail_code = code;
}

static const char *program_name(const struct launch_job *j) {
    return j->req->argv[0] ? j->req->argv[0] : j->req->program;
}

/* "nines-worker: cannot run PROG as user 'U': cannot ": what the child
 * says before the step that failed (the words of nines-worker --exec). */
static void make_prefix(struct launch_job *j) {
    const struct launch_request *r = j->req;
    int n = snprintf(j->prefix, sizeof j->prefix, "nines-worker: cannot run %s%s%s%s: cannot ", program_name(j),
                     r->user ? " as user '" : "", r->user ? r->user : "", r->user ? "'" : "");
    j->prefix_len = n < 0 ? 0 : (size_t)n < sizeof j->prefix ? (size_t)n : sizeof j->prefix - 1;
}

static char *var(const char *name, const char *value) {
    char *s = NULL;
    return asprintf(&s, "%s=%s", name, value) < 0 ? NULL : s;
}

/* The user's groups and HOME, USER and LOGNAME (as initgroups and the
 * worker host's --exec set them); none when the user has no entry. */
static int prepare_user(struct launch_job *j) {
    const struct launch_request *r = j->req;
    struct passwd *pw = getpwuid(r->uid);
    j->set_ids = r->uid != geteuid() || r->gid != getegid();
    if (pw) {
        if (!(j->own_env[0] = var("HOME", pw->pw_dir)) || !(j->own_env[1] = var("USER", pw->pw_name)) ||
            !(j->own_env[2] = var("LOGNAME", pw->pw_name)))
            return -ENOMEM;
    }
    if (!j->set_ids || !pw)
        return 0;
    int n = 32;
    for (;;) {
        gid_t *g = realloc(j->groups, (size_t)n * sizeof *g);
        if (!g)
            return -ENOMEM;
        j->groups = g;
        int want = n;
        if (getgrouplist(pw->pw_name, r->gid, g, &want) >= 0) {
            j->n_groups = (size_t)want;
            return 0;
        }
        if (want <= n || want > 65536)
            return -E2BIG;
        n = want;
    }
}

/* The environment: the launcher's (ninesd's, with NINES_PARENT_PID for a
 * worker host), an exec child's without it, the user's variables, then
 * the request's entries. */
static int prepare_env(struct launch_job *j) {
    static const char *const exec_drop[] = {"NINES_PARENT_PID=", NULL};
    const struct launch_request *r = j->req;
    size_t n_base = 0;
    while (environ[n_base])
        n_base++;
    size_t max = n_base + r->n_env + 4;
    const char **over = calloc(r->n_env + 3, sizeof *over);
    j->env_array = calloc(max, sizeof *j->env_array);
    if (!over || !j->env_array) {
        free(over);
        return -ENOMEM;
    }
    size_t n_over = 0;
    for (size_t i = 0; i < 3; i++)
        if (j->own_env[i])
            over[n_over++] = j->own_env[i];
    for (size_t i = 0; i < r->n_env; i++)
        over[n_over++] = r->env[i];
    int n = launch_env_merge((const char *const *)environ, j->exec ? exec_drop : NULL, over, n_over,
                             j->env_array, max);
    free(over);
    j->envp = (char *const *)j->env_array;
    return n < 0 ? n : 0;
}

static const char *env_value(char *const *envp, const char *name) {
    size_t len = strlen(name);
    for (size_t i = 0; envp[i]; i++)
        if (strncmp(envp[i], name, len) == 0 && envp[i][len] == '=')
            return envp[i] + len + 1;
    return NULL;
}

/* Its folder (the look-up is relative to it), then the program as execvp
 * would find it on the child's PATH, trusted as far as its path. */
static void prepare_program(struct launch_job *j) {
    const struct launch_request *r = j->req;
    if (r->cwd && chdir(r->cwd) < 0) {
        fail(j, 127, "%senter the working directory %s: %s\n", j->prefix, r->cwd, strerrordesc_np(errno));
        return;
    }
    char why[1200];
    if (!path_trust_find_program_on(r->program, env_value(j->envp, "PATH"), j->program, sizeof j->program)) {
        fail(j, 127, "nines-worker: cannot run %s: %s\n", program_name(j), strerrordesc_np(ENOENT));
        return;
    }
    if (path_trust_check("program", j->program, why, sizeof why) == -EPERM) {
        fail(j, 126, "nines-worker: cannot run %s: %s\n", program_name(j), why);
        return;
    }
    j->path = j->program;
}

int launch_job_prepare(struct launch_job *j) {
    const struct launch_request *r = j->req;
    j->exec = r->flags & LAUNCH_EXEC;
    j->path = r->program;
    if (!(j->own_env = calloc(3, sizeof *j->own_env)))
        return -ENOMEM;
    int e = j->exec && (r->flags & LAUNCH_USER) ? prepare_user(j) : 0;
    if (e == 0)
        e = prepare_env(j);
    if (e < 0)
        return e;
    if (j->exec) {
        make_prefix(j);
        prepare_program(j);
    }
    return 0;
}

void launch_job_free(struct launch_job *j) {
    if (j->own_env)
        for (size_t i = 0; i < 3; i++)
            free(j->own_env[i]);
    free(j->own_env);
    free(j->env_array);
    free(j->groups);
    j->own_env = NULL, j->env_array = NULL, j->groups = NULL;
}
