/*
 * nines-release — build, inspect and verify releases (doc/releases.md).
 * Each command is in its own file; this one reads the command line.
 */
#include <stdio.h>
#include <string.h>

#include "release.h"
#include "worker_path.h"

static const char usage[] =
    "usage: nines-release build [--force] [--no-verify] [--worker PATH] SPEC.yaml OUTDIR\n"
    "       nines-release inspect [--json] RELEASE\n"
    "       nines-release verify [--worker PATH] RELEASE\n"
    "       nines-release --help | --version\n"
    "\n"
    "A release is a folder NAME-VERSION/ with a manifest, release.yaml, that\n"
    "names the tree, each application's version and .so, the appups, and the\n"
    "SHA-256 of every file; and a tarball NAME-VERSION.tar.gz of that folder.\n"
    "RELEASE is a release folder or tarball (doc/releases.md).\n"
    "\n"
    "commands:\n"
    "  build      copy what SPEC.yaml (a manifest without 'files') names into\n"
    "             OUTDIR/NAME-VERSION/, write its release.yaml with the\n"
    "             checksums, verify it and write OUTDIR/NAME-VERSION.tar.gz\n"
    "  inspect    print what a release's manifest says (--json for programs)\n"
    "  verify     check the checksums, that no file is unlisted, that the tree\n"
    "             loads and names only the release's modules, and that each\n"
    "             module loads in a throw-away worker host with the name and\n"
    "             version the manifest says\n"
    "\n"
    "options:\n"
    "  --force        build: replace an existing release of the same version\n"
    "  --no-verify    build: do not verify the result\n"
    "  --json         inspect: one JSON object on stdout\n"
    "  --worker PATH  the worker host that checks modules (default: beside\n"
    "                 this program, else " NINES_LIBEXECDIR "/nines-worker)\n"
    "\n"
    "Problems are printed on stderr, one a line: 'FILE: what' or\n"
    "'FILE:LINE:COLUMN: what'. Exit status: 0 ok, 1 the release is not valid\n"
    "(or could not be read or written), 2 a wrong command line.\n";

int cmd_verify(int argc, char **argv) {
    const char *worker = NULL, *arg = NULL;
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--worker") == 0 && i + 1 < argc)
            worker = argv[++i];
        else if (argv[i][0] == '-' || arg) {
            fprintf(stderr, "nines-release: verify: unexpected '%s'\n%s", argv[i], usage);
            return EXIT_USAGE;
        } else
            arg = argv[i];
    }
    if (!arg) {
        fprintf(stderr, "nines-release: verify: expected a release\n%s", usage);
        return EXIT_USAGE;
    }
    struct problems p = {0};
    struct release_dir rd;
    if (release_open(arg, &rd, &p) == 0) {
        p.real = rd.dir, p.shown = rd.shown;
        verify_release(&rd, worker ? worker : nines_worker_default_path(), &p);
    }
    release_close(&rd);
    if (p.count == 0)
        printf("%s: ok\n", arg);
    return p.count ? EXIT_PROBLEMS : 0;
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fputs(usage, stderr);
        return EXIT_USAGE;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "-h") == 0 || strcmp(cmd, "--help") == 0) {
        fputs(usage, stdout);
        return 0;
    }
    if (strcmp(cmd, "--version") == 0) {
        printf("nines-release %s\n", NINES_VERSION);
        return 0;
    }
    if (strcmp(cmd, "build") == 0)
        return cmd_build(argc - 2, argv + 2);
    if (strcmp(cmd, "inspect") == 0)
        return cmd_inspect(argc - 2, argv + 2);
    if (strcmp(cmd, "verify") == 0)
        return cmd_verify(argc - 2, argv + 2);
    fprintf(stderr, "nines-release: unknown command '%s'\n%s", cmd, usage);
    return EXIT_USAGE;
}
