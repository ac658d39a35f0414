/* A module in C++, built against the installed header with the installed
 * pkg-config file (tests/packaging.sh): the descriptor macro must give it
 * the C symbol the host looks up, without warnings under -Wall -Wextra. */
#include <nines/module.h>
#include <string>
struct State { std::string greeting = "hello"; };
static int init(nines_ctx *, void **state) { *state = new State; return 0; }
static int call(nines_ctx *ctx, void *state, const struct nines_request *r) {
    auto *s = static_cast<State *>(state);
    return nines_reply(ctx, r->ref, s->greeting.data(), s->greeting.size());
}
static void terminate(nines_ctx *, void *state, const struct nines_stop_reason *) { delete static_cast<State *>(state); }
NINES_MODULE_V1(.name = "cxx", .version = "1.0.0", .init = init, .handle_call = call, .terminate = terminate);
