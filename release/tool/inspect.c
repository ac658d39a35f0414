/*
 * inspect.c — `nines-release inspect`: what a release (or a spec) says,
 * for people (aligned columns) or for programs (--json). It reads the
 * manifest and nothing else: `verify` checks the files.
 */
#include <string.h>

#include "release.h"

/* Names, versions and paths are validated printable ASCII: escaping '"'
 * and '\\' (and, to be safe, control bytes) makes them JSON strings. */
static void json_string(FILE *f, const char *s) {
    fputc('"', f);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\')
            fprintf(f, "\\%c", *p);
        else if (*p < 0x20 || *p == 0x7f)
            fprintf(f, "\\u%04x", *p);
        else
            fputc(*p, f);
    }
    fputc('"', f);
}

static void json_key(FILE *f, const char *sep, const char *key, const char *value) {
    fprintf(f, "%s\"%s\":", sep, key);
    json_string(f, value);
}

static void print_json(const struct nines_manifest *m, FILE *f) {
    json_key(f, "{", "release", m->release);
    json_key(f, ",", "version", m->version);
    json_key(f, ",", "tree", m->tree.path);
    fputs(",\"applications\":[", f);
    for (size_t i = 0; i < m->n_apps; i++) {
        json_key(f, i ? ",{" : "{", "name", m->apps[i].name);
        json_key(f, ",", "version", m->apps[i].version);
        json_key(f, ",", "module", m->apps[i].module.path);
        fputc('}', f);
    }
    fputs("],\"appups\":[", f);
    for (size_t i = 0; i < m->n_appups; i++) {
        fputs(i ? "," : "", f);
        json_string(f, m->appups[i].path);
    }
    fputs(m->has_files ? "],\"files\":[" : "],\"files\":null", f);
    for (size_t i = 0; i < m->n_files; i++) {
        json_key(f, i ? ",{" : "{", "path", m->files[i].path);
        json_key(f, ",", "sha256", m->files[i].sha256);
        fputc('}', f);
    }
    fputs(m->has_files ? "]}\n" : "}\n", f);
}

static void print_text(const struct nines_manifest *m, FILE *f) {
    int name_w = 4, version_w = 7;
    for (size_t i = 0; i < m->n_apps; i++) {
        int n = (int)strlen(m->apps[i].name), v = (int)strlen(m->apps[i].version);
        name_w = n > name_w ? n : name_w;
        version_w = v > version_w ? v : version_w;
    }
    fprintf(f, "release  %s %s\ntree     %s\n", m->release, m->version, m->tree.path);
    fprintf(f, "\napplications (%zu)\n", m->n_apps);
    if (m->n_apps)
        fprintf(f, "  %-*s  %-*s  %s\n", name_w, "NAME", version_w, "VERSION", "MODULE");
    for (size_t i = 0; i < m->n_apps; i++)
        fprintf(f, "  %-*s  %-*s  %s\n", name_w, m->apps[i].name, version_w, m->apps[i].version,
                m->apps[i].module.path);
    fprintf(f, "\nappups (%zu)\n", m->n_appups);
    for (size_t i = 0; i < m->n_appups; i++)
        fprintf(f, "  %s\n", m->appups[i].path);
    if (!m->has_files) {
        fputs("\nfiles: none listed (a spec for nines-release build, not a built release)\n", f);
        return;
    }
    fprintf(f, "\nfiles (%zu)\n", m->n_files);
    for (size_t i = 0; i < m->n_files; i++)
        fprintf(f, "  %s  %s\n", m->files[i].sha256, m->files[i].path);
}

int cmd_inspect(const struct args *a) {
    const char *arg = a->operands[0];
    struct problems p = {0};
    struct release_dir rd;
    struct nines_manifest *m = NULL;
    struct nines_error err;
    if (release_open(arg, &rd, &p) == 0) {
        p.real = rd.dir, p.shown = rd.shown;
        if (nines_manifest_load(rd.manifest, &m, &err) < 0)
            problem_error(&p, &err);
        else if (a->json)
            print_json(m, stdout);
        else
            print_text(m, stdout);
    }
    nines_manifest_free(m);
    release_close(&rd);
    return p.count ? EXIT_PROBLEMS : 0;
}
