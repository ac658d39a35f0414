/*
 * harness.h — running the real ninesd in integration tests: write a tree
 * file, start the daemon with its log on a pipe, wait (with a bound) for
 * log lines, signal it, and look at its processes through /proc.
 */
#ifndef NINES_HARNESS_H
#define NINES_HARNESS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#ifndef NINES_BUILD_DIR
#error "NINES_BUILD_DIR must name the build folder"
#endif

#define BUILD_PATH(rel) NINES_BUILD_DIR "/" rel

struct ninesd {
    pid_t pid;
    int log_fd;    /* read end of ninesd's stderr */
    char *log;     /* everything read so far */
    size_t len, cap;
    size_t cursor; /* ninesd_wait searches lines from here */
    bool exited;
    int status;    /* wait status once exited */
    char dir[256]; /* a temporary folder for tree files */
    char socket[300]; /* the control socket (DIR/control.sock unless given) */
};

/* Make a temporary folder and write `yaml` into DIR/tree.yaml; returns the
 * path in a static buffer. In `yaml`, "@BUILD@" stands for the build folder. */
const char *harness_write_tree(struct ninesd *n, const char *yaml);

/* Start build/ninesd with extra args (NULL-terminated) then the tree. */
void ninesd_start(struct ninesd *n, const char *tree, ...);
/* The same, run by `wrapper` (a NULL-terminated argv that execs what
 * follows it, such as systemd-socket-activate -l ADDR): n->pid is the
 * wrapper's, which is ninesd's once it has exec'd it. */
void ninesd_start_wrapped(struct ninesd *n, char *const *wrapper, const char *tree, ...);

/* Wait up to timeout_ms for a log line, after the cursor, that contains
 * every given substring (NULL-terminated list). Returns a copy of the line
 * (static buffer) and moves the cursor past it, or NULL on timeout. */
const char *ninesd_wait(struct ninesd *n, int timeout_ms, ...);

/* Count the lines read so far (whole log) that contain every substring. */
int ninesd_count(struct ninesd *n, ...);

/* Read whatever is available for up to ms milliseconds. */
void ninesd_pump(struct ninesd *n, int ms);

/* Wait for ninesd to exit; true if it did within timeout_ms. */
bool ninesd_wait_exit(struct ninesd *n, int timeout_ms);

/* SIGTERM, wait for the exit (bounded), free everything. Also used as the
 * teardown of every test; SIGKILLs whatever is left. */
void ninesd_stop(struct ninesd *n);
void ninesd_cleanup(struct ninesd *n);

/* logfmt field `key` of `line` into buf; false if absent. */
bool logfmt_field(const char *line, const char *key, char *buf, size_t size);
/* The pid=... field of a line, or -1. */
pid_t line_pid(const char *line);

bool process_alive(pid_t pid); /* exists and is not a zombie */
bool process_zombie(pid_t pid); /* ended, not reaped yet */
bool wait_process_gone(pid_t pid, int timeout_ms);
int count_zombie_children(pid_t parent);
bool wait_no_zombie_children(pid_t parent, int timeout_ms); /* false if one stays */
int count_children(pid_t parent); /* live, non-zombie workers (not the spare host, the launcher, the warden,
                                     the exec-ready process) */
int list_children(pid_t parent, pid_t *out, int max); /* live, non-zombie, spare, launcher and warden included */
bool is_spare_host(pid_t pid); /* an idle `nines-worker --spare` */
bool is_launcher(pid_t pid);   /* `nines-worker --launcher`, ninesd's fork server */
bool is_warden(pid_t pid);     /* `nines-worker --warden` (warden.h) */
bool is_exec_ready(pid_t pid); /* `nines-worker --ready` (supervisord/exec_ready.h) */
pid_t find_spare_host(pid_t parent, int timeout_ms); /* -1 if none appears */
pid_t find_launcher(pid_t parent, int timeout_ms);   /* -1 if none appears */
pid_t find_exec_ready(pid_t parent, int timeout_ms); /* -1 if none appears */



/* cmocka setup/teardown: *state is a fresh struct ninesd, cleaned after. */
int harness_setup(void **state);
int harness_teardown(void **state);

/* The pid of the next child_started line for child `id`, or -1. */
pid_t ninesd_wait_started(struct ninesd *n, const char *id, int timeout_ms);
/* The next line of `event` for child `id`, or NULL. */
const char *ninesd_wait_event(struct ninesd *n, const char *event, const char *id, int timeout_ms);
/* How many descriptors process `pid` holds (its /proc/PID/fd), or 0. */
int harness_count_fds(pid_t pid);
/* The parent of a process (/proc/PID/stat), or -1. */
pid_t harness_parent_of(pid_t pid);
#endif /* NINES_HARNESS_H */
