/*
 * tarball_limits.h — what one release tarball may ask of the machine that
 * unpacks it (issue 16): a 2 MB tarball once wrote 2 GiB into TMPDIR
 * before anything looked at it. nines-release reads tarballs with
 * libarchive and checks every member with tarball_member_check() before
 * it writes a byte: the unpacked size and the member count are capped,
 * and a member is a regular file or a folder, named by a relative path
 * that stays inside the tarball (no '/' first, no "..", no links, no
 * devices). A refusal names the member and the limit.
 *
 * The limits are the process's: the defaults, raised by the
 * --tarball-limits flag of nines-release and ninesd (which passes its own
 * on to the nines-release it runs). Pure.
 */
#ifndef NINES_TARBALL_LIMITS_H
#define NINES_TARBALL_LIMITS_H

#include <stddef.h>
#include <stdint.h>

struct tarball_limits {
    uint64_t size;  /* bytes of all the regular files, unpacked */
    size_t members; /* files and folders */
};

#define TARBALL_LIMITS_DEFAULT {.size = 1ull << 30, .members = 10000}

/* The process's limits (TARBALL_LIMITS_DEFAULT until a flag changes them). */
extern struct tarball_limits tarball_limits;

/* Apply "NAME=N[,NAME=N...]" (names: size, with a K, M or G suffix of
 * 1024s, and members; N a positive integer) to `l`: 0, or -EINVAL with
 * `why` saying what is wrong (and `l` as it was). */
int tarball_limits_parse(struct tarball_limits *l, const char *spec, char *why, size_t why_size);

/* `l` as a spec tarball_limits_parse reads back. */
void tarball_limits_format(const struct tarball_limits *l, char *buf, size_t size);

/* What a member is, as its header says. */
enum tarball_kind { TARBALL_FILE, TARBALL_DIR, TARBALL_SYMLINK, TARBALL_HARDLINK, TARBALL_SPARSE, TARBALL_OTHER };

/* What the members so far added up to. */
struct tarball_count {
    uint64_t size;
    size_t members;
};

/* Member `name` of kind `kind` and `size` bytes (-1: unknown), counted
 * into `c`: 0, or -EINVAL with `why` naming what is wrong ("x/../y: a
 * member's path may not hold '..'", "x/big: the tarball unpacks to more
 * than 1073741824 bytes (a limit: raise it with --tarball-limits
 * size=N)"). */
int tarball_member_check(const struct tarball_limits *l, struct tarball_count *c, const char *name,
                         enum tarball_kind kind, int64_t size, char *why, size_t why_size);

#endif
