/*
 * module_names.h — which application each module path was found to be
 * (issue 16): the name a worker said in its READY, or that an upgrade to
 * the path checked. Every later start of a worker from that path (a
 * restart, a rollback, another child naming it) passes the name to the
 * worker host, which refuses the module, before anything of it runs but
 * its constructors, if the file is now another application ("module
 * refused: /srv/a.so: is application 'echo', this child ran 'counter'"),
 * as it refuses one that is untrusted (path_trust.h) or of another ABI.
 * A path keeps its name for ninesd's life: a module replaced in place by
 * another application is an upgrade to a new path, or a restart of ninesd.
 */
#ifndef NINES_MODULE_NAMES_H
#define NINES_MODULE_NAMES_H

struct daemon;

/* `path` is application `name` (a copy is kept). 0 or -ENOMEM. */
int module_names_learn(struct daemon *d, const char *path, const char *name);

/* The application `path` was found to be, or NULL if never started. */
const char *module_names_expect(const struct daemon *d, const char *path);

void module_names_free(struct daemon *d);

#endif
