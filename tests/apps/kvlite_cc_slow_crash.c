/* kvlite 2.0.2 (kvlite.h), whose code_change takes 500 ms and then dies:
 * whatever ninesd sends it meanwhile reaches code that never reads it. */
#define KV_VERSION "2.0.2"
#define KV_FLAGS 0
#define KV_CRASH_AFTER_MS (-1)
#define KV_CC_DELAY_MS 500
#include "kvlite.h"
