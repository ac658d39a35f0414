/*
 * preflight.c — see preflight.h.
 */
#include "preflight.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "child_proc.h"
#include "path_trust.h"

struct collection {
    struct preflight_item *v;
    size_t n, cap;
};

static int push(struct collection *c, const struct nines_child_spec *child) {
    if (c->n == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 16;
        struct preflight_item *v = realloc(c->v, cap * sizeof *v);
        if (!v)
            return -ENOMEM;
        c->v = v, c->cap = cap;
    }
    c->v[c->n++] = (struct preflight_item){child->module, child};
    return 0;
}

static int collect_sup(const struct nines_sup_spec *sup, struct collection *c) {
    int r = 0;
    if (sup->child_template && sup->child_template->kind == NINES_CHILD_MODULE)
        r = push(c, sup->child_template);
    for (size_t i = 0; i < sup->n_children && r == 0; i++) {
        const struct nines_child_spec *ch = &sup->children[i];
        if (ch->kind == NINES_CHILD_MODULE)
            r = push(c, ch);
        else if (ch->kind == NINES_CHILD_SUPERVISOR)
            r = collect_sup(ch->supervisor, c);
    }
    return r;
}

/* Sort by module, the first declared first, so duplicates are adjacent
 * and the survivor of each run is the one the file names first. */
static int by_module_then_position(const void *a, const void *b) {
    const struct preflight_item *x = a, *y = b;
    int c = strcmp(x->module, y->module);
    if (c)
        return c;
    if (x->child->mark.line != y->child->mark.line)
        return x->child->mark.line < y->child->mark.line ? -1 : 1;
    return (x->child->mark.column > y->child->mark.column) - (x->child->mark.column < y->child->mark.column);
}

int preflight_collect(const struct nines_tree *tree, struct preflight_item **out) {
    struct collection c = {0};
    if (collect_sup(&tree->root, &c) < 0) {
        free(c.v);
        return -ENOMEM;
    }
    if (c.n)
        qsort(c.v, c.n, sizeof *c.v, by_module_then_position);
    size_t kept = 0;
    for (size_t i = 0; i < c.n; i++)
        if (kept == 0 || strcmp(c.v[kept - 1].module, c.v[i].module) != 0)
            c.v[kept++] = c.v[i];
    *out = c.v;
    return (int)kept;
}

/* --- the checks: one throw-away host per module, a batch at a time ------ */

#define BATCH 16

struct checker {
    const struct preflight_item *item;
    pid_t pid;
    int err_fd;
};

static int start_checker(const char *worker, struct checker *k) {
    char *argv[] = {(char *)worker, "--check", (char *)k->item->module, NULL};
    struct spawned s;
    int r = worker_spawn(NULL, worker, argv, false, NULL, NULL, &s);
    if (r < 0)
        return r;
    close(s.out_fd);
    /* The reason is one short line: it fits in the pipe, read after exit. */
    fcntl(s.err_fd, F_SETFL, 0);
    k->pid = s.pid;
    k->err_fd = s.err_fd;
    return 0;
}

/* The host's one-line reason, without its "nines-worker: " prefix. */
static void read_reason(int fd, char *buf, size_t size) {
    size_t len = 0;
    ssize_t r;
    while (len < size - 1 && (r = read(fd, buf + len, size - 1 - len)) > 0)
        len += (size_t)r;
    buf[len] = '\0';
    buf[strcspn(buf, "\n")] = '\0';
    static const char prefix[] = "nines-worker: ";
    if (strncmp(buf, prefix, sizeof prefix - 1) == 0)
        memmove(buf, buf + sizeof prefix - 1, strlen(buf) - (sizeof prefix - 1) + 1);
}

/* 0 if the module passed; otherwise the reason in `why`. */
static int finish_checker(struct checker *k, char *why, size_t size) {
    int status;
    while (waitpid(k->pid, &status, 0) < 0 && errno == EINTR)
        ;
    read_reason(k->err_fd, why, size);
    close(k->err_fd);
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
        return 0;
    if (WIFSIGNALED(status))
        snprintf(why, size, "crashed while loading (killed by SIG%s)", sigabbrev_np(WTERMSIG(status)));
    else if (!why[0])
        snprintf(why, size, "the checker exited with status %d", WEXITSTATUS(status));
    return -EINVAL;
}

