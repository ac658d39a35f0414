/* kvslow 1.0.0: kvlite.h as another application. */
#define KV_NAME "kvslow"
#define KV_VERSION "1.0.0"
#define KV_FLAGS 0
#define KV_CRASH_AFTER_MS 0
#include "kvlite.h"
