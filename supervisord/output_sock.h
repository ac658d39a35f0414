/*
 * output_sock.h — module workers' stdout and stderr, carried to ninesd
 * without a descriptor per worker (issue 11).
 *
 * A pipe per stream costs ninesd two descriptors per worker; with the
 * channel that is three, and 10,000 workers need 30,000. Instead ninesd
 * keeps one datagram socket that every module worker's output reaches:
 * each worker's fd 1 and fd 2 are datagram sockets of their own, bound to a
 * kernel-chosen (autobind) abstract address and connected to ninesd's
 * socket, and ninesd closes its copies once the worker is spawned. A
 * datagram's source address names the stream it came from (a table of
 * addresses, u64_map.h), so what a worker, or anything it started, writes
 * is attributed to it; a write is never split, and one queue keeps stdout
 * and stderr in the order they were written. What a worker wrote before it
 * died is already queued when its end is seen: output_sock_drain() takes it
 * before the end is reported.
 *
 * The socket is bound to a path in a new folder only ninesd's user can
 * enter, then kept by an O_PATH descriptor while the name and the folder
 * are removed at once: senders connect through /proc/self/fd/N. So no
 * path reaches it (only /proc/PID/fd, which only ninesd's user and root
 * may follow), nobody else can fill its queue (which would block the
 * workers' writes), and a ninesd killed with SIGKILL leaves nothing on
 * disk. (Not an abstract address: anyone in the network namespace could
 * send to one.) An address is attached only while its worker runs: a
 * datagram from any other address is dropped. Exec children keep their
 * pipes: a program may open /dev/stdout, which a socket does not allow.
 */
#ifndef NINES_OUTPUT_SOCK_H
#define NINES_OUTPUT_SOCK_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <systemd/sd-event.h>

struct output_sock;

/* Bytes from one stream: `tag` as attached. */
typedef void (*output_sink_fn)(void *userdata, int tag, const char *bytes, size_t len);

/* The key of a sender's address: an abstract name of at most 7 bytes (an
 * autobind name is 5), packed with its length; 0 for any other address.
 * Pure. */
uint64_t output_addr_key(const struct sockaddr_un *addr, socklen_t len);

/* The socket, bound in a new private folder under `dir` (NULL:
 * $RUNTIME_DIRECTORY, $XDG_RUNTIME_DIR or /tmp) that is removed again
 * before this returns (kept, and removed by output_sock_free, only where
 * /proc/self/fd cannot be connected through), read from the loop. 0 or
 * -errno. */
int output_sock_new(sd_event *loop, const char *dir, struct output_sock **out);
void output_sock_free(struct output_sock *o); /* accepts NULL */

/* A sender for one stream of a worker about to be spawned: *fd (blocking,
 * close-on-exec; the caller hands it over and closes it) and its *key. */
int output_sock_sender(struct output_sock *o, int *fd, uint64_t *key);
/* What comes from `key` goes to fn(userdata, tag, ...) until detached.
 * 0 or -ENOMEM. */
int output_sock_attach(struct output_sock *o, uint64_t key, output_sink_fn fn, void *userdata, int tag);
void output_sock_detach(struct output_sock *o, uint64_t key);
/* Take what is queued now, at most `budget` bytes; everything attached
 * gets its part. */
void output_sock_drain(struct output_sock *o, size_t budget);

#endif /* NINES_OUTPUT_SOCK_H */
