/*
 * bench_common.h — what every benchmark needs: a clock, percentiles, and
 * the real ninesd started on a tree with its log read line by line.
 */
#ifndef NINES_BENCH_COMMON_H
#define NINES_BENCH_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct bench_stats {
    double p50, p99, max, mean;
};

double bench_now_us(void);
/* A process's time on a CPU so far, µs (/proc/PID/schedstat, in ns; also
 * a zombie's), or 0. */
double bench_cpu_us(pid_t pid);
struct bench_stats bench_stats(double *v, size_t n); /* sorts v */
/* The spawn floor once, µs: posix_spawn + exec + dlopen of `module` by
 * build/bench/floor_loader, until it says it is ready. */
double bench_module_floor_us(const char *module);
/* A tree file's text (malloc'd): under one supervisor (intensity 1000000
 * in 1s), an exec child x (/bin/sleep 1000, brutal_kill) when `exec_child`,
 * then n module workers w0, w1, ... of `module`. */
char *bench_tree_yaml(int n, bool exec_child, const char *module);

struct bench_daemon {
    pid_t pid;
    int log_fd;
    char buf[65536];
    size_t len;
    char dir[64];
};

/* Connect to a unix stream socket; the fd or -1. */
int bench_connect(const char *path);

/* Start build/ninesd on `yaml`, with one extra option (or NULL). Its
 * control socket is DIR/control.sock. */
void bench_daemon_start(struct bench_daemon *d, const char *yaml, const char *option);
/* The same in two steps: a fresh temporary folder DIR, then ninesd with
 * `args` (NULL-terminated, at most 10) after its socket option. */
void bench_daemon_dir(struct bench_daemon *d);
void bench_daemon_spawn(struct bench_daemon *d, const char *const *args);
/* The same with another build's ninesd (a path): a benchmark that sets
 * a previous build beside this one, interleaved. */
void bench_daemon_start_prog(struct bench_daemon *d, const char *ninesd, const char *yaml, const char *option);
void bench_daemon_spawn_prog(struct bench_daemon *d, const char *ninesd, const char *const *args);
/* Hand every complete log line to fn until it returns true or timeout_ms
 * pass; the lines handed are forgotten. */
void bench_daemon_lines(struct bench_daemon *d, int timeout_ms, bool (*fn)(void *ctx, const char *line), void *ctx);
/* The pid of the next child_started line for `id`, or -1. */
pid_t bench_daemon_wait_started(struct bench_daemon *d, const char *id, int timeout_ms);
/* SIGTERM, its log read until it is gone, its folder removed: the
 * milliseconds from the signal to its exit. */
double bench_daemon_stop(struct bench_daemon *d);
/* SIGKILL *victim, child `id` of d, and wait up to timeout_ms for its
 * replacement's child_started: µs, and *victim is the new pid. Exits 1,
 * the message naming `prog`, when none comes. With NINES_BENCH_SHOW_US=N
 * in the environment, a restart slower than N µs is said on stderr with
 * the CLOCK_MONOTONIC time of its SIGKILL (to find it in a trace taken
 * beside the run, perf record -k mono). */
double bench_restart_us(struct bench_daemon *d, const char *prog, const char *id, pid_t *victim, int timeout_ms);
/* Read what the daemon has logged so far, without waiting, and forget the
 * complete lines: for a benchmark that does not read the log, so that a
 * full pipe never stops ninesd. An incomplete last line is kept. */
void bench_daemon_drain(struct bench_daemon *d);

/* One request on the daemon's control socket (a connection of its own):
 * `argv` up to a NULL. 0 with the END's status (an enum ctl_status) and
 * message, and the last DATA frame (a call's reply), each cut to fit and
 * NUL-terminated; -1 if the socket cannot be reached or the answer breaks
 * off (the message says so). */
struct bench_answer {
    int status;
    char message[512];
    char data[512];
};
int bench_ask(const struct bench_daemon *d, struct bench_answer *a, const char *const *argv);

#endif
