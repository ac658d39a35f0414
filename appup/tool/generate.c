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

#include "appup_spec_edit.h"
#include "atomic_file.h"
#include "appup_tool.h"
#include "worker_path.h"

struct generate {
    const char *old, *new, *outdir, *worker;
    bool force, no_spec;
    struct side from, to;
    struct nines_appup_gen *g;
};

/* "nines-appup: generate: WHAT 'WORD' (usage: ...)" */
static int usage_error(const char *what, const char *word) {
    fprintf(stderr, "nines-appup: generate: %s%s%s%s (usage: nines-appup generate [--worker PATH] [--force] [--no-spec] "
                    "OLD NEW [OUTDIR])\n", what, word ? " '" : "", word ? word : "", word ? "'" : "");
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
        else if (options && strcmp(w, "--no-spec") == 0)
            gen->no_spec = true;
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

/* Appup file `path`, relative to the new spec's folder when it is inside. */
static bool spec_relative(const struct generate *gen, const char *path, char *rel) {
    char dir[PATH_MAX], file[PATH_MAX];
    if (!realpath(gen->to.dir, dir) || !realpath(path, file))
        return false;
    size_t n = strlen(dir);
    if (strncmp(file, dir, n) != 0 || file[n] != '/')
        return false;
    snprintf(rel, PATH_MAX, "%s", file + n + 1);
    return true;
}

static bool listed(const struct nines_manifest *m, const char *rel) {
    for (size_t i = 0; i < m->n_appups; i++)
        if (strcmp(m->appups[i].path, rel) == 0)
            return true;
    return false;
}

/* The whole file at `path`, NUL-terminated, in *text (malloc'd). */
static int read_text(const char *path, char **text) {
    FILE *f = fopen(path, "re");
    if (!f)
        return -errno;
    size_t cap = 4096, len = 0;
    char *buf = malloc(cap);
    size_t got;
    while (buf && (got = fread(buf + len, 1, cap - len - 1, f)) > 0) {
        len += got;
        char *bigger = len + 1 == cap ? realloc(buf, cap *= 2) : buf;
        if (!bigger)
            free(buf);
        buf = bigger;
    }
    bool failed = ferror(f);
    fclose(f);
    if (!buf || failed) {
        free(buf);
        return buf ? -EIO : -ENOMEM;
    }
    buf[len] = '\0';
    *text = buf;
    return 0;
}

static int write_text(const void *text, FILE *f) {
    return fputs(text, f) < 0 ? -EIO : 0;
}

/* The edited spec, loaded back before it replaces the old one. */
static int write_spec(const struct generate *gen, const char *text, char *const *rels, size_t n) {
    struct nines_manifest *m = NULL;
    struct nines_error err;
    char target[PATH_MAX];
    int r = nines_manifest_load_string(gen->to.manifest, text, strlen(text), &m, &err);
    for (size_t i = 0; r == 0 && i < n; i++)
        r = listed(m, rels[i]) ? 0 : -EINVAL;
    nines_manifest_free(m);
    if (r < 0 || !realpath(gen->to.manifest, target)) {
        fprintf(stderr, "%s: cannot add the appups to it: %s\n", gen->to.manifest,
                r < 0 ? "the edited spec would not load" : strerror(errno));
        return -1;
    }
    r = nines_atomic_write(target, 0644, write_text, text);
    if (r < 0) {
        fprintf(stderr, "%s: cannot write: %s\n", target, strerror(-r));
        return -1;
    }
    for (size_t i = 0; i < n; i++)
        printf("added %s to %s\n", rels[i], gen->to.manifest);
    return 0;
}

/* The appups written, added to the new release's spec (unless --no-spec):
 * those inside its folder and not listed yet. */
static int add_to_spec(const struct generate *gen) {
    char path[PATH_MAX], rels[16][PATH_MAX], *text = NULL, *edited = NULL, why[128];
    char *rel_ptrs[16];
    size_t n = 0;
    if (gen->no_spec || gen->g->n_appups == 0)
        return 0;
    if (gen->to.m->has_files) {
        printf("note: %s is a built release: list the appups in its spec's appups: and build it again\n",
               gen->new);
        return 0;
    }
    for (size_t i = 0; i < gen->g->n_appups && n < 16; i++) {
        file_path(gen, gen->g->appups[i], path);
        if (!spec_relative(gen, path, rels[n])) {
            printf("note: %s is outside the folder of %s: list it in its appups: yourself\n", path,
                   gen->to.manifest);
        } else if (!listed(gen->to.m, rels[n])) {
            rel_ptrs[n] = rels[n];
            n++;
        }
    }
    if (n == 0)
        return 0;
    int r = read_text(gen->to.manifest, &text);
    if (r == 0 && nines_spec_add_appups(text, (const char *const *)rel_ptrs, n, &edited, why, sizeof why) < 0)
        r = -1;
    else if (r < 0)
        snprintf(why, sizeof why, "%s", strerror(-r));
    free(text);
    if (r < 0) {
        fprintf(stderr, "%s: cannot add the appups to it: %s (--no-spec leaves it alone)\n", gen->to.manifest, why);
        return -1;
    }
    r = write_spec(gen, edited, rel_ptrs, n);
    free(edited);
    return r;
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
    if (prepare(gen) < 0 || write_all(gen) < 0 || add_to_spec(gen) < 0)
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
