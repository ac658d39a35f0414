/*
 * Integration: `status` of a tree too big to answer at once (issue 11).
 * 33,111 nodes (110 supervisors of 300 empty dynamic supervisors each)
 * are more than 8 MiB of records, what ninesd lets a client leave
 * unread; ninesd writes them as the socket takes them instead, so
 * `ninesctl status` and `status --json` list every node, a client that
 * reads slowly gets all of it while ninesd's memory stays put, one
 * that reads nothing is still cut off, with a log record that names it,
 * and children started and terminated while a status is streamed do not
 * make it show a node twice, one that was gone, or one that came since.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "control_client.h"
#include "harness.h"

#define GROUPS 110
#define PER_GROUP 300
#define NODES (1 + GROUPS + GROUPS * PER_GROUP)
#define BOOT_MS 300000
#define WAIT_MS 10000

static const char *big_tree(struct ninesd *n) {
    size_t size = 256 + (size_t)GROUPS * (128 + PER_GROUP * 160);
    char *y = malloc(size);
    size_t len = (size_t)snprintf(y, size, "supervisor:\n  children:\n");
    for (int g = 0; g < GROUPS; g++) {
        len += (size_t)snprintf(y + len, size - len,
                                "    - id: group-with-a-longer-name-%03d\n      supervisor:\n        children:\n", g);
        for (int k = 0; k < PER_GROUP; k++)
            len += (size_t)snprintf(y + len, size - len,
                                    "          - {id: dynamic-supervisor-with-a-longer-name-%03d, supervisor: "
                                    "{strategy: dynamic, child: {id: j, exec: [/bin/sleep, '1000']}}}\n",
                                    k);
    }
    const char *tree = harness_write_tree(n, y);
    free(y);
    return tree;
}

/* One ninesd for the three tests (a boot of 33,111 nodes is seconds, a
 * minute under the sanitizers), with an idle timeout of 1 s: the slow
 * reader reads every 10 ms, the stalled one never. */
static int start_big(void **state) {
    harness_setup(state);
    struct ninesd *n = *state;
    ninesd_start(n, big_tree(n), "--idle-timeout", "1", NULL);
    return ninesd_wait(n, BOOT_MS, "event=tree_started", NULL) ? 0 : -1;
}

static long rss_kib(pid_t pid) {
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    FILE *f = fopen(path, "r");
    long kib = -1;
    while (f && fgets(line, sizeof line, f))
        if (strncmp(line, "VmRSS:", 6) == 0)
            kib = atol(line + 6);
    if (f)
        fclose(f);
    return kib;
}

static long count_in_file(const char *path, const char *needle) {
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    static char buf[1 << 16];
    long count = 0;
    size_t keep = strlen(needle) - 1, have = 0, got;
    while ((got = fread(buf + have, 1, sizeof buf - 1 - have, f)) > 0) {
        have += got;
        buf[have] = '\0';
        for (char *p = buf; (p = strstr(p, needle)); p += strlen(needle))
            count++;
        memmove(buf, buf + have - keep, keep); /* a needle across two reads */
        have = keep;
    }
    fclose(f);
    return count;
}

static int ctl_to_file(struct ninesd *n, const char *args, const char *file) {
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "%s --socket %s %s > %s/%s", BUILD_PATH("ninesctl"), n->socket, args, n->dir, file);
    int st = system(cmd);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* Both outputs list every node, the last one included. */
static void status_of_33111_nodes_lists_every_node(void **state) {
    struct ninesd *n = *state;
    char path[400];
    assert_int_equal(ctl_to_file(n, "status", "status.txt"), 0);
    snprintf(path, sizeof path, "%s/status.txt", n->dir);
    assert_int_equal(count_in_file(path, "\n"), NODES + 2); /* the header and the summary */
    assert_int_equal(count_in_file(path, " supervisor  running "), NODES);
    assert_int_equal(count_in_file(path, "└─ dynamic-supervisor-with-a-longer-name-299 "), GROUPS);
    assert_int_equal(count_in_file(path, "33110 children, all permanent children running\n"), 1);
    assert_int_equal(ctl_to_file(n, "status --json", "status.json"), 0);
    snprintf(path, sizeof path, "%s/status.json", n->dir);
    assert_int_equal(count_in_file(path, "{\"ok\":true,\"status\":\"ok\""), 1);
    assert_int_equal(count_in_file(path, "\"path\":"), NODES);
    assert_int_equal(count_in_file(path, "\"path\":\"group-with-a-longer-name-109/dynamic-supervisor-with-a-longer-name-299\""), 1);
    assert_int_equal(count_in_file(path, "]}\n"), 1);
}

static double now_ms(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1000 + (double)t.tv_nsec / 1e6;
}

/* Reading 64 KiB every 10 ms, a client gets every record and the END,
 * more than 8 MiB, while ninesd holds no more than a few chunks of it. */
