/*
 * side.c — one of the two releases `nines-appup generate` compares, read
 * from its files: the manifest, the tree, and for each application its
 * module resolved as the tree loader resolves `module:` (so that a child
 * finds its application), its SHA-256, and, for the applications that
 * change, what a throw-away worker host says of it (`nines-worker --check
 * MODULE`: "NAME VERSION code_change" or "NAME VERSION -"), run as
 * nines-release runs it (lib/run_program.h).
 *
 * A release folder, its release.yaml, or a spec (a manifest without
 * `files:`, whose modules may be links to a build) will do; a tarball is
 * refused: unpacking is nines-release's.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "run_program.h"
#include "appup_tool.h"

#define CHECK_TIMEOUT_MS 10000 /* a module whose constructors hang is refused */

static void print_error(const struct nines_error *err) {
    char text[5000];
    nines_error_format(err, text, sizeof text);
    fprintf(stderr, "%s\n", text);
}

/* The folder and the manifest `arg` names. */
static int locate(struct side *s, char *manifest) {
    struct stat st;
    size_t len = strlen(s->arg);
    if (stat(s->arg, &st) < 0) {
        fprintf(stderr, "%s: %s\n", s->arg, strerror(errno));
        return -1;
    }
    if (S_ISDIR(st.st_mode)) {
        snprintf(s->dir, sizeof s->dir, "%s", s->arg);
        snprintf(manifest, PATH_MAX, "%s/%s", s->arg, NINES_MANIFEST_NAME);
        return 0;
    }
    if (!S_ISREG(st.st_mode) || len < 5 || strcmp(s->arg + len - 5, ".yaml") != 0) {
        fprintf(stderr, "%s: not a release folder or manifest (a tarball must be unpacked first: nines-release "
                        "unpack)\n", s->arg);
        return -1;
    }
    const char *slash = strrchr(s->arg, '/');
    snprintf(s->dir, sizeof s->dir, "%.*s", slash ? (int)(slash - s->arg) + (slash == s->arg) : 1,
             slash ? s->arg : ".");
    snprintf(manifest, PATH_MAX, "%s", s->arg);
    return 0;
}

/* Application i's module: resolved, hashed. */
static int read_module(struct side *s, size_t i) {
    char joined[2 * PATH_MAX];
    const char *rel = s->m->apps[i].module.path;
    snprintf(joined, sizeof joined, "%s/%s", s->dir, rel);
    int r = realpath(joined, s->paths[i]) ? nines_sha256_file(s->paths[i], s->shas[i]) : -errno;
    if (r < 0) {
        fprintf(stderr, "%s: application %s: cannot read its module: %s\n", joined, s->m->apps[i].name,
                strerror(-r));
        return -1;
    }
    s->modules[i] = (struct nines_appup_gen_module){.path = s->paths[i], .sha256 = s->shas[i]};
    return 0;
}

int side_open(struct side *s, const char *arg) {
    char manifest[PATH_MAX], tree[2 * PATH_MAX];
    struct nines_error err;
    *s = (struct side){.arg = arg};
    if (locate(s, manifest) < 0)
        return -1;
    snprintf(s->manifest, sizeof s->manifest, "%s", manifest);
    if (nines_manifest_load(manifest, &s->m, &err) < 0) {
        print_error(&err);
        return -1;
    }
    snprintf(tree, sizeof tree, "%s/%s", s->dir, s->m->tree.path);
    if (nines_tree_load(tree, &s->tree, &err) < 0) {
        print_error(&err);
        return -1;
    }
    size_t n = s->m->n_apps + 1;
    s->paths = calloc(n, sizeof *s->paths);
    s->shas = calloc(n, sizeof *s->shas);
    s->modules = calloc(n, sizeof *s->modules);
    if (!s->paths || !s->shas || !s->modules) {
        fprintf(stderr, "%s: %s\n", arg, strerror(ENOMEM));
        return -1;
    }
    for (size_t i = 0; i < s->m->n_apps; i++)
        if (read_module(s, i) < 0)
            return -1;
    s->r = (struct nines_appup_gen_release){s->m, s->tree, s->modules};
    return 0;
}

void side_close(struct side *s) {
    nines_manifest_free(s->m);
    nines_tree_free(s->tree);
    free(s->paths);
    free(s->shas);
    free(s->modules);
}

/* --- the worker host's word on a module ------------------------------------ */

/* "NAME VERSION WORD" against the manifest's application. */
static int read_answer(struct side *s, size_t i, const char *out, const char *shown) {
    const struct nines_manifest_app *a = &s->m->apps[i];
    char name[80], version[80], word[32];
    if (sscanf(out, "%79s %79s %31s", name, version, word) != 3 ||
        (strcmp(word, "code_change") != 0 && strcmp(word, "-") != 0)) {
        fprintf(stderr, "%s: the module check did not say whether it has code_change (an older nines-worker?)\n",
                shown);
        return -1;
    }
    if (strcmp(name, a->name) != 0 || strcmp(version, a->version) != 0) {
        fprintf(stderr, "%s: the module is %s %s, the manifest says %s %s\n", shown, name, version, a->name,
                a->version);
        return -1;
    }
    s->modules[i].code_change = strcmp(word, "code_change") == 0;
    return 0;
}

/* The worker host's first line on stderr, "nines-worker: MODULE: why",
 * without its name. */
static const char *refusal(char *why) {
    why[strcspn(why, "\n")] = '\0';
    return strncmp(why, "nines-worker: ", 14) == 0 ? why + 14 : *why ? why : "the checker failed";
}

int side_check_module(struct side *s, size_t i, const char *worker) {
    char out[256], why[512], shown[2 * PATH_MAX];
    snprintf(shown, sizeof shown, "%s/%s", s->dir, s->m->apps[i].module.path);
    char *argv[] = {(char *)worker, "--check", s->paths[i], NULL};
    int status = nines_run_program(argv, out, sizeof out, why, sizeof why, CHECK_TIMEOUT_MS);
    if (status < 0)
        fprintf(stderr, "%s: cannot run the worker host to check modules: %s\n", worker, strerror(-status));
    else if (WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
        fprintf(stderr, "%s: module refused: still loading after %d s\n", shown, CHECK_TIMEOUT_MS / 1000);
    else if (WIFSIGNALED(status))
        fprintf(stderr, "%s: module refused: crashed while loading (killed by SIG%s)\n", shown,
                sigabbrev_np(WTERMSIG(status)));
    else if (WEXITSTATUS(status) == 127)
        fprintf(stderr, "%s: cannot run the worker host to check modules\n", worker);
    else if (WEXITSTATUS(status) != 0)
        fprintf(stderr, "%s: module refused: %s\n", shown, refusal(why));
    else
        return read_answer(s, i, out, shown);
    return -1;
}
