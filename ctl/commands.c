/*
 * commands.c — the table of ninesctl's commands: one row per command of
 * doc/control-protocol.md, with what it takes and its help text. The
 * parser, the request builder and --help all read this one list.
 */
#include <string.h>

#include "args.h"

const struct ctl_command ctl_commands[] = {
    {"status", CTL_CMD_STATUS, {"CHILD"}, 0, 1, false, 0, "status [CHILD]",
     "the tree, or the subtree at CHILD",
     "Shows every node of the tree, or of the subtree at CHILD, as a tree with\n"
     "its kind, state, pid, version, uptime and restarts, then a summary.\n"
     "Exits 3 when a permanent child is not running, so a script or a health\n"
     "check can tell a degraded tree from a healthy one.\n"},
    {"call", CTL_CMD_CALL, {"CHILD", "REQUEST"}, 2, 0, false, CTL_OPT_TIMEOUT,
     "call CHILD REQUEST [--timeout MS]", "a worker's handle_call; show the reply",
     "Delivers REQUEST to the worker's handle_call and prints its reply as it is.\n"
     "--timeout MS   how long the daemon waits for the reply (default 5000)\n"},
    {"cast", CTL_CMD_CAST, {"CHILD", "MESSAGE"}, 2, 0, false, 0, "cast CHILD MESSAGE",
     "a message to a worker's handle_cast",
     "Delivers MESSAGE to the worker's handle_cast; done once the worker has it.\n"},
    {"restart", CTL_CMD_RESTART, {"CHILD"}, 1, 0, false, 0, "restart CHILD",
     "start a terminated child again",
     "OTP's restart_child: starts again a child that was terminated (see\n"
     "terminate). A running child is refused ('running').\n"},
    {"terminate", CTL_CMD_TERMINATE, {"CHILD"}, 1, 0, false, 0, "terminate CHILD",
     "stop a child, keep its spec",
     "OTP's terminate_child: stops the child, keeps its spec so that restart\n"
     "or delete can follow.\n"},
    {"delete", CTL_CMD_DELETE, {"CHILD"}, 1, 0, false, 0, "delete CHILD",
     "forget a terminated child's spec",
     "OTP's delete_child: removes the spec of a terminated child from its\n"
     "supervisor.\n"},
    {"start", CTL_CMD_START, {"SUPERVISOR", "SPEC"}, 2, 0, false, 0, "start SUPERVISOR SPEC",
     "add a child to a static supervisor",
     "OTP's start_child on a static supervisor. SPEC is one child in the tree\n"
     "file's YAML syntax, for example:\n"
     "  ninesctl start web '{id: cache, module: /srv/cache.so, args: {size: 64}}'\n"
     "Relative paths are relative to the daemon's tree file.\n"},
    {"start-child", CTL_CMD_START_CHILD, {"SUPERVISOR"}, 1, 0, true, 0,
     "start-child SUPERVISOR [KEY=VALUE]...",
     "a new child of a dynamic supervisor",
     "start_child on a dynamic supervisor: a new child from its template, with\n"
     "these args in place of the template's. Prints the new child's path.\n"},
    {"events", CTL_CMD_EVENTS, {NULL}, 0, 0, false, CTL_OPT_FOLLOW, "events [--follow]",
     "supervisor reports (--follow: live)",
     "Shows the supervisor reports the daemon keeps (the last 1,000), one line\n"
     "each: time, level, event, child, reason, action, message.\n"
     "--follow   then every new report as it happens, until interrupted\n"},
    {"stop", CTL_CMD_STOP, {NULL}, 0, 0, false, 0, "stop", "stop the tree and ninesd, as SIGTERM",
     "Begins an orderly shutdown of the tree, as SIGTERM would; returns once\n"
     "it has begun.\n"},
    {"upgrade", CTL_CMD_UPGRADE, {"CHILD"}, 1, 0, false, CTL_OPT_MODULE,
     "upgrade CHILD --module PATH [--extra STRING]", "swap a running worker's code, keeping its state",
     "A live upgrade: the worker loads PATH beside its running code, checks it\n"
     "(ABI, application name, callbacks), hands its state to the new code's\n"
     "code_change (with STRING as `extra`) and goes on with the new code,\n"
     "keeping every connection. If anything fails, the running version goes\n"
     "on with its state, and the command says why (exit 1). Going back down is\n"
     "the same command with the older module. Upgrades of one child are done\n"
     "one after the other. A later restart of the child runs PATH.\n"
     "--module PATH    the new version's .so (made absolute here)\n"
     "--extra STRING   handed to code_change (default: empty)\n"},
    {"version", CTL_CMD_VERSION, {NULL}, 0, 0, false, 0, "version", "the daemon's version",
     "Shows the running daemon's version and protocol (ninesctl --version\n"
     "shows this program's).\n"},
};

const size_t ctl_n_commands = sizeof ctl_commands / sizeof ctl_commands[0];

const struct ctl_command *ctl_command_find(const char *name) {
    for (size_t i = 0; i < ctl_n_commands; i++)
        if (strcmp(ctl_commands[i].name, name) == 0)
            return &ctl_commands[i];
    return NULL;
}
