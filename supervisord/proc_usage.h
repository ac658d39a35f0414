/*
 * proc_usage.h — a process's CPU time and memory, read from /proc when
 * `status` asks (never on a timer): /proc/PID/stat for user+system time
 * and RSS, /proc/PID/smaps_rollup for PSS (the share of pages it has with
 * others counted once: what a tree of workers really costs).
 */
#ifndef NINES_PROC_USAGE_H
#define NINES_PROC_USAGE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct proc_usage {
    uint64_t cpu_ms;  /* user + system */
    uint64_t rss_kib;
    uint64_t pss_kib; /* 0 when smaps_rollup cannot be read */
};

/* Pure: the text of /proc/PID/stat (the command may hold spaces and
 * parentheses: fields are counted from the last ')'), with the clock's
 * ticks per second and the page size. False when it is not such a text. */
bool proc_stat_parse(const char *text, long ticks_per_s, long page_size, struct proc_usage *out);
/* Pure: the Pss: line of smaps_rollup, in KiB; false when there is none. */
bool proc_smaps_pss(const char *text, uint64_t *pss_kib);

/* Reads both for pid; false when the process is gone (or not ours to read). */
bool proc_usage_read(pid_t pid, struct proc_usage *out);

#endif
