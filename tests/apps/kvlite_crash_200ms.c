/* kvlite 2.0.0 (kvlite.h), whose new code dies 200 ms after taking over. */
#define KV_VERSION "2.0.0"
#define KV_FLAGS 0
#define KV_CRASH_AFTER_MS 200
#include "kvlite.h"
