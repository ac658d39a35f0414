/*
 * dashboard.h — `ninesctl dashboard --listen ADDR:PORT` (dashboard.c): a
 * read-only web view of the live tree, served by this process from the
 * control socket, so ninesd itself has no HTTP surface.
 */
#ifndef NINES_CTL_DASHBOARD_H
#define NINES_CTL_DASHBOARD_H

/* Serves until SIGINT or SIGTERM. The exit code. */
int ctl_dashboard_run(const char *socket_path, const char *listen);

/* "127.0.0.1:8080" into an IPv4 address and port; 0 or -EINVAL. Pure. */
struct sockaddr_in;
int ctl_dashboard_parse_listen(const char *listen, struct sockaddr_in *out);

#endif
