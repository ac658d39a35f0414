/*
 * ctl_text.h — ninesctl's output into memory, for its unit tests: mem()
 * opens a stream whose whole text is `text` once it is closed (the text
 * of the one before freed); text_free is a teardown. Include it after
 * <cmocka.h>.
 */
#ifndef NINES_TEST_CTL_TEXT_H
#define NINES_TEST_CTL_TEXT_H

#include <stdio.h>
#include <stdlib.h>

static char *text;
static size_t text_size;

static inline FILE *mem(void) {
    free(text);
    text = NULL;
    FILE *f = open_memstream(&text, &text_size);
    assert_non_null(f);
    return f;
}

static inline int text_free(void **state) {
    free(text);
    text = NULL;
    return 0;
}

#endif /* NINES_TEST_CTL_TEXT_H */
