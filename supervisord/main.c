/*
 * ninesd — run a supervision tree of shared-object workers.
 */
#include <errno.h>
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "child_proc.h"
#include "daemon.h"
#include "control_limits.h"
#include "fd_budget.h"
#include "launcher.h"
#include "log.h"
#include "preflight.h"
#include "release_handler.h"
#include "tree.h"
#include "tarball_limits.h"
#include "yaml_limits.h"
#include "worker_path.h"

#define EXIT_USAGE 2

static const char usage[] =
    "usage: ninesd [OPTIONS] TREE.yaml\n"
    "       ninesd [OPTIONS] --releases DIR\n"
    "\n"
    "Run the supervision tree declared in TREE.yaml until SIGTERM or SIGINT\n"
    "(exit 0 after an orderly shutdown) or until the root supervisor gives up\n"
    "(exit 1). An invalid tree file exits 2 with FILE:LINE:COLUMN: error.\n"
    "SIGHUP (ninesctl reload) reads TREE.yaml again and applies the difference.\n"
    "With --releases, run the permanent release of DIR instead (doc/releases.md):\n"
    "its releases are unpacked, upgraded to and made permanent with\n"
    "ninesctl release ... and ninesctl upgrade VERSION.\n"
    "\n"
    "options:\n"
    "  --releases DIR       the releases folder: state.yaml, DIR/NAME/VERSION/, and\n"
    "                       releases arriving as NAME-VERSION.tar.gz or NAME-VERSION/\n"
    "                       (watched: they are verified and unpacked). The first\n"
    "                       boot makes the only release in DIR permanent\n"
    "  --auto-upgrade       upgrade to a release as soon as it arrives in DIR\n"
    "  --release-tool PATH  the nines-release program (default: beside ninesd,\n"
    "                       else " NINES_BINDIR "/nines-release)\n"
    "  --check              validate TREE.yaml and load-check every module\n"
    "                       in a throw-away worker host, then exit (0 valid,\n"
    "                       2 invalid); a tree is always checked so before it\n"
    "                       starts\n"
    "  --log-target T       auto (journal under systemd, else stderr), stderr, journal\n"
    "  --worker PATH        the worker host program (default: beside ninesd,\n"
    "                       else " NINES_LIBEXECDIR "/nines-worker)\n"
    "  --socket PATH        the control socket (default: $RUNTIME_DIRECTORY/control.sock,\n"
    "                       else /run/nines/control.sock as root, else\n"
    "                       $XDG_RUNTIME_DIR/nines/control.sock, else /tmp/nines-UID/)\n"
    "  --control-group G    members of group G may read status and events\n"
    "  --no-control         no control socket (ninesctl cannot reach this ninesd)\n"
    "  --max-connections N  control connections kept at once (default 256); at\n"
    "                       the cap a new one replaces the longest idle one\n"
    "  --idle-timeout SECS  close a control connection idle this long (no\n"
    "                       request in flight, not following), or one that takes\n"
    "                       nothing of its answer this long; default 60, 0: never\n"
    "  --max-snapshot BYTES the largest state a live upgrade may carry\n"
    "                       (default 268435456; suffixes K, M, G)\n"
    "  --yaml-limits SPEC   raise the limits of every YAML file read (the tree,\n"
    "                       child specs, releases, appups; passed on to\n"
    "                       nines-release); SPEC is NAME=N[,NAME=N...] of\n"
    "                       size (bytes, default 16M; K, M, G),\n"
    "                       nodes (1000000), aliases (nodes reached through\n"
    "                       aliases, 1000000), depth (128), args (of a child, 10000)\n"
    "  --tarball-limits SPEC raise the limits of a release tarball unpacked (passed\n"
    "                       on to nines-release): size (of its files, bytes,\n"
    "                       default 1G; K, M, G), members (files and folders, 10000)\n"
    "  --no-spare           do not keep a warm worker host ready for the next\n"
    "                       (re)start: one process fewer, slower restarts\n"
    "  --no-launcher        spawn every child from ninesd itself instead of\n"
    "                       through its launcher (nines-worker --launcher): one\n"
    "                       process fewer, spawns that slow down as the tree grows\n"
    "  --exec-hosts         exec every worker host (nines-worker) afresh instead of\n"
    "                       forking it from the already linked launcher: each host\n"
    "                       its own address-space layout, slower starts and spares\n"
    "  --cgroups MODE       a cgroup per child, so that everything a child starts\n"
    "                       is stopped with it: auto (when ninesd's cgroup v2 is\n"
    "                       writable and delegated: Delegate=yes), on (wherever\n"
    "                       writable, a container's own; fail to start if it\n"
    "                       cannot), off\n"
    "  -h, --help           show this help\n"
    "  --version            show the version\n";