static void a_slow_reader_gets_all_in_bounded_memory(void **state) {
    struct ninesd *n = *state;
    long before = rss_kib(n->pid), most = before;
    int fd = control_connect(n->socket);
    assert_true(fd >= 0);
    assert_int_equal(control_request(fd, "status", NULL), 0);
    struct ctl_decoder dec;
    ctl_decoder_init(&dec, CTL_MAX_RESPONSE);
    size_t bytes = 0, records = 0;
    int end = -1;
    double t0 = now_ms();
    static uint8_t buf[65536];
    while (end < 0 && now_ms() - t0 < 60000) {
        ssize_t got = recv(fd, buf, sizeof buf, 0);
        assert_true(got > 0);
        assert_int_equal(ctl_decoder_feed(&dec, buf, (size_t)got), 0);
        struct ctl_frame f;
        while (end < 0 && ctl_decoder_next(&dec, &f) == 1) {
            if (f.type == CTL_END)
                end = (int)f.status;
            for (size_t i = 0; f.type == CTL_DATA && i < f.length; i++)
                records += f.payload[i] == '\n';
            bytes += f.type == CTL_DATA ? f.length : 0;
        }
        long rss = rss_kib(n->pid);
        most = rss > most ? rss : most;
        usleep(10000);
    }
    ctl_decoder_free(&dec);
    close(fd);
    fprintf(stderr, "slow reader: %zu records, %zu bytes in %.0f ms; ninesd RSS %ld KiB, at most +%ld KiB\n",
            records, bytes, now_ms() - t0, before, most - before);
    assert_int_equal(end, CTL_ST_OK);
    assert_int_equal(records, NODES);
    assert_true(bytes > 8u * 1024 * 1024); /* more than a client may leave unread */
    assert_true(most - before < 3 * 1024);
}

/* A client that asks and never reads is closed after the idle timeout,
 * said in the log with its pid, and ninesd answers the next client. */
static void a_reader_that_reads_nothing_is_cut_off(void **state) {
    struct ninesd *n = *state;
    long before = rss_kib(n->pid);
    int fd = control_connect(n->socket);
    assert_true(fd >= 0);
    int small = 4096;
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
    assert_int_equal(control_request(fd, "status", NULL), 0);
    char pid[32];
    snprintf(pid, sizeof pid, "pid=%d ", (int)getpid());
    const char *line = ninesd_wait(n, WAIT_MS, "event=control_client_dropped", pid, NULL);
    assert_non_null(line);
    assert_non_null(strstr(line, "read nothing"));
    long after = rss_kib(n->pid);
    fprintf(stderr, "stalled reader cut off: %s\nninesd RSS %ld -> %ld KiB\n", line, before, after);
    assert_true(after - before < 3 * 1024);
    /* What the socket held, then the end of the connection, and no END ok. */
    static uint8_t buf[65536];
    ssize_t got;
    size_t total = 0;
    while ((got = recv(fd, buf, sizeof buf, 0)) > 0)
        total += (size_t)got;
    assert_true(total < 8u * 1024 * 1024);
    close(fd);
    struct answer *a = malloc(sizeof *a);
    assert_int_equal(control_ask_once(n->socket, a, "status", "group-with-a-longer-name-000", NULL), 0);
    assert_int_equal(a->status, CTL_ST_OK);
    free(a);
}

#define G105 "group-with-a-longer-name-105/dynamic-supervisor-with-a-longer-name-000"
#define G108 "group-with-a-longer-name-108/dynamic-supervisor-with-a-longer-name-007"

static void ask_ok(struct ninesd *n, const char *cmd, const char *path) {
    struct answer *a = malloc(sizeof *a);
    assert_int_equal(control_ask_once(n->socket, a, cmd, path, NULL), 0);
    if (a->status != CTL_ST_OK)
        fail_msg("%s %s: %s %s", cmd, path, ctl_status_name(a->status), a->message);
    free(a);
}

/* What a streamed status showed: every record's path, in order, and
 * whether each one's depth follows from the one before. */
struct seen {
    long records, bad_depth;
    int last_depth;
    bool j1, j2, j3, j4, g108;
};

static void take_record(struct seen *s, const char *line, size_t len) {
    char rec[4096];
    snprintf(rec, sizeof rec, "%.*s", (int)(len < sizeof rec - 1 ? len : sizeof rec - 1), line);
    const char *d = strstr(rec, " depth=");
    int depth = d ? atoi(d + 7) : -1;
    if (s->records > 0 && (depth < 1 || depth > s->last_depth + 1))
        s->bad_depth++;
    s->last_depth = depth;
    s->records++;
    s->j1 |= strstr(rec, "path=" G105 "/j-1 ") != NULL;
    s->j2 |= strstr(rec, "path=" G105 "/j-2 ") != NULL;
    s->j3 |= strstr(rec, "path=" G105 "/j-3 ") != NULL;
    s->j4 |= strstr(rec, "path=" G105 "/j-4 ") != NULL;
    s->g108 |= strstr(rec, "path=" G108 "/") != NULL;
}

