/*
 * nines-appup — the command line for appups (doc/appup.md): `check`
 * validates appup files; `generate` writes the appups the difference of
 * two releases needs (generate.c).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "appup.h"
#include "appup_tool.h"

#define EXIT_INVALID EXIT_USAGE /* an invalid file, or a wrong command line: as `ninesd --check` */

static const char usage[] =
    "usage: nines-appup check FILE...\n"
    "       nines-appup generate [--worker PATH] [--force] [--no-spec] OLD NEW [OUTDIR]\n"
    "       nines-appup --help | --version\n"
    "\n"
    "An appup (NAME.appup.yaml) says how application NAME goes up from older\n"
    "versions to its version, and down again: code swaps, restarts, children\n"
    "added, removed or changed, supervisor flags (doc/appup.md).\n"
    "\n"
    "commands:\n"
    "  check FILE...  validate each file as an appup: print 'FILE: ok' on\n"
    "                 stdout, or 'FILE:LINE:COLUMN: message' on stderr. Child\n"
    "                 specs are checked as in a tree file, their relative\n"
    "                 paths against the appup's folder. Exit 0 when every\n"
    "                 file is valid, 2 otherwise\n"
    "  generate OLD NEW [OUTDIR]\n"
    "                 write OUTDIR/NAME.appup.yaml (OUTDIR: the current\n"
    "                 folder) for each application whose version changes\n"
    "                 from release OLD to release NEW (release folders or\n"
    "                 manifests, specs too; not tarballs), for review: a\n"
    "                 code_change step when the module changed and the new\n"
    "                 one has code_change, else restart; add_child,\n"
    "                 remove_child, change_child and supervisor_flags for\n"
    "                 what differs between the trees; and the down entry\n"
    "                 that undoes it all. Exit 0 when written, 1 when a\n"
    "                 release cannot be read or the appups cannot be made\n"
    "                 or written, 2 for a wrong command line\n"
    "\n"
    "options:\n"
    "  --force        generate: replace existing appup files\n"
    "  --no-spec      generate: do not add the appups written to NEW's spec\n"
    "  --worker PATH  generate: the worker host that checks modules\n"
    "                 (default: beside this program, else\n"
    "                 " NINES_LIBEXECDIR "/nines-worker)\n"
    "  -h, --help     show this help\n"
    "  --version      show the version\n";

/* 0 if valid; prints the verdict either way. */
static int check_one(const char *path) {
    struct nines_appup *a = NULL;
    struct nines_error err;
    if (nines_appup_load(path, &a, &err) < 0) {
        char text[5000];
        nines_error_format(&err, text, sizeof text);
        fprintf(stderr, "%s\n", text);
        return -EINVAL;
    }
    printf("%s: ok\n", path);
    nines_appup_free(a);
    return 0;
}

/* Every file is checked, so that one run reports every broken one. */
static int check(int argc, char **argv) {
    int first = 0, status = 0;
    if (first < argc && strcmp(argv[first], "--") == 0)
        first++;
    else if (first < argc && argv[first][0] == '-' && argv[first][1]) {
        fprintf(stderr, "nines-appup: check: unknown option '%s'\n%s", argv[first], usage);
        return EXIT_INVALID;
    }
    if (first == argc) {
        fprintf(stderr, "nines-appup: check: expected at least one appup file\n%s", usage);
        return EXIT_INVALID;
    }
    for (int i = first; i < argc; i++)
        if (check_one(argv[i]) < 0)
            status = EXIT_INVALID;
    return status;
}

int main(int argc, char **argv) {
    const char *cmd = argc > 1 ? argv[1] : NULL;
    if (cmd && (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0)) {
        fputs(usage, stdout);
        return 0;
    }
    if (cmd && strcmp(cmd, "--version") == 0) {
        puts("nines-appup " NINES_VERSION);
        return 0;
    }
    if (cmd && strcmp(cmd, "check") == 0)
        return check(argc - 2, argv + 2);
    if (cmd && strcmp(cmd, "generate") == 0)
        return cmd_generate(argc - 2, argv + 2);
    if (cmd)
        fprintf(stderr, "nines-appup: unknown command '%s'\n%s", cmd, usage);
    else
        fprintf(stderr, "nines-appup: expected a command\n%s", usage);
    return EXIT_INVALID;
}
