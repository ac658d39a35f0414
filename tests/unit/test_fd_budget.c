/* Unit tests of the descriptor budget (issue 11). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <string.h>

#include "fd_budget.h"

/* root: 3 modules, 2 execs, and a dynamic supervisor of up to 10 execs;
 * another without max_children counts nothing. */
static void counts_static_children_and_bounded_dynamic_ones(void **unused) {
    struct nines_child_spec dyn_tmpl = {.kind = NINES_CHILD_EXEC};
    struct nines_sup_spec dyn = {.child_template = &dyn_tmpl, .max_children = 10};
    struct nines_child_spec open_tmpl = {.kind = NINES_CHILD_MODULE};
    struct nines_sup_spec open = {.child_template = &open_tmpl};
    struct nines_child_spec kids[] = {
        {.kind = NINES_CHILD_MODULE}, {.kind = NINES_CHILD_MODULE}, {.kind = NINES_CHILD_MODULE},
        {.kind = NINES_CHILD_EXEC},   {.kind = NINES_CHILD_EXEC},
        {.kind = NINES_CHILD_SUPERVISOR, .supervisor = &dyn},
        {.kind = NINES_CHILD_SUPERVISOR, .supervisor = &open},
    };
    struct nines_tree tree = {.path = "t.yaml", .root = {.children = kids, .n_children = 7}};
    struct fd_budget b;
    fd_budget_count(&tree, 0, &b);
    assert_int_equal(b.module_workers, 3);
    assert_int_equal(b.exec_children, 12);
    assert_int_equal(b.need, 3 * FD_BUDGET_PER_MODULE + 12 * FD_BUDGET_PER_EXEC + FD_BUDGET_RESERVE);
    struct nines_error err;
    assert_int_equal(fd_budget_check(&tree, &b, b.need, &err), 0);
    assert_int_equal(fd_budget_check(&tree, &b, b.need - 1, &err), -EMFILE);
    assert_string_equal(err.file, "t.yaml");
    assert_non_null(strstr(err.message, "needs 91 descriptors"));
    assert_non_null(strstr(err.message, "(RLIMIT_NOFILE) is 90"));
    assert_non_null(strstr(err.message, "LimitNOFILE="));
    assert_non_null(strstr(err.message, "ulimit -n"));
    /* Each control connection ninesd may keep counts. */
    fd_budget_count(&tree, 256, &b);
    assert_int_equal(b.need, 91 + 256);
    assert_int_equal(fd_budget_check(&tree, &b, 91, &err), -EMFILE);
    assert_non_null(strstr(err.message, "256 control connections"));
}

/* The target: 10,000 module workers and 1,000 exec children fit
 * under a hard limit of 20,000. */
static void ten_thousand_workers_fit_twenty_thousand(void **unused) {
    struct nines_child_spec mod = {.kind = NINES_CHILD_MODULE}, ex = {.kind = NINES_CHILD_EXEC};
    struct nines_sup_spec mods = {.child_template = &mod, .max_children = 10000};
    struct nines_sup_spec execs = {.child_template = &ex, .max_children = 1000};
    struct nines_child_spec kids[] = {{.kind = NINES_CHILD_SUPERVISOR, .supervisor = &mods},
                                      {.kind = NINES_CHILD_SUPERVISOR, .supervisor = &execs}};
    struct nines_tree tree = {.path = "t.yaml", .root = {.children = kids, .n_children = 2}};
    struct fd_budget b;
    struct nines_error err;
    fd_budget_count(&tree, 256, &b);
    assert_int_equal(fd_budget_check(&tree, &b, 20000, &err), 0);
    assert_true(b.need <= 12400);
}

/* A child started at run time fits beside what is held now (or the tree
 * file's children, when more), the reserve and the connections. */
