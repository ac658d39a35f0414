/*
 * nines-release — build, inspect, verify and unpack releases
 * (doc/releases.md). Each command is in its own file; this one holds the
 * table of commands, reads the command line by it (args.c) and prints the
 * help.
 */
#include <stdio.h>
#include <string.h>

#include "release.h"
#include "tarball_limits.h"
#include "yaml_limits.h"

#define LIMIT_OPTIONS ((1u << OPT_YAML_LIMITS) | (1u << OPT_TARBALL_LIMITS))
#define VERIFY_OPTIONS ((1u << OPT_WORKER) | (1u << OPT_PREVIOUS) | LIMIT_OPTIONS)

static const struct command commands[] = {
    {"build", cmd_build, (1u << OPT_FORCE) | (1u << OPT_NO_VERIFY) | VERIFY_OPTIONS, {"SPEC.yaml", "OUTDIR"},
     "copy what SPEC.yaml (a manifest without 'files') names into\n"
     "OUTDIR/NAME-VERSION/, write its release.yaml with the\n"
     "checksums, verify it and write OUTDIR/NAME-VERSION.tar.gz"},
    {"inspect", cmd_inspect, (1u << OPT_JSON) | LIMIT_OPTIONS, {"RELEASE"},
     "print what a release's manifest says (--json for programs)"},
    {"verify", cmd_verify, VERIFY_OPTIONS, {"RELEASE"},
     "check the checksums, that no file is unlisted, that the tree\n"
     "loads and names only the release's modules, that each module\n"
     "loads in a throw-away worker host with the name and version\n"
     "the manifest says, and that each appup loads and is of one of\n"
     "the release's applications at its version; with --previous,\n"
     "that the appups lead from that release to this one and back"},
    {"unpack", cmd_unpack, VERIFY_OPTIONS, {"RELEASE", "DIR"},
     "verify RELEASE as verify does, then copy it into\n"
     "DIR/NAME/VERSION/, whole or not at all, and print\n"
     "'unpacked NAME VERSION PATH' (the release handler's unpack)"},
};
#define N_COMMANDS (sizeof commands / sizeof commands[0])

static const char intro[] =
    "A release is a folder NAME-VERSION/ with a manifest, release.yaml, that\n"
    "names the tree, each application's version and .so, the appups, and the\n"
    "SHA-256 of every file; and a tarball NAME-VERSION.tar.gz of that folder.\n"
    "RELEASE is a release folder or tarball (doc/releases.md).\n";

static const char outro[] =
    "Problems are printed on stderr, one a line: 'FILE: what' or\n"
    "'FILE:LINE:COLUMN: what'. Exit status: 0 ok, 1 the release is not valid\n"
    "(or could not be read or written), 2 a wrong command line.\n";

static void print_synopsis(FILE *f, const struct command *c, const char *lead) {
    char line[256];
    args_synopsis(c, line, sizeof line);
    fprintf(f, "%snines-release %s\n", lead, line);
}

/* Lines of `text`, the first after `head` in a column `width` wide, the
 * others below it. */
static void print_column(FILE *f, const char *head, int width, const char *text) {
    for (const char *s = text; *s;) {
        size_t n = strcspn(s, "\n");
        fprintf(f, "  %-*s%.*s\n", width, s == text ? head : "", (int)n, s);
        s += n + (s[n] == '\n');
    }
}

static void usage(FILE *f) {
    unsigned all = 0;
    for (size_t i = 0; i < N_COMMANDS; i++) {
        print_synopsis(f, &commands[i], i ? "       " : "usage: ");
        all |= commands[i].options;
    }
    fprintf(f, "       nines-release COMMAND --help\n       nines-release --help | --version\n\n%s\ncommands:\n",
            intro);
    for (size_t i = 0; i < N_COMMANDS; i++)
        print_column(f, commands[i].name, 11, commands[i].summary);
    fputs("\noptions:\n", f);
    args_print_options(f, all);
    fprintf(f, "\n%s", outro);
}

static void command_help(const struct command *c) {
    print_synopsis(stdout, c, "usage: ");
    putchar('\n');
    print_column(stdout, "", 0, c->summary);
    if (c->options) {
        fputs("\noptions:\n", stdout);
        args_print_options(stdout, c->options);
    }
    printf("\n%s", outro);
}

static int run(const struct command *c, int argc, char **argv) {
    struct args a;
    char why[256];
    if (args_parse(c, argc, argv, &a, why, sizeof why) < 0) {
        fprintf(stderr, "nines-release: %s: %s\n", c->name, why);
        print_synopsis(stderr, c, "usage: ");
        return EXIT_USAGE;
    }
    if (a.help) {
        command_help(c);
        return 0;
    }
    if (a.yaml_limits && yaml_limits_parse(&yaml_limits, a.yaml_limits, why, sizeof why) < 0) {
        fprintf(stderr, "nines-release: %s: invalid --yaml-limits %s\n", c->name, why);
        return EXIT_USAGE;
    }
    if (a.tarball_limits && tarball_limits_parse(&tarball_limits, a.tarball_limits, why, sizeof why) < 0) {
        fprintf(stderr, "nines-release: %s: invalid --tarball-limits %s\n", c->name, why);
        return EXIT_USAGE;
    }
    return c->run(&a);
}

int main(int argc, char **argv) {
    if (argc < 2) {
        usage(stderr);
        return EXIT_USAGE;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "-h") == 0 || strcmp(cmd, "--help") == 0) {
        usage(stdout);
        return 0;
    }
    if (strcmp(cmd, "--version") == 0) {
        printf("nines-release %s\n", NINES_VERSION);
        return 0;
    }
    for (size_t i = 0; i < N_COMMANDS; i++)
        if (strcmp(cmd, commands[i].name) == 0)
            return run(&commands[i], argc - 2, argv + 2);
    fprintf(stderr, "nines-release: unknown command '%s'\n", cmd);
    usage(stderr);
    return EXIT_USAGE;
}
