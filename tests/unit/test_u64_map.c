/* Unit tests of the key -> pointer table (issue 11). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "u64_map.h"

static int vals[4];

static void put_get_replace_del(void **unused) {
    struct u64_map m = {0};
    assert_null(u64_map_get(&m, 1));
    assert_null(u64_map_del(&m, 1));
    assert_int_equal(u64_map_put(&m, 1, &vals[0]), 0);
    assert_int_equal(u64_map_put(&m, 0, &vals[1]), 0); /* 0 is a key like any other */
    assert_ptr_equal(u64_map_get(&m, 1), &vals[0]);
    assert_ptr_equal(u64_map_get(&m, 0), &vals[1]);
    assert_int_equal(u64_map_put(&m, 1, &vals[2]), 0);
    assert_ptr_equal(u64_map_get(&m, 1), &vals[2]);
    assert_int_equal(m.live, 2);
    assert_ptr_equal(u64_map_del(&m, 1), &vals[2]);
    assert_null(u64_map_get(&m, 1));
    assert_ptr_equal(u64_map_get(&m, 0), &vals[1]);
    u64_map_free(&m);
}

/* Colliding keys stay findable across a removed one in the probe chain. */
static void a_tombstone_keeps_the_chain(void **unused) {
    struct u64_map m = {0};
    for (uint64_t k = 0; k < 7; k++)
        assert_int_equal(u64_map_put(&m, k * 16, &vals[k % 4]), 0);
    assert_non_null(u64_map_del(&m, 0));
    assert_non_null(u64_map_del(&m, 32));
    for (uint64_t k = 0; k < 7; k++)
        if (k != 0 && k != 2)
            assert_ptr_equal(u64_map_get(&m, k * 16), &vals[k % 4]);
    u64_map_free(&m);
}

static void many_keys(void **unused) {
    struct u64_map m = {0};
    for (uint64_t k = 0; k < 100000; k++)
        assert_int_equal(u64_map_put(&m, k * 7919, &vals[k % 4]), 0);
    for (uint64_t k = 0; k < 100000; k++)
        assert_ptr_equal(u64_map_get(&m, k * 7919), &vals[k % 4]);
    assert_null(u64_map_get(&m, 3));
    assert_int_equal(m.live, 100000);
    u64_map_free(&m);
}

/* A million keys come and go with ten live: the table stays small. */
static void churn_does_not_grow(void **unused) {
    struct u64_map m = {0};
    for (uint64_t k = 0; k < 10; k++)
        assert_int_equal(u64_map_put(&m, k, &vals[0]), 0);
    size_t most = 0;
    for (uint64_t k = 10; k < 1000000; k++) {
        assert_int_equal(u64_map_put(&m, k, &vals[1]), 0);
        assert_ptr_equal(u64_map_del(&m, k), &vals[1]);
        if (m.cap > most)
            most = m.cap;
    }
    assert_true(most <= 64);
    for (uint64_t k = 0; k < 10; k++)
        assert_ptr_equal(u64_map_get(&m, k), &vals[0]);
    u64_map_free(&m);
}

/* Emptied after a peak, it shrinks back. */
static void shrinks_after_a_peak(void **unused) {
    struct u64_map m = {0};
    for (uint64_t k = 0; k < 50000; k++)
        assert_int_equal(u64_map_put(&m, k, &vals[2]), 0);
    size_t peak = m.cap;
    for (uint64_t k = 0; k < 49990; k++)
        assert_non_null(u64_map_del(&m, k));
    assert_true(m.cap * 100 < peak);
    for (uint64_t k = 49990; k < 50000; k++)
        assert_ptr_equal(u64_map_get(&m, k), &vals[2]);
    u64_map_free(&m);
}

/* The walk gives every live entry once, with its key, and no removed one. */
static void next_walks_every_entry_once(void **unused) {
    struct u64_map m = {0};
    size_t pos = 0;
    assert_null(u64_map_next(&m, &pos, NULL));
    static char seen[1000];
    for (uint64_t k = 0; k < 1000; k++)
        assert_int_equal(u64_map_put(&m, k * 3, &seen[k]), 0);
    for (uint64_t k = 0; k < 1000; k += 2)
        assert_non_null(u64_map_del(&m, k * 3));
    uint64_t key;
    char *v;
    size_t n = 0;
    for (pos = 0; (v = u64_map_next(&m, &pos, &key)); n++) {
        size_t k = (size_t)(v - seen);
        assert_int_equal(key, k * 3);
        assert_int_equal(k % 2, 1);
        assert_int_equal(seen[k]++, 0);
    }
    assert_int_equal(n, 500);
    u64_map_free(&m);
}

/* Random puts, gets and deletes against a plain array of the same keys:
 * the map always answers what the array says. */
static void agrees_with_a_model(void **unused) {
    enum { KEYS = 512 };
    static char *model[KEYS];
    static char v[4];
    struct u64_map m = {0};
    uint32_t x = 12345;
    for (int step = 0; step < 400000; step++) {
        x = x * 1103515245u + 12345u;
        uint64_t k = (x >> 8) % KEYS;
        char *val = &v[(x >> 4) & 3];
        switch ((x >> 20) % 3) {
        case 0:
            assert_int_equal(u64_map_put(&m, k << 32, val), 0);
            model[k] = val;
            break;
        case 1:
            assert_ptr_equal(u64_map_del(&m, k << 32), model[k]);
            model[k] = NULL;
            break;
        default:
            assert_ptr_equal(u64_map_get(&m, k << 32), model[k]);
        }
        size_t live = 0;
        for (size_t i = 0; step % 1000 == 0 && i < KEYS; i++)
            live += model[i] != NULL;
        if (step % 1000 == 0)
            assert_int_equal(m.live, live);
    }
    u64_map_free(&m);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(put_get_replace_del), cmocka_unit_test(a_tombstone_keeps_the_chain),
        cmocka_unit_test(many_keys), cmocka_unit_test(churn_does_not_grow),
        cmocka_unit_test(shrinks_after_a_peak), cmocka_unit_test(next_walks_every_entry_once),
        cmocka_unit_test(agrees_with_a_model),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
