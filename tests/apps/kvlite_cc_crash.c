/* kvlite 2.0.1 (kvlite.h), whose code_change dies: before any input. */
#define KV_VERSION "2.0.1"
#define KV_FLAGS 0
#define KV_CRASH_AFTER_MS (-1)
#include "kvlite.h"
