/*
 * tree_exec.c — the keys that say how an `exec:` child runs (env, cwd,
 * user, group, stop_signal). Names
 * are resolved here, at load, so a typo is an error at its position and
 * not a child that fails at every start.
 */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "tree_internal.h"

static struct nines_exec_opts *opts(void *t) { return &((struct nines_child_spec *)t)->exec; }

/* Variables ninesd sets itself for a child: an `env:` entry may not. */
static bool reserved_var(const char *k) {
    static const char *const own[] = {"NINES_PARENT_PID", "NOTIFY_SOCKET", "LISTEN_FDS", "LISTEN_PID",
                                      "LISTEN_FDNAMES", "WATCHDOG_PID", "WATCHDOG_USEC"};
    for (size_t i = 0; i < sizeof own / sizeof own[0]; i++)
        if (strcmp(k, own[i]) == 0)
            return true;
    return false;
}

static bool var_name_valid(const char *k) {
    static const char first[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_";
    return *k && strchr(first, *k) && strspn(k, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_0123456789") ==
                                          strlen(k);
}

/* Keys already checked to be scalars. */
static int cmp_key(const void *a, const void *b) {
    return strcmp(schema_scalar(*(yaml_node_t *const *)a), schema_scalar(*(yaml_node_t *const *)b));
}

/* A duplicate name, found by sorting the keys (n log n for any size). */
static int check_env_dups(struct schema_loader *l, yaml_node_t *v, size_t n) {
    yaml_node_t **keys = malloc(n * sizeof *keys);
    if (!keys)
        return -ENOMEM;
    for (size_t i = 0; i < n; i++)
        keys[i] = schema_node(l, v->data.mapping.pairs.start[i].key);
    qsort(keys, n, sizeof *keys, cmp_key);
    int r = 0;
    for (size_t i = 1; i < n && r == 0; i++)
        if (cmp_key(&keys[i - 1], &keys[i]) == 0) {
            yaml_node_t *later = keys[i]->start_mark.index > keys[i - 1]->start_mark.index ? keys[i] : keys[i - 1];
            r = schema_fail(l, later, "duplicate variable '%s' in 'env'", schema_scalar(later));
        }
    free(keys);
    return r;
}

static int check_env_pair(struct schema_loader *l, yaml_node_t *key, yaml_node_t *value) {
    const char *k = schema_scalar(key), *val = schema_scalar(value);
    if (!k || !var_name_valid(k))
        return schema_fail(l, key, "invalid variable name '%s' in 'env' (letters, digits and '_', not first a digit)",
                           k ? k : schema_node_kind(key));
    if (reserved_var(k))
        return schema_fail(l, key, "'%s' is set by ninesd itself and cannot be in 'env'", k);
    if (!val)
        return schema_fail(l, value, "variable '%s' must be a scalar (string, number or boolean), got %s", k,
                           schema_node_kind(value));
    return 0;
}

int tree_set_env(struct schema_loader *l, yaml_node_t *v, void *t) {
    struct nines_exec_opts *o = opts(t);
    if (v->type != YAML_MAPPING_NODE)
        return schema_fail(l, v, "'env' must be a mapping of variable names to values, got %s", schema_node_kind(v));
    size_t n = (size_t)(v->data.mapping.pairs.top - v->data.mapping.pairs.start);
    for (size_t i = 0; i < n; i++) {
        yaml_node_pair_t *p = &v->data.mapping.pairs.start[i];
        int r = check_env_pair(l, schema_node(l, p->key), schema_node(l, p->value));
        if (r < 0)
            return r;
    }
    int r = n > 1 ? check_env_dups(l, v, n) : 0;
    if (r < 0 || n == 0)
        return r;
    if (!(o->env = calloc(n, sizeof *o->env)))
        return -ENOMEM;
    for (size_t i = 0; i < n; i++) {
        yaml_node_pair_t *p = &v->data.mapping.pairs.start[i];
        o->n_env = i + 1;
        if (!(o->env[i].key = strdup(schema_scalar(schema_node(l, p->key)))) ||
            !(o->env[i].value = strdup(schema_scalar(schema_node(l, p->value)))))
            return -ENOMEM;
    }
    return 0;
}

int tree_set_cwd(struct schema_loader *l, yaml_node_t *v, void *t) {
    const char *s = schema_scalar(v);
    char path[PATH_MAX * 2];
    struct stat st;
    if (!s || !*s)
        return schema_fail(l, v, "'cwd' must be the path of a directory");
    if (s[0] == '/')
        snprintf(path, sizeof path, "%s", s);
    else
        snprintf(path, sizeof path, "%s/%s", l->base_dir, s);
    if (stat(path, &st) < 0 || !S_ISDIR(st.st_mode))
        return schema_fail(l, v, "cwd '%s' is not a directory (looked for %s)", s, path);
    return (opts(t)->cwd = strdup(path)) ? 0 : -ENOMEM;
}

/* A number as written: all digits, at most 2^32-2 (-1 is "no id"). */
static bool parse_id(const char *s, unsigned *out) {
    if (!*s || strspn(s, "0123456789") != strlen(s) || strlen(s) > 10)
        return false;
    unsigned long long v = strtoull(s, NULL, 10);
    if (v >= 0xffffffffull)
        return false;
    *out = (unsigned)v;
    return true;
}

int tree_set_user(struct schema_loader *l, yaml_node_t *v, void *t) {
    struct nines_exec_opts *o = opts(t);
    const char *s = schema_scalar(v);
    if (!s || !*s)
        return schema_fail(l, v, "'user' must be a user name or number");
    errno = 0;
    struct passwd *pw = getpwnam(s);
    if (!pw && parse_id(s, &o->uid))
        pw = getpwuid(o->uid);
    if (pw) {
        o->uid = pw->pw_uid;
        o->gid = pw->pw_gid;
    } else if (!parse_id(s, &o->uid)) {
        return schema_fail(l, v, "unknown user '%s' (no such entry in the user database)", s);
    } else {
        o->gid = (unsigned)-1; /* a number with no entry: 'group' must say the group */
    }
    return (o->user = strdup(s)) ? 0 : -ENOMEM;
}

int tree_set_group(struct schema_loader *l, yaml_node_t *v, void *t) {
    struct nines_exec_opts *o = opts(t);
    const char *s = schema_scalar(v);
    unsigned gid;
    if (!s || !*s)
        return schema_fail(l, v, "'group' must be a group name or number");
    struct group *gr = getgrnam(s);
    if (gr)
        gid = gr->gr_gid;
    else if (!parse_id(s, &gid))
        return schema_fail(l, v, "unknown group '%s' (no such entry in the group database)", s);
    o->gid = gid;
    return (o->group = strdup(s)) ? 0 : -ENOMEM;
}

/* Signals that cannot end a program, or that would be taken for
 * something else: never a stop signal. */
static bool stops(int sig) {
    return sig != SIGSTOP && sig != SIGTSTP && sig != SIGTTIN && sig != SIGTTOU && sig != SIGCONT && sig != SIGCHLD;
}

int tree_set_stop_signal(struct schema_loader *l, yaml_node_t *v, void *t) {
    const char *s = schema_scalar(v);
    int sig;
    if (!s || nines_signal_parse(s, &sig) < 0 || !stops(sig))
        return schema_fail(l, v, "invalid stop_signal '%s' (a signal name such as SIGTERM, SIGQUIT, SIGINT, "
                                 "SIGHUP, SIGUSR1 or QUIT; not STOP, TSTP, TTIN, TTOU, CONT or CHLD)",
                           s ? s : schema_node_kind(v));
    opts(t)->stop_signal = sig;
    return 0;
}

/* The rules between these keys and the child's kind, once all are read:
 * seen[] indexed by TREE_EXEC_*. */
int tree_check_exec(struct schema_loader *l, const struct nines_child_spec *c, yaml_node_t *const *seen) {
    static const char *const names[] = {"env", "cwd", "user", "group", "stop_signal"};
    for (size_t i = 0; i < TREE_EXEC_NKEYS; i++)
        if (seen[i] && c->kind != NINES_CHILD_EXEC)
            return schema_fail(l, seen[i], "'%s' is only for 'exec' children", names[i]);
    if (c->exec.user && !c->exec.group && c->exec.gid == (unsigned)-1)
        return schema_fail(l, seen[TREE_EXEC_USER], "user '%s' has no entry in the user database: "
                                                   "say its group with 'group'", c->exec.user);
    if (c->exec.group && !c->exec.user)
        return schema_fail(l, seen[TREE_EXEC_GROUP], "'group' needs 'user' (the program runs as that user, in that group)");
    return 0;
}