struct options {
    bool check;
    const char *tree;
    const char *worker;
    bool no_spare;
    bool no_launcher;
    bool exec_hosts;
    enum nines_cgroup_mode cgroups;
    bool no_control;
    const char *socket_path;
    const char *control_group;
    uint64_t max_snapshot;
    size_t max_connections;
    int64_t idle_timeout_ms;
    enum nines_log_target log_target;
    const char *releases;
    const char *release_tool;
    bool auto_upgrade;
};

/* "4096", "64K", "256M", "1G". */
static int parse_size(const char *text, uint64_t *out) {
    char *end;
    errno = 0;
    unsigned long long v = strtoull(text, &end, 10);
    unsigned shift = *end == 'K' ? 10 : *end == 'M' ? 20 : *end == 'G' ? 30 : 0;
    if (shift)
        end++;
    if (errno || end == text || *end || v == 0 || text[0] == '-' || v > (UINT64_MAX >> shift))
        return -EINVAL;
    *out = (uint64_t)v << shift;
    return 0;
}

/* --max-connections N (1-65536) or --idle-timeout SECONDS (0-86400). */
static int parse_limit(int opt, const char *text, struct options *o) {
    char *end;
    errno = 0;
    unsigned long v = strtoul(text, &end, 10);
    bool conns = opt == 'C';
    if (errno || end == text || *end || text[0] == '-' || (conns ? v < 1 || v > 65536 : v > 86400)) {
        fprintf(stderr, conns ? "ninesd: invalid --max-connections '%s' (a number from 1 to 65536)\n"
                              : "ninesd: invalid --idle-timeout '%s' (seconds from 0 to 86400; 0: never)\n",
                text);
        return -EINVAL;
    }
    if (conns)
        o->max_connections = v;
    else
        o->idle_timeout_ms = v ? (int64_t)v * 1000 : -1;
    return 0;
}

