/*
 * commands.c — the table of ninesctl's commands: one row per command of
 * doc/control-protocol.md, with what it takes and its help text. The
 * parser, the request builder and --help all read this one list.
 */
#include <string.h>

#include "args.h"

/* What every release upgrade and downgrade says about its options. */
#define INSTALL_OPTIONS                                                              \
    "--dry-run   print the plan (each step and its undo) and change nothing;\n"     \
    "            with --json, the plan as one JSON object\n"                        \
    "--json      one object at the end: release, from, to, result, the steps run\n" \
    "            and the steps undone\n"

const struct ctl_command ctl_commands[] = {
    {.name = "status", .id = CTL_CMD_STATUS, .names = {"CHILD"}, .optional = 1,
     .options = CTL_OPT_RESOURCES, .usage = "status [CHILD] [--resources]",
     .summary = "the tree, or the subtree at CHILD",
     .help = "Shows every node of the tree, or of the subtree at CHILD, as a tree with\n"
             "its kind, state, pid, version, uptime and restarts, each supervisor's\n"
             "restarts in its window against its limit (2/3 in 5s), each node's last\n"
             "exit and when, and what ninesd dropped or refused for a worker (DROPS,\n"
             "when anything was: casts dropped or refused, answers dropped or lost),\n"
             "then a summary. STATE says degraded for a child that\n"
             "crashed within its supervisor's period (and a supervisor with such a\n"
             "child), failed for one down after a crash, stopped for one down after a\n"
             "clean exit or a terminate.\n"
             "--resources, -r   each process's CPU time and memory (RSS, PSS) too,\n"
             "                  read from /proc now\n"
             "Exits 3 when a permanent child is not running, so a script or a health\n"
             "check can tell a degraded tree from a healthy one.\n"},
    {.name = "top", .request = "status", .id = CTL_CMD_TOP, .names = {"CHILD"}, .optional = 1,
     .usage = "top [CHILD]", .summary = "the tree live: restarts, CPU, memory, queues",
     .help = "The tree (or the subtree at CHILD) refreshed in place every second: per\n"
             "node its state (degraded, failed, stopped as in status), pid, CPU as a\n"
             "share of one core over the last second, resident memory, restarts,\n"
             "messages queued in ninesd for it, and its last exit. Keys: c sorts by\n"
             "CPU, m by memory, r by restarts, u by queued messages, t back to the\n"
             "tree's order; q (or Ctrl-C) quits. Not on a terminal, it prints one\n"
             "plain table a second (a header line, the table, a blank line).\n"},
    {.name = "metrics", .id = CTL_CMD_METRICS, .usage = "metrics",
     .summary = "the tree's metrics, Prometheus text format",
     .help = "Prints the tree in the Prometheus text exposition format (0.0.4): per\n"
             "node up, restarts, exits by kind, degraded, queued messages, casts\n"
             "dropped and refused, answers dropped and lost; per supervisor its window and intensity; per\n"
             "process CPU seconds, resident and proportional memory. For node_exporter's\n"
             "textfile collector (a timer writing it to a .prom file).\n"},
    {.name = "dashboard", .request = "status", .id = CTL_CMD_DASHBOARD, .options = CTL_OPT_LISTEN,
     .usage = "dashboard --listen ADDRESS:PORT", .summary = "the live tree in a browser (read-only)",
     .help = "Serves a web page of the live tree on ADDRESS:PORT (IPv4, e.g.\n"
             "127.0.0.1:8080): states, restarts, windows, versions and last exits,\n"
             "redrawn as events arrive (server-sent events), the last events below.\n"
             "Also GET /api/status (status --json), /events (one server-sent event per\n"
             "report) and /metrics (Prometheus text). Read-only: only GET, nothing can\n"
             "change the tree; served by this process, ninesd has no HTTP surface.\n"
             "Listen on loopback unless a proxy in front authenticates. Runs until\n"
             "SIGINT or SIGTERM.\n"},
    {.name = "call", .id = CTL_CMD_CALL, .names = {"CHILD", "REQUEST"}, .required = 2,
     .options = CTL_OPT_TIMEOUT, .usage = "call CHILD REQUEST [--timeout MS]",
     .summary = "a worker's handle_call; show the reply",
     .help = "Delivers REQUEST to the worker's handle_call and prints its reply as it is.\n"
             "--timeout MS   how long the daemon waits for the reply (default 5000)\n"},
    {.name = "cast", .id = CTL_CMD_CAST, .names = {"CHILD", "MESSAGE"}, .required = 2,
     .usage = "cast CHILD MESSAGE", .summary = "a message to a worker's handle_cast",
     .help = "Delivers MESSAGE to the worker's handle_cast; done once the worker has it.\n"},
    {.name = "restart", .id = CTL_CMD_RESTART, .names = {"CHILD"}, .required = 1, .usage = "restart CHILD",
     .summary = "start a terminated child again",
     .help = "OTP's restart_child: starts again a child that was terminated (see\n"
             "terminate). A running child is refused ('running').\n"},
    {.name = "signal", .id = CTL_CMD_SIGNAL, .names = {"CHILD", "SIGNAL"}, .required = 2,
     .usage = "signal CHILD SIGNAL", .summary = "send a signal to a running worker",
     .help = "Sends SIGNAL (a name: SIGHUP or HUP, USR1, RTMIN+N) to the child's main\n"
             "process, as systemctl kill --kill-whom=main does: a program's reload or\n"
             "log reopening (nginx: HUP, USR1). A supervisor, or a child that is not\n"
             "running, is refused. The supervisor's rules apply if the signal ends it:\n"
             "dying of SIGTERM (or of its stop_signal) is a shutdown, other deaths are\n"
             "crashes.\n"},
    {.name = "terminate", .id = CTL_CMD_TERMINATE, .names = {"CHILD"}, .required = 1,
     .usage = "terminate CHILD", .summary = "stop a child, keep its spec",
     .help = "OTP's terminate_child: stops the child, keeps its spec so that restart\n"
             "or delete can follow.\n"},
    {.name = "delete", .id = CTL_CMD_DELETE, .names = {"CHILD"}, .required = 1, .usage = "delete CHILD",
     .summary = "forget a terminated child's spec",
     .help = "OTP's delete_child: removes the spec of a terminated child from its\n"
             "supervisor.\n"},
    {.name = "start", .id = CTL_CMD_START, .names = {"SUPERVISOR", "SPEC"}, .required = 2,
     .usage = "start SUPERVISOR SPEC", .summary = "add a child to a static supervisor",
     .help = "OTP's start_child on a static supervisor. SPEC is one child in the tree\n"
             "file's YAML syntax, for example:\n"
             "  ninesctl start web '{id: cache, module: /srv/cache.so, args: {size: 64}}'\n"
             "Relative paths are relative to the daemon's tree file.\n"},
    {.name = "start-child", .id = CTL_CMD_START_CHILD, .names = {"SUPERVISOR"}, .required = 1,
     .variadic = true, .options = CTL_OPT_ID, .usage = "start-child SUPERVISOR [--id ID] [KEY=VALUE]...",
     .summary = "a new child of a dynamic supervisor",
     .help = "start_child on a dynamic supervisor: a new child from its template, with\n"
             "these args in place of the template's. Prints the new child's path.\n"
             "--id ID   the child's id ([A-Za-z0-9_.-]+; refused if a sibling has it);\n"
             "          without it the id is TEMPLATE-N, N counting up (skipping ids taken)\n"},
    {.name = "events", .id = CTL_CMD_EVENTS, .options = CTL_OPT_FOLLOW, .usage = "events [--follow]",
     .summary = "supervisor reports (--follow: live)",
     .help = "Shows the supervisor reports the daemon keeps (the last 1,000), one line\n"
             "each: time, level, event, child, reason, action, message.\n"
             "--follow   then every new report as it happens, until interrupted\n"},
    {.name = "stop", .id = CTL_CMD_STOP, .usage = "stop", .summary = "stop the tree and ninesd, as SIGTERM",
     .help = "Begins an orderly shutdown of the tree, as SIGTERM would; returns once\n"
             "it has begun.\n"},
    {.name = "reload", .id = CTL_CMD_RELOAD, .usage = "reload",
     .summary = "read the tree file again, apply what changed (SIGHUP)",
     .help = "Reads the daemon's tree file again and applies what changed to the running\n"
             "tree: new children are started, removed ones stopped, changed workers\n"
             "restarted on their new spec, supervisor flags set; children that did not\n"
             "change keep running. A file that does not load or whose modules are\n"
             "refused is refused with FILE:LINE:COLUMN and nothing changes (exit 1); if\n"
             "a change fails (a new child does not start), the changes made are undone\n"
             "and the tree runs the file it ran. SIGHUP does the same (systemctl reload).\n"},
    {.name = "upgrade", .id = CTL_CMD_UPGRADE, .names = {"CHILD"}, .required = 1, .options = CTL_OPT_MODULE,
     .usage = "upgrade CHILD --module PATH [--extra STRING]",
     .summary = "swap a worker's code live (or every child of a dynamic supervisor)",
     .help = "With --module, a live upgrade of one worker: it loads PATH beside its\n"
             "running code, checks it (ABI, application name, callbacks), hands its\n"
             "state to the new code's code_change (with STRING as `extra`) and goes on\n"
             "with the new code, keeping every connection. If anything fails, the\n"
             "running version goes on with its state, and the command says why (exit\n"
             "1). Going back down is the same command with the older module. Upgrades\n"
             "of one child are done one after the other. A later restart of the child\n"
             "runs PATH.\n"
             "When CHILD is a dynamic supervisor, every running child of it is\n"
             "upgraded so, one after the other, each printed as it ends; if one fails\n"
             "(it stays on its version), those already swapped are swapped back,\n"
             "latest first, so that all run one version (exit 1). Children started\n"
             "afterwards run PATH.\n"
             "--module PATH    the new version's .so (made absolute here)\n"
             "--extra STRING   handed to code_change (default: empty)\n"},
    {.name = "upgrade", .request = "release-install", .id = CTL_CMD_RELEASE_UPGRADE, .names = {"VERSION"},
     .required = 1, .options = CTL_OPT_DRY_RUN, .lines = true,
     .missing = "missing VERSION (a release upgrade) or CHILD --module PATH (a child upgrade)",
     .usage = "upgrade VERSION [--dry-run]", .summary = "upgrade the whole tree to release VERSION",
     .help = "Without --module, a release upgrade: runs the plan from the running\n"
             "release to VERSION, unpacked before (release unpack): code swaps,\n"
             "restarts, children added, removed or changed, printing each step as it\n"
             "completes. If a step fails, the steps done are undone, last first, and\n"
             "the tree stays on the running release (exit 1). Once VERSION has proved\n"
             "itself, release make-permanent VERSION makes ninesd boot it.\n" INSTALL_OPTIONS},
    {.name = "downgrade", .request = "release-install", .id = CTL_CMD_RELEASE_DOWNGRADE, .names = {"VERSION"},
     .required = 1, .options = CTL_OPT_DRY_RUN, .lines = true, .usage = "downgrade VERSION [--dry-run]",
     .summary = "take the whole tree back down to release VERSION",
     .help = "A release downgrade: back to the older release VERSION by the `down`\n"
             "instructions of the running release's appups; otherwise as upgrade\n"
             "VERSION, undoing what was done if a step fails.\n" INSTALL_OPTIONS},
    {.name = "release list", .request = "release-list", .id = CTL_CMD_RELEASE_LIST, .lines = true,
     .usage = "release list", .summary = "the releases ninesd has, * the running one",
     .help = "Lists the releases in ninesd's releases folder (ninesd --releases DIR):\n"
             "name, version and status (permanent: the one ninesd boots); * marks the\n"
             "one the tree runs. --json gives each one's folder too.\n"},
    {.name = "release unpack", .request = "release-unpack", .id = CTL_CMD_RELEASE_UNPACK, .names = {"PATH"},
     .required = 1, .lines = true, .usage = "release unpack PATH",
     .summary = "verify a release and add it to ninesd's releases",
     .help = "Verifies the release at PATH (a tarball of nines-release build, or its\n"
             "folder) and copies it into ninesd's releases folder, ready for upgrade\n"
             "VERSION; nothing running changes. PATH is made absolute here and must\n"
             "exist. On a terminal each phase is shown as it begins. A release that\n"
             "does not verify is refused with its problems, one a line (exit 1).\n"},
    {.name = "release make-permanent", .request = "release-make-permanent",
     .id = CTL_CMD_RELEASE_MAKE_PERMANENT, .names = {"VERSION"}, .required = 1, .lines = true,
     .usage = "release make-permanent VERSION", .summary = "the release ninesd boots from now on",
     .help = "Makes VERSION the permanent release: the one ninesd boots when it starts\n"
             "again. Usually after upgrade VERSION, once the new version has proved\n"
             "itself.\n"},
    {.name = "release remove", .request = "release-remove", .id = CTL_CMD_RELEASE_REMOVE, .names = {"VERSION"},
     .required = 1, .lines = true, .usage = "release remove VERSION",
     .summary = "delete a release ninesd no longer needs",
     .help = "Deletes VERSION from ninesd's releases folder. The running and the\n"
             "permanent release are refused.\n"},
    {.name = "version", .id = CTL_CMD_VERSION, .usage = "version", .summary = "the daemon's version",
     .help = "Shows the running daemon's version and protocol (ninesctl --version\n"
             "shows this program's).\n"},
};

const size_t ctl_n_commands = sizeof ctl_commands / sizeof ctl_commands[0];

const struct ctl_command *ctl_command_find(const char *name) {
    for (size_t i = 0; i < ctl_n_commands; i++)
        if (strcmp(ctl_commands[i].name, name) == 0)
            return &ctl_commands[i];
    return NULL;
}

bool ctl_command_is_group(const char *word) {
    size_t n = strlen(word);
    for (size_t i = 0; i < ctl_n_commands; i++)
        if (strncmp(ctl_commands[i].name, word, n) == 0 && ctl_commands[i].name[n] == ' ')
            return true;
    return false;
}

const struct ctl_command *ctl_command_form(const struct ctl_command *c, bool module) {
    for (size_t i = 0; i < ctl_n_commands; i++) {
        const struct ctl_command *f = &ctl_commands[i];
        if (strcmp(f->name, c->name) == 0 && ((f->options & CTL_OPT_MODULE) != 0) == module)
            return f;
    }
    return c;
}

const char *ctl_command_request(const struct ctl_command *c) {
    return c->request ? c->request : c->name;
}