static void a_start_at_run_time_counts_what_is_held(void **unused) {
    char why[512];
    uint64_t limit = 100 + FD_BUDGET_RESERVE + 10;
    assert_int_equal(fd_budget_check_start(NINES_CHILD_MODULE, 99, 0, 0, 10, limit, why, sizeof why), 0);
    assert_int_equal(fd_budget_check_start(NINES_CHILD_MODULE, 100, 0, 0, 10, limit, why, sizeof why), -EMFILE);
    assert_non_null(strstr(why, "would need 175"));
    assert_non_null(strstr(why, "(RLIMIT_NOFILE) is 174"));
    assert_non_null(strstr(why, "LimitNOFILE="));
    /* An exec child costs two; a supervisor nothing. */
    assert_int_equal(fd_budget_check_start(NINES_CHILD_EXEC, 99, 0, 0, 10, limit, why, sizeof why), -EMFILE);
    assert_int_equal(fd_budget_check_start(NINES_CHILD_EXEC, 98, 0, 0, 10, limit, why, sizeof why), 0);
    assert_int_equal(fd_budget_check_start(NINES_CHILD_SUPERVISOR, 100, 0, 0, 10, limit, why, sizeof why), 0);
    /* The tree file's children keep their room while they restart. */
    assert_int_equal(fd_budget_check_start(NINES_CHILD_MODULE, 0, 100, 0, 10, limit, why, sizeof why), -EMFILE);
    assert_int_equal(fd_budget_check_start(NINES_CHILD_MODULE, 0, 99, 0, 10, limit, why, sizeof why), 0);
}

/* Each socket holds one descriptor in ninesd, kept across its children's
 * restarts, however many children name it: a template's children share
 * theirs, and so do children naming the same address (listeners.h). */
static void sockets_count_once_each(void **unused) {
    struct nines_socket two[] = {{.name = "http", .kind = NINES_SOCKET_TCP, .address = "8080"},
                                 {.name = "web", .kind = NINES_SOCKET_PASSED}};
    struct nines_socket again[] = {{.name = "h", .kind = NINES_SOCKET_TCP, .address = "8080"},
                                   {.name = "web", .kind = NINES_SOCKET_PASSED},
                                   {.name = "u", .kind = NINES_SOCKET_UNIX, .address = "8080"}};
    struct nines_child_spec tmpl = {.kind = NINES_CHILD_EXEC, .sockets = two, .n_sockets = 1};
    struct nines_sup_spec dyn = {.child_template = &tmpl, .max_children = 50};
    struct nines_child_spec kids[] = {
        {.kind = NINES_CHILD_EXEC, .sockets = two, .n_sockets = 2},
        {.kind = NINES_CHILD_SUPERVISOR, .supervisor = &dyn},
        {.kind = NINES_CHILD_MODULE, .sockets = again, .n_sockets = 3},
    };
    struct nines_tree tree = {.path = "t.yaml", .root = {.children = kids, .n_children = 3}};
    struct fd_budget b;
    fd_budget_count(&tree, 0, &b);
    /* tcp 8080, the passed "web", unix "8080" (another kind: another socket) */
    assert_int_equal(b.listeners, 3);
    assert_int_equal(b.exec_children, 51);
    assert_int_equal(b.need, 51 * FD_BUDGET_PER_EXEC + FD_BUDGET_PER_MODULE + 3 + FD_BUDGET_RESERVE);
    struct nines_error err;
    assert_int_equal(fd_budget_check(&tree, &b, b.need - 1, &err), -EMFILE);
    assert_non_null(strstr(err.message, "3 sockets"));
    /* Without the sharers: still the same three. */
    kids[1].kind = NINES_CHILD_MODULE;
    fd_budget_count(&tree, 0, &b);
    assert_int_equal(b.listeners, 3);
}

/* The sockets ninesd holds (it closes none before it ends, a reload's
 * removed children's included) count beside the children at run time. */
static void a_start_at_run_time_counts_the_sockets_held(void **unused) {
    char why[512];
    uint64_t limit = 100 + 20 + FD_BUDGET_RESERVE + 10;
    assert_int_equal(fd_budget_check_start(NINES_CHILD_MODULE, 99, 0, 20, 10, limit, why, sizeof why), 0);
    assert_int_equal(fd_budget_check_start(NINES_CHILD_MODULE, 100, 0, 20, 10, limit, why, sizeof why), -EMFILE);
    assert_non_null(strstr(why, "20 sockets"));
    assert_int_equal(fd_budget_check_start(NINES_CHILD_MODULE, 0, 100, 20, 10, limit, why, sizeof why), -EMFILE);
    assert_int_equal(fd_budget_check_start(NINES_CHILD_MODULE, 0, 100, 19, 10, limit, why, sizeof why), 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_start_at_run_time_counts_what_is_held),
        cmocka_unit_test(sockets_count_once_each),
        cmocka_unit_test(a_start_at_run_time_counts_the_sockets_held),
        cmocka_unit_test(counts_static_children_and_bounded_dynamic_ones),
        cmocka_unit_test(ten_thousand_workers_fit_twenty_thousand),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
