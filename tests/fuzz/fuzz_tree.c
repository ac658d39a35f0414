/*
 * fuzz_tree.c — libFuzzer target for the tree loader: any bytes as a tree
 * file (nines_tree_load_string) and as a child spec of `ninesctl start`
 * (nines_child_load_string), under small YAML limits so that bombs of
 * aliases, nodes and nesting are reached quickly (yaml_limits.h).
 *
 * Beyond "no crash, no leak, no sanitizer report", it checks what the
 * loader promises: a failure leaves nothing behind and says where (a
 * position inside the text, or none); a tree that loads has valid ids,
 * unique among siblings, each child exactly one kind with the fields of
 * that kind, args within their limit with unique names, supervisors at
 * most 32 deep, a template exactly for dynamic supervisors; and each
 * child copies into an equal one.
 *
 * Programs and modules are resolved against the file system, relative
 * paths against the current folder: the seed corpus names /bin/sh.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tree_internal.h"
#include "yaml_limits.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void require(bool ok, const char *what) {
    if (!ok) {
        fprintf(stderr, "invariant broken: %s\n", what);
        abort();
    }
}

static unsigned count_lines(const uint8_t *data, size_t size) {
    unsigned n = 2;
    for (size_t i = 0; i < size; i++)
        n += data[i] == '\n' || data[i] == '\r' || data[i] == 0x85 || data[i] == 0xa8 || data[i] == 0xa9;
    return n;
}

static void check_sup(const struct nines_sup_spec *s, int depth, unsigned lines);

static void check_args(const struct nines_child_spec *c) {
    require(c->n_args <= yaml_limits.args, "args within their limit");
    for (size_t i = 0; i < c->n_args; i++) {
        require(*c->args[i].key && !strchr(c->args[i].key, '='), "arg names: non-empty, no '='");
        require(c->args[i].value != NULL, "args have values");
        for (size_t j = 0; j < i; j++)
            require(strcmp(c->args[i].key, c->args[j].key) != 0, "arg names are unique");
    }
}

static void check_child(const struct nines_child_spec *c, int depth, unsigned lines) {
    require(c->id && tree_id_valid(c->id), "a valid id");
    require(c->mark.line >= 1 && c->mark.line <= lines, "declared at a line of the text");
    require((c->kind == NINES_CHILD_MODULE) == !!c->module, "a module exactly for module children");
    require((c->kind == NINES_CHILD_EXEC) == (c->exec_argv && c->exec_argv[0]), "argv exactly for exec children");
    require((c->kind == NINES_CHILD_SUPERVISOR) == !!c->supervisor, "a supervisor exactly for supervisors");
    require(!c->notify || c->kind == NINES_CHILD_EXEC, "ready: notify only for exec");
    require(c->kind != NINES_CHILD_SUPERVISOR || (c->n_args == 0 && c->shutdown.kind == NINES_SHUTDOWN_INFINITY),
            "a supervisor: no args, shutdown infinity");
    check_args(c);
    if (c->supervisor)
        check_sup(c->supervisor, depth + 1, lines);
    struct nines_child_spec *copy = nines_child_spec_copy(c);
    require(copy != NULL, "out of memory");
    require(nines_child_spec_equal(c, copy, NULL, NULL), "a copy is equal");
    nines_child_spec_free(copy);
}

static void check_sup(const struct nines_sup_spec *s, int depth, unsigned lines) {
    require(depth <= TREE_MAX_DEPTH, "supervisors at most 32 deep");
    bool dynamic = s->strategy == NINES_DYNAMIC;
    require(dynamic == !!s->child_template, "a template exactly for dynamic supervisors");
    require(!dynamic || s->n_children == 0, "no static children under a dynamic supervisor");
    require(!s->child_template || s->child_template->kind != NINES_CHILD_SUPERVISOR, "a worker template");
    for (size_t i = 0; i < s->n_children; i++) {
        check_child(&s->children[i], depth, lines);
        for (size_t j = 0; j < i; j++)
            require(strcmp(s->children[i].id, s->children[j].id) != 0, "ids unique among siblings");
    }
    if (s->child_template)
        check_child(s->child_template, depth, lines);
}

static void check_failure(int r, const void *out, const struct nines_error *err, const char *name, unsigned lines) {
    require(r == -EINVAL || r == -ENOMEM, "errors are -EINVAL (or -ENOMEM)");
    require(out == NULL, "failure: nothing comes back");
    require(strcmp(err->file, name) == 0, "failure: the file is named");
    require(err->message[0] != '\0', "failure: a message");
    require((err->line == 0) == (err->column == 0), "failure: a whole position or none");
    require(err->line <= lines, "failure: a line of the text");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    yaml_limits = (struct yaml_limits){.size = 1 << 16, .nodes = 5000, .aliases = 5000, .depth = 64, .args = 100};
    unsigned lines = count_lines(data, size);
    struct nines_error err;
    struct nines_tree *tree = (struct nines_tree *)&tree;
    int r = nines_tree_load_string("fuzz.yaml", ".", (const char *)data, size, &tree, &err);
    if (r < 0) {
        check_failure(r, tree, &err, "fuzz.yaml", lines);
    } else {
        require(tree && strcmp(tree->path, "fuzz.yaml") == 0, "success: a tree named as its file");
        check_sup(&tree->root, 1, lines);
        nines_tree_free(tree);
    }
    struct nines_child_spec *c = (struct nines_child_spec *)&c;
    r = nines_child_load_string("spec", ".", (const char *)data, size, &c, &err);
    if (r < 0) {
        check_failure(r, c, &err, "spec", lines);
    } else {
        check_child(c, 1, lines);
        nines_child_spec_free(c);
    }
    return 0;
}