static int parse_options(int argc, char **argv, struct options *o) {
    static const struct option longopts[] = {
        {"check", no_argument, NULL, 'c'},     {"log-target", required_argument, NULL, 'l'},
        {"worker", required_argument, NULL, 'w'}, {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},   {"no-spare", no_argument, NULL, 's'},
        {"no-launcher", no_argument, NULL, 'L'},  {"cgroups", required_argument, NULL, 'G'},
        {"socket", required_argument, NULL, 'S'}, {"control-group", required_argument, NULL, 'g'},
        {"no-control", no_argument, NULL, 'n'}, {"max-snapshot", required_argument, NULL, 'm'},
        {"releases", required_argument, NULL, 'r'}, {"auto-upgrade", no_argument, NULL, 'a'},
        {"release-tool", required_argument, NULL, 't'}, {"max-connections", required_argument, NULL, 'C'},
        {"idle-timeout", required_argument, NULL, 'I'}, {"yaml-limits", required_argument, NULL, 'Y'},
        {"tarball-limits", required_argument, NULL, 'T'}, {"exec-hosts", no_argument, NULL, 'E'}, {0},
    };
    int c;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (c) {
        case 'c': o->check = true; break;
        case 'w': o->worker = optarg; break;
        case 's': o->no_spare = true; break;
        case 'L': o->no_launcher = true; break;
        case 'E': o->exec_hosts = true; break;
        case 'G':
            if (nines_cgroup_mode_parse(optarg, &o->cgroups) < 0) {
                fprintf(stderr, "ninesd: invalid --cgroups '%s' (allowed: auto, on, off)\n", optarg);
                return -EINVAL;
            }
            break;
        case 'S': o->socket_path = optarg; break;
        case 'g': o->control_group = optarg; break;
        case 'n': o->no_control = true; break;
        case 'r': o->releases = optarg; break;
        case 'a': o->auto_upgrade = true; break;
        case 't': o->release_tool = optarg; break;
        case 'Y': {
            char why[256];
            if (yaml_limits_parse(&yaml_limits, optarg, why, sizeof why) < 0) {
                fprintf(stderr, "ninesd: invalid --yaml-limits %s\n", why);
                return -EINVAL;
            }
            break;
        }
        case 'T': {
            char why[256];
            if (tarball_limits_parse(&tarball_limits, optarg, why, sizeof why) < 0) {
                fprintf(stderr, "ninesd: invalid --tarball-limits %s\n", why);
                return -EINVAL;
            }
            break;
        }
        case 'm':
            if (parse_size(optarg, &o->max_snapshot) < 0) {
                fprintf(stderr, "ninesd: invalid --max-snapshot '%s' (a number of bytes from 1, with K, M or G)\n",
                        optarg);
                return -EINVAL;
            }
            break;
        case 'C':
        case 'I':
            if (parse_limit(c, optarg, o) < 0)
                return -EINVAL;
            break;
        case 'l':
            if (nines_log_target_parse(optarg, &o->log_target) < 0) {
                fprintf(stderr, "ninesd: invalid --log-target '%s' (allowed: auto, stderr, journal)\n", optarg);
                return -EINVAL;
            }
            break;
        case 'h': fputs(usage, stdout); exit(0);
        case 'V': puts("ninesd " NINES_VERSION); exit(0);
        default: fputs(usage, stderr); return -EINVAL;
        }
    }
    if (o->releases && (optind != argc || o->check)) {
        fprintf(stderr, "ninesd: --releases runs the permanent release: no tree file%s\n",
                o->check ? " (check a release with nines-release verify)" : "");
        return -EINVAL;
    }
    if ((o->auto_upgrade || o->release_tool) && !o->releases) {
        fprintf(stderr, "ninesd: --auto-upgrade and --release-tool go with --releases DIR\n");
        return -EINVAL;
    }
    if (!o->releases && optind != argc - 1) {
        fprintf(stderr, "ninesd: expected exactly one tree file\n%s", usage);
        return -EINVAL;
    }
    o->tree = o->releases ? NULL : argv[optind];
    return 0;
}

/* The soft descriptor limit raised to the hard one, and the tree counted
 * against it before anything is spawned (fd_budget.h). */
static int check_descriptors(const struct nines_tree *tree, uint64_t connections, struct nines_error *err) {
    uint64_t limit, orig_soft;
    if (fd_budget_raise(&limit, &orig_soft) < 0)
        return 0; /* no limit to read: nothing to check against */
    struct fd_budget b;
    fd_budget_count(tree, connections, &b);
    if (fd_budget_check(tree, &b, limit, err) < 0)
        return -EMFILE;
    worker_spawn_set_nofile(orig_soft < limit ? orig_soft : 0);
    return 0;
}

/* The log, then what starts before the tree is read (daemon_prestart):
 * 0, or the exit code. */
static int start_early(const struct options *o, struct daemon *d, const struct daemon_options *dopt) {
    nines_log_setup(o->log_target);
    char journal_why[300];
    if (nines_log_to_journal() && nines_log_journal_check(journal_why, sizeof journal_why) < 0) {
        fprintf(stderr, "ninesd: --log-target %s: %s\n", o->log_target == NINES_LOG_TARGET_AUTO ? "auto" : "journal",
                journal_why);
        return EXIT_USAGE;
    }
    int r = daemon_prestart(d, dopt);
    if (r < 0) {
        fprintf(stderr, "ninesd: cannot start: %s\n", strerror(-r));
        daemon_free(d);
        return 1;
    }
    return 0;
}

