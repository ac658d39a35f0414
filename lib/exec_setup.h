/*
 * exec_setup.h — what a process does between its start and the exec of
 * an `exec:` child's program (tree.h's nines_exec_opts): become the user
 * and group, set the environment, enter the working directory. The worker
 * host's --exec mode calls it; whatever else starts programs for ninesd
 * (a launcher) can call the same. System calls only: the decisions (which
 * user, which variables) were taken when the tree was loaded.
 */
#ifndef NINES_EXEC_SETUP_H
#define NINES_EXEC_SETUP_H

#include <stdbool.h>
#include <stddef.h>

struct nines_exec_setup {
    const char *user;       /* NULL: stay who we are */
    unsigned uid, gid;      /* with user */
    const char *cwd;        /* NULL: stay where we are */
    const char *const *env; /* "NAME=VALUE" entries, n_env of them */
    size_t n_env;
};

/* With a user: supplementary groups (initgroups, or none when the user
 * has no entry), gid, then uid, and HOME, USER and LOGNAME from the user
 * database; nothing changes when it is already that uid and gid. Then the
 * env entries (over whatever was set), then cwd. 0, or -errno with *step
 * naming what failed ("set the user id", "enter the working
 * directory", ...). Changing the
 * credentials clears PR_SET_PDEATHSIG: arm it after this. */
int nines_exec_setup_apply(const struct nines_exec_setup *s, const char **step);

/* Parse the worker host's --exec options from argv (after "--exec"):
 * --user NAME --uid N --gid N, --cwd DIR, --env NAME=VALUE (repeated), up
 * to "--". env points into argv and must hold argc entries. Returns the
 * index of the program (after "--"), or -EINVAL. */
int nines_exec_setup_parse(int argc, char **argv, struct nines_exec_setup *s, const char **env);

#endif
