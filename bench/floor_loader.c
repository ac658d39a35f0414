/*
 * floor_loader — the least a restart can cost: a process that is exec'd,
 * dlopen()s the module, finds its descriptor and says "ready" on stdout.
 * bench_restart spawns it in a bare loop to measure the floor.
 */
#include <dlfcn.h>
#include <stdio.h>
#include <unistd.h>

#include "nines/module.h"

int main(int argc, char **argv) {
    if (argc != 2)
        return 2;
    void *h = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
    if (!h || !dlsym(h, NINES_MODULE_SYMBOL)) {
        fprintf(stderr, "floor_loader: %s\n", dlerror());
        return 1;
    }
    return write(STDOUT_FILENO, "R", 1) == 1 ? 0 : 1;
}