static void refuse(const struct nines_error *err) {
    char text[5000];
    nines_error_format(err, text, sizeof text);
    fprintf(stderr, "%s\n", text);
}

/* A tree refused before it starts: what started early is stopped (the
 * spare the launcher has made by now is taken, to be killed and reaped
 * with the rest). */
static int stop_early(const struct options *o, struct daemon *d, int code) {
    if (o->check)
        return code;
    launcher_claim(d);
    daemon_free(d);
    return code;
}

int main(int argc, char **argv) {
    struct options o = {.log_target = NINES_LOG_TARGET_AUTO};
    if (parse_options(argc, argv, &o) < 0)
        return EXIT_USAGE;
    const char *worker = o.worker ? o.worker : nines_worker_default_path();
    struct release_options ropt = {.dir = o.releases, .worker = worker, .auto_upgrade = o.auto_upgrade,
                                   .tool = o.release_tool ? o.release_tool : nines_release_tool_default_path()};
    struct release_boot boot;
    if (o.releases) {
        char why[4096];
        if (release_boot(&ropt, &boot, why, sizeof why) < 0) {
            fprintf(stderr, "ninesd: %s\n", why);
            return 1;
        }
        o.tree = boot.tree;
    }
    struct daemon_options dopt = {.worker_path = worker,
                                  .no_spare = o.no_spare,
                                  .no_launcher = o.no_launcher,
                                  .exec_hosts = o.exec_hosts,
                                  .cgroups = o.cgroups,
                                  .socket_path = o.socket_path,
                                  .control_group = o.control_group,
                                  .no_control = o.no_control,
                                  .max_connections = o.max_connections,
                                  .idle_timeout_ms = o.idle_timeout_ms,
                                  .max_snapshot = o.max_snapshot};
    struct daemon d = {0};
    int r = o.check ? 0 : start_early(&o, &d, &dopt);
    if (r != 0)
        return r;
    struct nines_tree *tree = NULL;
    struct nines_error err = {0};
    if (nines_tree_load(o.tree, &tree, &err) < 0) {
        refuse(&err);
        return stop_early(&o, &d, EXIT_USAGE);
    }
    uint64_t connections = o.no_control ? 0 : o.max_connections ? o.max_connections : CONTROL_MAX_CONNECTIONS;
    struct preflight *checks = NULL;
    if (check_descriptors(tree, connections, &err) < 0 ||
        (o.check ? preflight_check(tree, worker, &err) : preflight_begin(tree, worker, &checks, &err)) < 0) {
        refuse(&err);
        nines_tree_free(tree);
        return stop_early(&o, &d, EXIT_USAGE);
    }
    if (o.check) {
        printf("%s: ok\n", o.tree);
        nines_tree_free(tree);
        return 0;
    }
    /* The modules are loaded by their checkers meanwhile: the verdict
     * comes before anything of the tree starts, and before a failure of
     * the start (a refused module is the tree's error, as it was). */
    dopt.budget_connections = connections;
    r = daemon_init(&d, tree, &dopt);
    if (preflight_end(checks, &err) < 0) {
        refuse(&err);
        return stop_early(&o, &d, EXIT_USAGE); /* d holds the tree */
    }
    if (r < 0) {
        fprintf(stderr, "ninesd: cannot start: %s\n", strerror(-r));
        daemon_free(&d);
        return 1;
    }
    char why[4096];
    if (o.releases && releases_start(&d, &ropt, &boot, why, sizeof why) < 0) {
        fprintf(stderr, "ninesd: %s\n", why);
        daemon_free(&d);
        return 1;
    }
    int code = daemon_run(&d);
    daemon_free(&d);
    return code;
}
