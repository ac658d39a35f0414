/*
 * peer_child — the child every supervisor in bench_peers runs: it says
 * "NAME PID" in one datagram to the bench's socket the moment it runs,
 * then waits to be killed. The same program under s6, runit, supervisord
 * and ninesd (exec:), so the supervisors are what differ.
 *
 *   peer_child SOCKET NAME
 *   run (a symlink, as s6-supervise and runsv start it): SOCKET from
 *       $PEER_SOCK, NAME the service folder's name (the working folder)
 */
#include <limits.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

int main(int argc, char **argv) {
    char cwd[PATH_MAX];
    const char *sock = argc > 2 ? argv[1] : getenv("PEER_SOCK");
    const char *name = argc > 2 ? argv[2] : NULL;
    if (!name && getcwd(cwd, sizeof cwd))
        name = strrchr(cwd, '/') ? strrchr(cwd, '/') + 1 : cwd;
    if (!sock || !name)
        return 2;
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    snprintf(sa.sun_path, sizeof sa.sun_path, "%s", sock);
    int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    char msg[128];
    int n = snprintf(msg, sizeof msg, "%s %d", name, (int)getpid());
    if (fd < 0 || sendto(fd, msg, (size_t)n, 0, (struct sockaddr *)&sa, sizeof sa) != n)
        return 1;
    close(fd);
    for (;;)
        pause();
}
