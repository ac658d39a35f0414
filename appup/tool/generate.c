/*
 * generate.c — `nines-appup generate [--worker PATH] [--force] OLD NEW
 * [OUTDIR]`: the appups from release OLD to release NEW, one
 * NAME.appup.yaml per application whose version changes, written into
 * OUTDIR for review. The rules are appup/appup_generate.h's; this file reads
 * the releases, asks the worker host which modules have code_change, and
 * writes the files, each whole or not at all, none over an existing one
 * without --force (and then none at all).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "atomic_file.h"
#include "appup_tool.h"
#include "worker_path.h"

struct generate {
    const char *old, *new, *outdir, *worker;
    bool force;
    struct side from, to;
    struct nines_appup_gen *g;
};

/* "nines-appup: generate: WHAT 'WORD' (usage: ...)" */
static int usage_error(const char *what, const char *word) {
    fprintf(stderr, "nines-appup: generate: %s%s%s%s (usage: nines-appup generate [--worker PATH] [--force] OLD NEW "
                    "[OUTDIR])\n", what, word ? " '" : "", word ? word : "", word ? "'" : "");
    return -EINVAL;
}

static int parse_args(struct generate *gen, int argc, char **argv) {
    const char *pos[3];
    int n = 0;
    bool options = true;
    for (int i = 0; i < argc; i++) {
        const char *w = argv[i];
        if (options && strcmp(w, "--") == 0)
            options = false;
        else if (options && strcmp(w, "--force") == 0)
            gen->force = true;
        else if (options && strcmp(w, "--worker") == 0 && i + 1 < argc)
            gen->worker = argv[++i];
        else if (options && w[0] == '-' && w[1])
            return strcmp(w, "--worker") == 0 ? usage_error("'--worker' needs a value", NULL)
                                              : usage_error("unknown option", w);
        else if (n == 3)
            return usage_error("unexpected", w);
        else
            pos[n++] = w;
    }
    if (n < 2)
        return usage_error("expected the old release and the new one", NULL);
    gen->old = pos[0], gen->new = pos[1], gen->outdir = n == 3 ? pos[2] : ".";
    if (!gen->worker)
        gen->worker = nines_worker_default_path();
    return 0;
}

/* Whether the modules of the applications that change have code_change:
 * only those steps need it. */
static int check_modules(struct generate *gen) {
    const struct nines_manifest *from = gen->from.m, *to = gen->to.m;
    for (size_t i = 0; i < to->n_apps; i++)
        for (size_t j = 0; j < from->n_apps; j++) {
            if (strcmp(to->apps[i].name, from->apps[j].name) != 0 ||
                strcmp(to->apps[i].version, from->apps[j].version) == 0)
                continue;
            if (side_check_module(&gen->to, i, gen->worker) < 0 ||
                side_check_module(&gen->from, j, gen->worker) < 0)
                return -1;
        }
    return 0;
}

static void file_path(const struct generate *gen, const struct nines_appup *a, char *path) {
    snprintf(path, PATH_MAX, "%s/%s.appup.yaml", gen->outdir, a->application);
}

/* OUTDIR is there (or is made), and holds none of the files unless
 * --force: then nothing is written. */
static int prepare(const struct generate *gen) {
    char path[PATH_MAX];
    struct stat st;
    if (mkdir(gen->outdir, 0755) < 0 && errno != EEXIST) {
        fprintf(stderr, "%s: cannot make the folder: %s\n", gen->outdir, strerror(errno));
        return -1;
    }
    for (size_t i = 0; !gen->force && i < gen->g->n_appups; i++) {
        file_path(gen, gen->g->appups[i], path);
        if (lstat(path, &st) == 0) {
            fprintf(stderr, "%s: already exists (--force replaces it)\n", path);
            return -1;
        }
    }
    return 0;
}

static int write_appup(const void *a, FILE *f) { return nines_appup_write(a, f); }

static int write_all(const struct generate *gen) {
    char path[PATH_MAX];
    for (size_t i = 0; i < gen->g->n_appups; i++) {
        file_path(gen, gen->g->appups[i], path);
        int r = nines_atomic_write(path, 0644, write_appup, gen->g->appups[i]);
        if (r < 0) {
            fprintf(stderr, "%s: cannot write: %s\n", path, strerror(-r));
            return -1;
        }
        printf("wrote %s\n", path);
    }
    if (gen->g->n_appups == 0)
        printf("no application changes version from %s %s to %s %s: no appup to write\n", gen->from.m->release,
               gen->from.m->version, gen->to.m->release, gen->to.m->version);
    return 0;
}

static int run(struct generate *gen) {
    struct nines_error err;
    if (side_open(&gen->from, gen->old) < 0 || side_open(&gen->to, gen->new) < 0 || check_modules(gen) < 0)
        return -1;
    if (nines_appup_generate(&gen->from.r, &gen->to.r, &gen->g, &err) < 0) {
        char text[5000];
        nines_error_format(&err, text, sizeof text);
        fprintf(stderr, "%s\n", text);
        return -1;
    }
    if (prepare(gen) < 0 || write_all(gen) < 0)
        return -1;
    for (const char *note = gen->g->notes; *note; note += strcspn(note, "\n") + 1)
        printf("note: %.*s\n", (int)strcspn(note, "\n"), note);
    return 0;
}

int cmd_generate(int argc, char **argv) {
    struct generate gen = {0};
    if (parse_args(&gen, argc, argv) < 0)
        return EXIT_USAGE;
    int r = run(&gen);
    nines_appup_gen_free(gen.g);
    side_close(&gen.from);
    side_close(&gen.to);
    return r < 0 ? EXIT_PROBLEMS : 0;
}
