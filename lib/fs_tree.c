/*
 * fs_tree.c — see fs_tree.h.
 */
#include "fs_tree.h"

#include <errno.h>
#include <ftw.h>
#include <stdio.h>

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
    return remove(path) < 0 && errno != ENOENT ? -1 : 0;
}

int nines_remove_tree(const char *path) {
    return nftw(path, remove_one, 16, FTW_DEPTH | FTW_PHYS) < 0 ? -errno : 0;
}