/* The frames the decoder holds: records into *s; the END's status, or -1. */
static int take_frames(struct ctl_decoder *dec, struct seen *s, char *line, size_t size, size_t *have) {
    struct ctl_frame f;
    while (ctl_decoder_next(dec, &f) == 1) {
        if (f.type == CTL_END)
            return (int)f.status;
        for (size_t i = 0; f.type == CTL_DATA && i < f.length; i++) {
            if (f.payload[i] != '\n') {
                if (*have < size)
                    line[(*have)++] = (char)f.payload[i];
                continue;
            }
            take_record(s, line, *have);
            *have = 0;
        }
    }
    return -1;
}

/* Read a status answer, `first` (what was read of it already) first; its
 * END's status. */
static int read_status(int fd, struct seen *s, const uint8_t *first, size_t first_len) {
    struct ctl_decoder dec;
    ctl_decoder_init(&dec, CTL_MAX_RESPONSE);
    static uint8_t buf[65536];
    static char line[8192];
    size_t have = 0;
    assert_int_equal(ctl_decoder_feed(&dec, first, first_len), 0);
    int end = take_frames(&dec, s, line, sizeof line, &have);
    while (end < 0) {
        ssize_t got = recv(fd, buf, sizeof buf, 0);
        assert_true(got > 0);
        assert_int_equal(ctl_decoder_feed(&dec, buf, (size_t)got), 0);
        end = take_frames(&dec, s, line, sizeof line, &have);
    }
    ctl_decoder_free(&dec);
    return end;
}

/* Children started and terminated while a status is on its way, ahead of
 * where it is: the one terminated is not shown, nor the ones started
 * since (one of them may take the terminated one's number: reclaim reuses
 * numbers), those that stay are, once each, and the listing stays a
 * depth-first one. The client reads little at first, so ninesd stops
 * early in the 33,111 nodes; the changes are near their end. */
static void children_started_and_terminated_while_a_status_is_streamed(void **state) {
    struct ninesd *n = *state;
    for (int i = 0; i < 3; i++)
        ask_ok(n, "start-child", G105); /* j-1, j-2, j-3 */
    int fd = control_connect(n->socket);
    assert_true(fd >= 0);
    int small = 4096;
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
    assert_int_equal(control_request(fd, "status", NULL), 0);
    static uint8_t first[4096];
    ssize_t got = recv(fd, first, sizeof first, 0);
    assert_true(got > 0); /* under way: the rest waits in ninesd */
    ask_ok(n, "terminate", G105 "/j-2");
    ask_ok(n, "start-child", G105); /* j-4, perhaps in j-2's number */
    ask_ok(n, "start-child", G108);
    struct seen s = {0};
    int end = read_status(fd, &s, first, (size_t)got);
    close(fd);
    fprintf(stderr, "status under changes: %ld records, %ld out of depth order\n", s.records, s.bad_depth);
    assert_int_equal(end, CTL_ST_OK);
    assert_int_equal(s.records, NODES + 2); /* j-1 and j-3 */
    assert_int_equal(s.bad_depth, 0);
    assert_true(s.j1 && s.j3);
    assert_false(s.j2);
    assert_false(s.j4);
    assert_false(s.g108);
    /* A fresh status shows the tree as it is now. */
    struct seen now = {0};
    fd = control_connect(n->socket);
    assert_int_equal(control_request(fd, "status", "group-with-a-longer-name-105", NULL), 0);
    assert_int_equal(read_status(fd, &now, NULL, 0), CTL_ST_OK);
    close(fd);
    assert_true(now.j1 && now.j3 && now.j4 && !now.j2);
    assert_int_equal(now.bad_depth, 0);
    assert_int_equal(now.records, 1 + PER_GROUP + 3);
    ask_ok(n, "terminate", G105 "/j-1");
    ask_ok(n, "terminate", G105 "/j-3");
    ask_ok(n, "terminate", G105 "/j-4");
    ask_ok(n, "terminate", G108 "/j-1");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(status_of_33111_nodes_lists_every_node),
        cmocka_unit_test(a_slow_reader_gets_all_in_bounded_memory),
        cmocka_unit_test(children_started_and_terminated_while_a_status_is_streamed),
        cmocka_unit_test(a_reader_that_reads_nothing_is_cut_off), /* last: it leaves a client cut off */
    };
    /* The memory bounds below are ninesd's; under AddressSanitizer its
     * quarantine keeps every freed block (256 MiB by default), so the
     * bytes streamed would count as growth. */
    setenv("NINES_TEST_ASAN_OPTIONS", "quarantine_size_mb=0", 1);
    return cmocka_run_group_tests(tests, start_big, harness_teardown);
}