static void set_error(struct nines_error *err, const char *file, const struct preflight_item *it,
                      const char *why) {
    snprintf(err->file, sizeof err->file, "%s", file);
    err->line = it->child->mark.line;
    err->column = it->child->mark.column;
    snprintf(err->message, sizeof err->message, "child '%s': module refused: %s", it->child->id, why);
}

/* The checks under way: a batch of hosts at a time, the first started by
 * preflight_begin so that it runs while ninesd starts. */
struct preflight {
    const struct nines_tree *tree;
    const char *worker;
    struct preflight_item *items;
    size_t n, at;     /* the modules; the first of the batch under way */
    struct checker k[BATCH];
    size_t started;   /* hosts of the batch under way */
    int r;            /* a host that could not be spawned: none more */
    const struct preflight_item *worst; /* the earliest declared refused */
};

static void start_batch(struct preflight *p) {
    size_t len = p->n - p->at < BATCH ? p->n - p->at : BATCH;
    for (p->started = 0; p->started < len; p->started++) {
        p->k[p->started] = (struct checker){.item = &p->items[p->at + p->started]};
        if ((p->r = start_checker(p->worker, &p->k[p->started])) < 0)
            break;
    }
}

/* The batch's verdicts; the failure of the earliest declared module wins. */
static void finish_batch(struct preflight *p, struct nines_error *err) {
    for (size_t i = 0; i < p->started; i++) {
        char why[400];
        if (finish_checker(&p->k[i], why, sizeof why) == 0)
            continue;
        const struct nines_mark *m = &p->k[i].item->child->mark;
        if (!p->worst || m->line < p->worst->child->mark.line) {
            p->worst = p->k[i].item;
            set_error(err, p->tree->path, p->k[i].item, why);
        }
    }
    p->started = 0;
}

/* Exec programs are checked here: no host loads them. One that is not
 * found is left to its start, which says so as it always did. */
static int check_program(const struct nines_child_spec *ch, const char *file, struct nines_error *err) {
    char program[PATH_MAX], why[440];
    if (ch->kind != NINES_CHILD_EXEC || !path_trust_find_program(ch->exec_argv[0], program, sizeof program) ||
        path_trust_check("program", program, why, sizeof why) != -EPERM)
        return 0;
    snprintf(err->file, sizeof err->file, "%s", file);
    err->line = ch->mark.line;
    err->column = ch->mark.column;
    snprintf(err->message, sizeof err->message, "child '%s': program refused: %s", ch->id, why);
    return -EINVAL;
}

static int check_programs(const struct nines_sup_spec *sup, const char *file, struct nines_error *err) {
    int r = sup->child_template ? check_program(sup->child_template, file, err) : 0;
    for (size_t i = 0; i < sup->n_children && r == 0; i++) {
        const struct nines_child_spec *ch = &sup->children[i];
        r = ch->kind == NINES_CHILD_SUPERVISOR ? check_programs(ch->supervisor, file, err)
                                                : check_program(ch, file, err);
    }
    return r;
}

int preflight_begin(const struct nines_tree *tree, const char *worker, struct preflight **out,
                    struct nines_error *err) {
    if (check_programs(&tree->root, tree->path, err) < 0)
        return -EINVAL;
    struct preflight *p = calloc(1, sizeof *p);
    if (!p)
        return -ENOMEM;
    *p = (struct preflight){.tree = tree, .worker = worker};
    int n = preflight_collect(tree, &p->items);
    if (n < 0) {
        free(p);
        return n;
    }
    p->n = (size_t)n;
    if (p->n)
        start_batch(p);
    *out = p;
    return 0;
}

int preflight_end(struct preflight *p, struct nines_error *err) {
    while (p->n) {
        finish_batch(p, err);
        p->at += BATCH;
        if (p->r < 0 || p->at >= p->n)
            break;
        start_batch(p);
    }
    if (p->r < 0 && !p->worst) {
        snprintf(err->file, sizeof err->file, "%s", p->tree->path);
        err->line = err->column = 0;
        snprintf(err->message, sizeof err->message, "cannot run the worker host %s to check modules: %s",
                 p->worker, strerror(-p->r));
    }
    int r = p->worst || p->r < 0 ? -EINVAL : 0;
    free(p->items);
    free(p);
    return r;
}

int preflight_check(const struct nines_tree *tree, const char *worker, struct nines_error *err) {
    struct preflight *p;
    int r = preflight_begin(tree, worker, &p, err);
    return r < 0 ? r : preflight_end(p, err);
}
