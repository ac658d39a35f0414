/*
 * yaml_schema_input.c — where a loader's YAML comes from: a file (which must be
 * a regular file: a folder or a device given by mistake is named as
 * such) or text in memory; either within the YAML limit `size`. Shared by
 * the release manifest's and the release state's loaders.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "yaml_limits.h"
#include "yaml_schema.h"

/* 0 if `f` is a regular file, else an errno saying why not. */
static int regular_file(FILE *f) {
    struct stat st;
    if (fstat(fileno(f), &st) < 0)
        return errno;
    return S_ISREG(st.st_mode) ? 0 : S_ISDIR(st.st_mode) ? EISDIR : EINVAL;
}

int schema_check_size(struct nines_error *err, const char *text, size_t len) {
    size_t limit = yaml_limits.size;
    if (len <= limit)
        return 0;
    unsigned line = 1, column = 1;
    for (size_t i = 0; i < limit; i++)
        text[i] == '\n' ? (line++, column = 1) : column++;
    err->line = line, err->column = column;
    snprintf(err->message, sizeof err->message, "the file is larger than %zu bytes (a limit: %s)", limit,
             YAML_LIMITS_HINT("size"));
    return -EINVAL;
}

int schema_read_file(FILE *f, const char *what, char **text, size_t *len, struct nines_error *err) {
    size_t want = yaml_limits.size + 1, cap = 0;
    *text = NULL, *len = 0;
    for (;;) {
        if (*len == cap) {
            size_t next = cap ? 2 * cap : 65536;
            char *p = realloc(*text, (next < want ? next : want) + 1);
            if (!p)
                break;
            *text = p, cap = next < want ? next : want;
        }
        size_t n = *len < want ? fread(*text + *len, 1, cap - *len, f) : 0;
        *len += n;
        if (n == 0)
            break;
    }
    int e = !*text ? ENOMEM : ferror(f) ? EIO : 0;
    if (e) {
        free(*text), *text = NULL;
        snprintf(err->message, sizeof err->message, "cannot read %s: %s", what, strerror(e));
        return -e;
    }
    (*text)[*len] = '\0';
    return 0;
}

/* The file `path`, read whole. */
static int read_path(struct schema_input *in, const char *path, const char *what, size_t *len,
                     struct nines_error *err) {
    FILE *f = fopen(path, "re");
    int e = f ? regular_file(f) : errno;
    if (e) {
        if (f)
            fclose(f);
        snprintf(err->message, sizeof err->message, "cannot open %s: %s", what, strerror(e));
        return -e;
    }
    int r = schema_read_file(f, what, &in->text, len, err);
    fclose(f);
    return r;
}

int schema_input_open(struct schema_input *in, const char *name, const char *path, const char *text, size_t len,
                    const char *what, struct nines_error *err) {
    memset(err, 0, sizeof *err);
    snprintf(err->file, sizeof err->file, "%s", name);
    in->text = NULL;
    int r = path ? read_path(in, path, what, &len, err) : 0;
    if (r == 0)
        r = schema_check_size(err, path ? in->text : text, len);
    if (r == 0 && !yaml_parser_initialize(&in->parser))
        r = -ENOMEM;
    if (r < 0) {
        free(in->text), in->text = NULL;
        return r;
    }
    yaml_parser_set_input_string(&in->parser, (const unsigned char *)(path ? in->text : text), len);
    return 0;
}

void schema_input_close(struct schema_input *in) {
    yaml_parser_delete(&in->parser);
    free(in->text), in->text = NULL;
}
