/* kvlite 1.0.0 (kvlite.h) that accepts a stale restore (NINES_MODULE_STALE_RESTORE). */
#define KV_VERSION "1.0.0"
#define KV_FLAGS NINES_MODULE_STALE_RESTORE
#define KV_CRASH_AFTER_MS 0
#include "kvlite.h"
