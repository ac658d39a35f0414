/* kvslow 2.0.0 (kvlite.h), whose code_change takes 700 ms: a release step
 * long enough for another worker to crash meanwhile. */
#define KV_NAME "kvslow"
#define KV_VERSION "2.0.0"
#define KV_FLAGS 0
#define KV_CRASH_AFTER_MS 0
#define KV_CC_DELAY_MS 700
#include "kvlite.h"
