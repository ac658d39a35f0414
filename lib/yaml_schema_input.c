/*
 * yaml_schema_input.c — where a loader's YAML comes from: a file (which must be
 * a regular file: a folder or a device given by mistake is named as
 * such) or text in memory. Shared by the release manifest's and the
 * release state's loaders.
 */
#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include "yaml_schema.h"

/* 0 if `f` is a regular file, else an errno saying why not. */
static int regular_file(FILE *f) {
    struct stat st;
    if (fstat(fileno(f), &st) < 0)
        return errno;
    return S_ISREG(st.st_mode) ? 0 : S_ISDIR(st.st_mode) ? EISDIR : EINVAL;
}

int schema_input_open(struct schema_input *in, const char *name, const char *path, const char *text, size_t len,
                    const char *what, struct nines_error *err) {
    memset(err, 0, sizeof *err);
    snprintf(err->file, sizeof err->file, "%s", name);
    in->file = NULL;
    if (path) {
        in->file = fopen(path, "re");
        int e = in->file ? regular_file(in->file) : errno;
        if (e) {
            if (in->file)
                fclose(in->file), in->file = NULL;
            snprintf(err->message, sizeof err->message, "cannot open %s: %s", what, strerror(e));
            return -e;
        }
    }
    if (!yaml_parser_initialize(&in->parser)) {
        if (in->file)
            fclose(in->file), in->file = NULL;
        return -ENOMEM;
    }
    if (in->file)
        yaml_parser_set_input_file(&in->parser, in->file);
    else
        yaml_parser_set_input_string(&in->parser, (const unsigned char *)text, len);
    return 0;
}

void schema_input_close(struct schema_input *in) {
    yaml_parser_delete(&in->parser);
    if (in->file)
        fclose(in->file), in->file = NULL;
}
