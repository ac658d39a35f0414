/*
 * verify_modules.c — the modules of a release: the tree names only the
 * release's applications' modules, and each module, loaded in a throw-away
 * worker host (`nines-worker --check`, as ninesd's preflight), passes the
 * host's descriptor checks and has the name and version the manifest says.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "release.h"

#define CHECK_TIMEOUT_MS 10000 /* a module whose constructors hang is refused */

struct tree_check {
    const struct release_dir *rd;
    const struct nines_manifest *m;
    char root[PATH_MAX];                 /* the release folder, symbolic links resolved */
    char (*modules)[PATH_MAX];           /* each application's module, resolved ("" if it cannot be) */
    const char *tree_file;               /* as shown */
    struct problems *p;
};

static void check_child_module(struct tree_check *t, const struct nines_child_spec *c) {
    for (size_t i = 0; i < t->m->n_apps; i++)
        if (strcmp(t->modules[i], c->module) == 0)
            return;
    size_t n = strlen(t->root);
    bool inside = strncmp(c->module, t->root, n) == 0 && c->module[n] == '/';
    problem(t->p, "%s:%u:%u: child '%s': module %s is not one of the release's applications%s", t->tree_file,
            c->mark.line, c->mark.column, c->id, inside ? c->module + n + 1 : c->module,
            inside ? "" : " (it is outside the release folder)");
}

static void check_sup(struct tree_check *t, const struct nines_sup_spec *sup) {
    const struct nines_child_spec *tmpl = sup->child_template;
    if (tmpl && tmpl->kind == NINES_CHILD_MODULE)
        check_child_module(t, tmpl);
    for (size_t i = 0; i < sup->n_children; i++) {
        const struct nines_child_spec *c = &sup->children[i];
        if (c->kind == NINES_CHILD_MODULE)
            check_child_module(t, c);
        else if (c->kind == NINES_CHILD_SUPERVISOR)
            check_sup(t, c->supervisor);
    }
}

void verify_tree(const struct release_dir *rd, const struct nines_manifest *m, struct problems *p) {
    char path[PATH_MAX], real[PATH_MAX], shown[PATH_MAX];
    struct nines_tree *tree = NULL;
    struct nines_error err;
    /* A tree that is missing or leads out was reported with the files. */
    if (nines_manifest_resolve(rd->dir, m->tree.path, real) < 0)
        return;
    path_printf(path, "%s/%s", rd->dir, m->tree.path);
    if (nines_tree_load(path, &tree, &err) < 0) {
        problem_error(p, &err);
        return;
    }
    struct tree_check t = {.rd = rd, .m = m, .p = p, .tree_file = problem_path(p, path, shown, sizeof shown)};
    t.modules = calloc(m->n_apps + 1, sizeof *t.modules);
    if (!t.modules || !realpath(rd->dir, t.root)) {
        problem(p, "%s: cannot check the tree's modules: %s", shown, strerror(errno));
    } else {
        for (size_t i = 0; i < m->n_apps; i++)
            if (nines_manifest_resolve(rd->dir, m->apps[i].module.path, t.modules[i]) < 0)
                t.modules[i][0] = '\0';
        check_sup(&t, &tree->root);
    }
    free(t.modules);
    nines_tree_free(tree);
}

/* The first line the checker wrote on stderr, without the path it names
 * first (the problem line names the module already). */
static const char *refusal(char *why, const char *real) {
    static const char prefix[] = "nines-worker: ";
    why[strcspn(why, "\n")] = '\0';
    if (strncmp(why, prefix, sizeof prefix - 1) == 0)
        why += sizeof prefix - 1;
    size_t n = strlen(real);
    if (strncmp(why, real, n) == 0 && strncmp(why + n, ": ", 2) == 0)
        why += n + 2;
    return *why ? why : "the checker failed without saying why";
}

/* The descriptor's "NAME VERSION" against the manifest's entry. */
static void compare(const struct release_dir *rd, const struct nines_manifest_app *a, const char *out,
                    const char *module_shown, struct problems *p) {
    char name[80], version[80], manifest[PATH_MAX];
    problem_path(p, rd->manifest, manifest, sizeof manifest);
    if (sscanf(out, "%79s %79s", name, version) != 2)
        problem(p, "%s: the module check printed no name and version (an older nines-worker?)", module_shown);
    else if (strcmp(name, a->name) != 0)
        problem(p, "%s:%u:%u: application '%s': its module %s is application '%s'", manifest, a->name_mark.line,
                a->name_mark.column, a->name, a->module.path, name);
    else if (strcmp(version, a->version) != 0)
        problem(p, "%s:%u:%u: application '%s' version %s: its module %s is version %s", manifest,
                a->version_mark.line, a->version_mark.column, a->name, a->version, a->module.path, version);
}

/* 0, or -1 when the worker host itself cannot be run (no use going on). */
static int check_module(const struct release_dir *rd, const struct nines_manifest_app *a, const char *worker,
                        struct problems *p) {
    char real[PATH_MAX], full[PATH_MAX], shown[PATH_MAX], out[256], why[1024];
    if (nines_manifest_resolve(rd->dir, a->module.path, real) < 0)
        return 0; /* reported with the files */
    path_printf(full, "%s/%s", rd->dir, a->module.path);
    problem_path(p, full, shown, sizeof shown);
    char *argv[] = {(char *)worker, "--check", real, NULL};
    int status = nines_run_program(argv, out, sizeof out, why, sizeof why, CHECK_TIMEOUT_MS);
    if (status < 0) {
        problem(p, "%s: cannot run the worker host to check modules: %s", worker, strerror(-status));
        return -1;
    }
    if (WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
        problem(p, "%s: module refused: still loading after %d s", shown, CHECK_TIMEOUT_MS / 1000);
    else if (WIFSIGNALED(status))
        problem(p, "%s: module refused: crashed while loading (killed by SIG%s)", shown,
                sigabbrev_np(WTERMSIG(status)));
    else if (WEXITSTATUS(status) == 127)
        problem(p, "%s: cannot run the worker host to check modules", worker);
    else if (WEXITSTATUS(status) != 0)
        problem(p, "%s: module refused: %s", shown, refusal(why, real));
    else
        compare(rd, a, out, shown, p);
    return 0;
}

void verify_modules(const struct release_dir *rd, const struct nines_manifest *m, const char *worker,
                    struct problems *p) {
    for (size_t i = 0; i < m->n_apps; i++)
        if (check_module(rd, &m->apps[i], worker, p) < 0)
            return;
}
