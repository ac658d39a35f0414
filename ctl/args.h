/*
 * args.h — ninesctl's command line: the table of commands (what each
 * takes, its help) and the parser that turns argv into a struct ctl_args,
 * then into the REQUEST argv of doc/control-protocol.md. All pure, so
 * every accepted and refused command line is a unit test.
 */
#ifndef NINES_CTL_ARGS_H
#define NINES_CTL_ARGS_H

#include <stdbool.h>
#include <stddef.h>

#include "ctl_proto.h"

enum ctl_command_id {
    CTL_CMD_STATUS,
    CTL_CMD_TOP,
    CTL_CMD_METRICS,
    CTL_CMD_DASHBOARD,
    CTL_CMD_CALL,
    CTL_CMD_CAST,
    CTL_CMD_RESTART,
    CTL_CMD_TERMINATE,
    CTL_CMD_SIGNAL,
    CTL_CMD_DELETE,
    CTL_CMD_START,
    CTL_CMD_START_CHILD,
    CTL_CMD_EVENTS,
    CTL_CMD_STOP,
    CTL_CMD_RELOAD,
    CTL_CMD_VERSION,
    CTL_CMD_UPGRADE,           /* a child: upgrade CHILD --module PATH */
    CTL_CMD_RELEASE_LIST,
    CTL_CMD_RELEASE_UNPACK,
    CTL_CMD_RELEASE_MAKE_PERMANENT,
    CTL_CMD_RELEASE_REMOVE,
    CTL_CMD_RELEASE_UPGRADE,   /* the tree: upgrade VERSION */
    CTL_CMD_RELEASE_DOWNGRADE, /* the tree: downgrade VERSION */
};

/* Options a command accepts besides the global ones. */
#define CTL_OPT_TIMEOUT 0x1u /* --timeout MS */
#define CTL_OPT_FOLLOW 0x2u  /* --follow */
#define CTL_OPT_MODULE 0x4u  /* --module PATH (required), --extra STRING */
#define CTL_OPT_DRY_RUN 0x8u /* --dry-run */
#define CTL_OPT_ID 0x10u     /* --id ID */
#define CTL_OPT_RESOURCES 0x20u /* --resources */
#define CTL_OPT_LISTEN 0x40u    /* --listen ADDR:PORT */

#define CTL_DEFAULT_TIMEOUT_MS 5000u

/*
 * A command as typed. Some are two words, a group and a subcommand
 * ("release list"); some names have two forms, told apart by their
 * options ("upgrade VERSION" and "upgrade CHILD --module PATH": the one
 * taking --module is chosen when --module or --extra is given).
 */
struct ctl_command {
    const char *name; /* as typed: "status", "release list" */
    const char *request; /* the protocol's command, when it is not `name` */
    enum ctl_command_id id;
    /* Positional arguments: names[i] for the i-th, for "missing NAME";
     * a command with variadic set takes any number after them. */
    const char *names[2];
    int required, optional;
    bool variadic; /* start-child's KEY=VALUE... */
    unsigned options;
    bool lines; /* the daemon's error message may list problems, one a line */
    const char *missing; /* the error for a missing first argument, if not "missing NAME" */
    const char *usage;   /* after "ninesctl ": "call CHILD REQUEST [--timeout MS]" */
    const char *summary; /* one line for the list in --help */
    const char *help;    /* `ninesctl COMMAND --help`: what it does, what it prints */
};

extern const struct ctl_command ctl_commands[];
extern const size_t ctl_n_commands;

/* The command named `name` (its first form), or NULL. */
const struct ctl_command *ctl_command_find(const char *name);

/* Whether `word` starts two-word commands ("release"). */
bool ctl_command_is_group(const char *word);

/* The form of c's command that takes --module (module true) or not; c
 * itself when it has no other form. */
const struct ctl_command *ctl_command_form(const struct ctl_command *c, bool module);

/* What the protocol calls c. */
const char *ctl_command_request(const struct ctl_command *c);

struct ctl_args {
    const char *socket; /* --socket; NULL: $NINES_SOCKET or the default */
    bool json, no_color, follow, dry_run, resources;
    bool help, version; /* --help (of cmd if set), --version */
    bool has_timeout;
    const char *module, *extra; /* upgrade --module, --extra */
    const char *id;             /* start-child --id */
    const char *listen;         /* dashboard --listen */
    unsigned timeout_ms;
    const struct ctl_command *cmd; /* NULL only with help or version */
    const char *group; /* "release" typed, waiting for its subcommand */
    const char *pos[CTL_MAX_ARGS]; /* the command's arguments, pointers into argv */
    int npos;
    /* A usage error: what went wrong, for "ninesctl: CMD: usage: ERROR". */
    char error[160];
};

/* Parse argv (argv[0] is the program). 0, or -EINVAL with a->error set
 * (a->cmd and a->json set as far as they were understood). Pure. */
int ctl_args_parse(struct ctl_args *a, int argc, char *const *argv);

/* The REQUEST argv for a parsed command line into req (room for
 * CTL_MAX_ARGS); `num` holds the text of a number it sends. argc. Pure. */
int ctl_args_request(const struct ctl_args *a, const char **req, char num[static 16]);

/* "restart web/listener": the command and its first argument, which
 * error lines start with. Pure. */
void ctl_args_what(const struct ctl_args *a, char *buf, size_t size);

#endif /* NINES_CTL_ARGS_H */
