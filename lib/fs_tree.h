/*
 * fs_tree.h — file-system helpers shared by ninesd and the release tools.
 */
#ifndef NINES_FS_TREE_H
#define NINES_FS_TREE_H

/* Remove a folder and everything in it, depth first, without following
 * links. 0, or -errno (a path that does not exist is not an error for
 * what is below it). */
int nines_remove_tree(const char *path);

#endif /* NINES_FS_TREE_H */
