/*
 * exec_probe — the exec child of bench_spawn's "its program runs" row: once
 * its main runs it writes one byte to the FIFO named by its argument (the
 * bench's mark that the new program is running, past its exec and its
 * dynamic loader), then sleeps until killed. The same program, started
 * the same way, by the bare loop the row is measured against.
 */
#include <fcntl.h>
#include <unistd.h>

int main(int argc, char **argv) {
    if (argc > 1) {
        int fd = open(argv[1], O_WRONLY | O_NONBLOCK | O_CLOEXEC);
        if (fd >= 0) {
            (void)!write(fd, "r", 1);
            close(fd);
        }
    }
    for (;;)
        pause();
}
