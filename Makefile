# Nines — plain `make` builds everything; `make test` runs every test;
# `make check-asan` runs them again under AddressSanitizer and UBSan.
#
# Layout of the build (BUILD=build by default):
#   $(BUILD)/ninesd, nines-worker, ninesctl   programs
#   $(BUILD)/libnines.a                        infrastructure shared by every program (lib/)
#   $(BUILD)/librelease.a                      the release format and state (release/)
#   $(BUILD)/libappup.a                        appups, their generator, the planner (appup/)
#   $(BUILD)/libengine.a                       the pure supervision engine (supervisord/engine/)
#   $(BUILD)/libninesd.a                       the daemon's shell, control socket and release
#                                              handler, without main() (supervisord/)
#   $(BUILD)/libninesctl.a                     ninesctl without main(), for its unit tests
#   $(BUILD)/examples/*.so                     example applications
#   $(BUILD)/examples/*-2.so                   their version 2, where they have one
#   $(BUILD)/examples/releases/                the example releases myapp-VERSION/ and .tar.gz
#   $(BUILD)/tests/*                           test programs and test .so files

CC ?= cc
BUILD ?= build
VERSION := 0.1.0
PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
LIBEXECDIR ?= $(PREFIX)/libexec/nines
INCLUDEDIR ?= $(PREFIX)/include
PKGCONFIGDIR ?= $(PREFIX)/lib/pkgconfig
UNITDIR ?= $(PREFIX)/lib/systemd/system
SYSCONFDIR ?= /etc
DATADIR ?= $(PREFIX)/share
MANDIR ?= $(DATADIR)/man
DOCDIR ?= $(DATADIR)/doc/nines
EXAMPLEDIR ?= $(PREFIX)/lib/nines/examples
BASHCOMPDIR ?= $(DATADIR)/bash-completion/completions
ZSHCOMPDIR ?= $(DATADIR)/zsh/vendor-completions
DESTDIR ?=

PKGS := libsystemd yaml-0.1
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) libarchive cmocka)
PKG_LIBS := $(shell pkg-config --libs $(PKGS))
CMOCKA_LIBS := $(shell pkg-config --libs cmocka)
# Only nines-release reads tarballs (release/tool/tarball.c).
ARCHIVE_LIBS := $(shell pkg-config --libs libarchive)

CFLAGS ?= -O2 -g
WARNINGS := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
            -Wno-unused-parameter -Wformat=2
BASE_CFLAGS := -std=gnu11 -fPIC -fvisibility=hidden -D_GNU_SOURCE $(WARNINGS)
SAN_FLAGS :=
ifeq ($(SANITIZE),1)
SAN_FLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
endif
# Each part compiles with its own include path: a part sees the headers of
# the parts below it and nothing above (lib/ sees only include/ and lib/;
# the engine only lib/; examples only include/). PART_INC is set per
# object below; the default is the public header alone.
PART_INC := -Iinclude
ALL_CFLAGS = $(BASE_CFLAGS) $(CFLAGS) $(SAN_FLAGS) $(PART_INC) $(PKG_CFLAGS) \
              -DNINES_LIBEXECDIR='"$(LIBEXECDIR)"' -DNINES_BINDIR='"$(BINDIR)"' -DNINES_VERSION='"$(VERSION)"'
ALL_LDFLAGS := $(LDFLAGS) $(SAN_FLAGS)

# The parts (doc/design.md), lowest first.
INC_LIB := -Iinclude -Ilib
INC_RELEASE := $(INC_LIB) -Irelease
INC_APPUP := $(INC_RELEASE) -Iappup
INC_ENGINE := $(INC_LIB) -Isupervisord/engine
INC_NINESD := $(INC_APPUP) -Isupervisord/engine -Isupervisord/control -Isupervisord/release -Isupervisord
INC_WORKER := $(INC_LIB) -Iworker
INC_CTL := $(INC_LIB) -Ictl

LIB_SRC := $(wildcard lib/*.c)
RELEASE_FMT_SRC := $(wildcard release/*.c)
APPUP_LIB_SRC := $(wildcard appup/*.c)
ENGINE_SRC := $(wildcard supervisord/engine/*.c)
NINESD_SRC := $(filter-out supervisord/main.c,$(wildcard supervisord/*.c)) \
              $(wildcard supervisord/control/*.c) $(wildcard supervisord/release/*.c)
HOST_SRC := $(wildcard worker/*.c)
# nines-modtest: the worker host without its main(), driven by a script.
MODTEST_SRC := $(wildcard worker/modtest/*.c)
CTL_SRC := $(wildcard ctl/*.c)
# Release tools: each tool folder's .c files make one program.
RELEASE_SRC := $(wildcard release/tool/*.c)
RELEASE_LIB_SRC := $(filter-out release/tool/main.c,$(RELEASE_SRC))
APPUP_SRC := $(wildcard appup/tool/*.c)
CTL_LIB_SRC := $(filter-out ctl/main.c,$(CTL_SRC))
EXAMPLE_SRC := $(wildcard examples/*/*.c)
UNIT_SRC := $(wildcard tests/unit/test_*.c)
ITEST_SRC := $(wildcard tests/integration/itest_*.c)
ITEST_HELPERS := $(filter-out tests/integration/itest_%,$(wildcard tests/integration/*.c))
TESTAPP_SRC := $(wildcard tests/apps/*.c)
BENCH_COMMON := bench/bench_common.c bench/bench_load.c
# bench_peers' supervisors (peers_sup.c) are linked into it alone.
BENCH_PEERS_SRC := bench/peers_sup.c
BENCH_SRC := $(filter-out $(BENCH_COMMON) $(BENCH_PEERS_SRC),$(wildcard bench/*.c))

obj = $(patsubst %.c,$(BUILD)/obj/%.o,$(1))

$(call obj,$(LIB_SRC)): PART_INC := $(INC_LIB)
$(call obj,$(RELEASE_FMT_SRC)): PART_INC := $(INC_RELEASE)
$(call obj,$(APPUP_LIB_SRC)): PART_INC := $(INC_APPUP)
$(call obj,$(ENGINE_SRC)): PART_INC := $(INC_ENGINE)
$(call obj,$(NINESD_SRC) supervisord/main.c): PART_INC := $(INC_NINESD)
$(call obj,$(HOST_SRC)): PART_INC := $(INC_WORKER)
$(call obj,$(MODTEST_SRC)): PART_INC := $(INC_WORKER) -Iworker/modtest
$(call obj,$(CTL_SRC)): PART_INC := $(INC_CTL)
$(call obj,$(RELEASE_SRC)): PART_INC := $(INC_APPUP) -iquote release/tool
$(call obj,$(APPUP_SRC)): PART_INC := $(INC_APPUP) -iquote appup/tool

PROGRAMS := $(BUILD)/ninesd $(BUILD)/nines-worker $(BUILD)/nines-modtest $(if $(CTL_SRC),$(BUILD)/ninesctl) \
            $(if $(RELEASE_SRC),$(BUILD)/nines-release) $(if $(APPUP_SRC),$(BUILD)/nines-appup)
# examples/NAME/*.c -> $(BUILD)/examples/NAME.so
# examples/template/ is built by its own Makefile, as a user's module is.
EXAMPLE_NAMES := $(sort $(patsubst examples/%/,%,$(dir $(filter-out examples/template/%,$(EXAMPLE_SRC)))))
EXAMPLES := $(foreach n,$(EXAMPLE_NAMES),$(BUILD)/examples/$(n).so)
# Applications with a version 2 built from the same sources (for live
# upgrades): examples/NAME/*.c with -DNAME_VERSION=2 -> NAME-2.so.
EXAMPLES_V2_NAMES := counter echo kv
EXAMPLES_V2 := $(foreach n,$(EXAMPLES_V2_NAMES),$(BUILD)/examples/$(n)-2.so)
UNIT_TESTS := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRC))
ITESTS := $(patsubst tests/integration/%.c,$(BUILD)/tests/%,$(ITEST_SRC))
TESTAPPS := $(patsubst tests/apps/%.c,$(BUILD)/tests/apps/%.so,$(TESTAPP_SRC))
BENCHES := $(patsubst bench/%.c,$(BUILD)/bench/%,$(BENCH_SRC))

# Fuzz targets (tests/fuzz/fuzz_NAME.c -> $(BUILD)/fuzz/fuzz_NAME): clang's
# libFuzzer with ASan and UBSan built in, so the sanitizer build skips them.
# Each is built straight from the sources it exercises, instrumented;
# FUZZ_SRC_NAME lists them (any header of those parts may matter to them).
# `make test` runs each briefly (tests/run.sh).
FUZZ_CC ?= clang
FUZZ_CFLAGS := -std=gnu11 -g -O1 -D_GNU_SOURCE $(WARNINGS) $(INC_APPUP) $(PKG_CFLAGS) \
               -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
FUZZ_TARGETS := $(patsubst tests/fuzz/%.c,$(BUILD)/fuzz/%,$(wildcard tests/fuzz/fuzz_*.c))
FUZZ_TREE_SRC := lib/tree.c lib/tree_load.c lib/tree_child.c lib/tree_exec.c lib/tree_backoff.c lib/tree_sockets.c lib/signal_name.c lib/tree_paths.c lib/module_check.c lib/yaml_schema.c \
                 lib/yaml_schema_input.c lib/nines_error.c lib/tree_spec.c \
                 lib/utf8.c lib/yaml_output.c lib/yaml_compose.c lib/yaml_limits.c lib/str_set.c
FUZZ_SRC_ctl_proto := lib/ctl_proto.c lib/log.c lib/log_buffer.c lib/utf8.c lib/sha256.c
FUZZ_SRC_appup := $(filter-out appup/appup_generate%,$(wildcard appup/appup*.c)) $(FUZZ_TREE_SRC)
FUZZ_SRC_manifest := $(wildcard release/manifest*.c) lib/sha256.c lib/atomic_file.c $(FUZZ_TREE_SRC)
FUZZ_SRC_release_state := $(wildcard release/release_state*.c) $(FUZZ_SRC_manifest)
FUZZ_SRC_snap := worker/snap.c
FUZZ_SRC_tree := $(FUZZ_TREE_SRC)

.PHONY: all test check-asan install uninstall man clean bench bench-peers bench-plot fuzz
all: $(PROGRAMS) $(EXAMPLES) $(EXAMPLES_V2)

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -MMD -MP -c -o $@ $<

$(BUILD)/libnines.a: $(call obj,$(LIB_SRC))
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/librelease.a: $(call obj,$(RELEASE_FMT_SRC))
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/libappup.a: $(call obj,$(APPUP_LIB_SRC))
	@rm -f $@
	ar rcs $@ $^

# The engine is pure: it may call the C library's memory and string
# functions, the reason helpers and the spec copies of lib/ and itself,
# nothing else. Any
# other symbol it needs (a system call, sd-event, the log) fails the
# build here, naming it.
ENGINE_ALLOWED := asprintf calloc free malloc memcmp memcpy memmove memset realloc snprintf strchr \
                  strcmp strdup strlen strncmp strndup strnlen strrchr __stack_chk_fail _GLOBAL_OFFSET_TABLE_ \
                  nines_reason_format nines_reason_is_abnormal nines_reason_make \
                  nines_child_spec_copy nines_child_spec_free nines_args_copy nines_args_free \
                  nines_child_spec_equal nines_sup_spec_same_kind
$(BUILD)/libengine.a: $(call obj,$(ENGINE_SRC))
	@rm -f $@
	ar rcs $@ $^
	@defined=$$(nm --defined-only $@ | awk 'NF == 3 {print $$3}' | sort -u); \
	 bad=$$(nm -u $@ | awk 'NF == 2 {print $$2}' | sort -u | \
	        grep -vxF -e "$$(echo $$defined | tr ' ' '\n')" -e "$$(echo $(ENGINE_ALLOWED) | tr ' ' '\n')" \
	        | grep -v '^__.*san\|^__ubsan\|^__asan' || true); \
	 if [ -n "$$bad" ]; then echo "error: the engine must stay pure; it calls: $$bad" >&2; rm -f $@; exit 1; fi
	@stray=$$(nm --defined-only -g $@ | awk 'NF == 3 && $$2 ~ /[TDBRC]/ {print $$3}' | grep -v '^engine_\|^eng_' || true); \
	 if [ -n "$$stray" ]; then echo "error: engine globals are engine_ (public) or eng_ (internal): $$stray" >&2; rm -f $@; exit 1; fi

$(BUILD)/libninesd.a: $(call obj,$(NINESD_SRC))
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/ninesd: $(call obj,supervisord/main.c) $(BUILD)/libninesd.a $(BUILD)/libengine.a $(BUILD)/libappup.a \
                 $(BUILD)/librelease.a $(BUILD)/libnines.a
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS) -linotifytools

# The worker host exports the runtime API (default visibility) to the
# application .so it loads, and nothing else (-fvisibility=hidden).
$(BUILD)/nines-worker: $(call obj,$(HOST_SRC)) $(BUILD)/libnines.a
	$(CC) $(ALL_LDFLAGS) -Wl,--export-dynamic -o $@ $^ -ldl

# nines-modtest exports the same runtime API to the module it loads.
$(BUILD)/nines-modtest: $(call obj,$(MODTEST_SRC) $(filter-out worker/host_main.c worker/host_preload.c,$(HOST_SRC))) $(BUILD)/libnines.a
	$(CC) $(ALL_LDFLAGS) -Wl,--export-dynamic -o $@ $^ -ldl

$(BUILD)/libninesctl.a: $(call obj,$(CTL_LIB_SRC))
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/nines-release: $(call obj,$(RELEASE_SRC)) $(BUILD)/libappup.a $(BUILD)/librelease.a $(BUILD)/libnines.a
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS) $(ARCHIVE_LIBS) -ldl

$(BUILD)/nines-appup: $(call obj,$(APPUP_SRC)) $(BUILD)/libappup.a $(BUILD)/librelease.a $(BUILD)/libnines.a
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS)

# ninesctl dashboard serves HTTP with libmicrohttpd, which ninesctl loads
# (dlopen) only for that command (ctl/dashboard_mhd.h): linked, it and
# GnuTLS cost every ninesctl 1.2 ms at start. Its soname is the one of
# the library built against.
MHD_SONAME := $(shell objdump -p $$(pkg-config --variable=libdir libmicrohttpd)/libmicrohttpd.so 2>/dev/null | \
                awk '/SONAME/ {print $$2}')
$(BUILD)/obj/ctl/dashboard_mhd.o: ALL_CFLAGS += $(if $(MHD_SONAME),-DNINES_MHD_SONAME='"$(MHD_SONAME)"')
$(BUILD)/ninesctl: $(call obj,ctl/main.c) $(BUILD)/libninesctl.a $(BUILD)/libnines.a
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS) -ldl -lpthread

# An application: every .c of examples/NAME/ goes into NAME.so.
.SECONDEXPANSION:
$(BUILD)/examples/%.so: $$(call obj,$$(wildcard examples/%/*.c))
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -shared -o $@ $^

# Version 2 of an application: the same sources, compiled into their own
# object folder with NAME_VERSION=2 (NAME upper-cased, from the folder).
obj_v2 = $(patsubst examples/%.c,$(BUILD)/obj/examples-v2/%.o,$(1))
$(EXAMPLES_V2): $(BUILD)/examples/%-2.so: $$(call obj_v2,$$(wildcard examples/%/*.c))
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -shared -o $@ $^

$(BUILD)/obj/examples-v2/%.o: examples/%.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -D$(shell echo '$(patsubst %/,%,$(dir $*))' | tr a-z- A-Z_)_VERSION=2 \
	    -MMD -MP -c -o $@ $<

# The example release series (examples/releases/README.md): myapp 1.0.0 ->
# 1.1.0 -> 2.0.0, built by nines-release into $(BUILD)/examples/releases/
# (myapp-VERSION/ and myapp-VERSION.tar.gz), each checked with --previous
# against the one before it. A spec cannot name the build folder (BUILD
# varies), so each is staged in $(BUILD)/examples/release-specs/: links
# to the spec's files, and apps/ to $(BUILD)/examples/; build follows the
# links and copies the files.
EXAMPLE_RELEASE_DIR := $(BUILD)/examples/releases
EXAMPLE_RELEASES := $(foreach v,1.0.0 1.1.0 2.0.0,$(EXAMPLE_RELEASE_DIR)/myapp-$(v).tar.gz)
EXAMPLE_RELEASE_PREVIOUS_1.1.0 := 1.0.0
EXAMPLE_RELEASE_PREVIOUS_2.0.0 := 1.1.0
all: $(EXAMPLE_RELEASES)
$(EXAMPLE_RELEASE_DIR)/myapp-%.tar.gz: $$(wildcard examples/releases/myapp-%/*.yaml examples/releases/myapp-%/appups/*) \
        $$(if $$(EXAMPLE_RELEASE_PREVIOUS_$$*),$(EXAMPLE_RELEASE_DIR)/myapp-$$(EXAMPLE_RELEASE_PREVIOUS_$$*).tar.gz) \
        $(EXAMPLES) $(EXAMPLES_V2) $(BUILD)/nines-release $(BUILD)/nines-worker
	@spec=$(BUILD)/examples/release-specs/myapp-$* && rm -rf $$spec && mkdir -p $$spec/appups && \
	 for f in $(patsubst examples/releases/myapp-$*/%,%,$(wildcard examples/releases/myapp-$*/*.yaml \
	          examples/releases/myapp-$*/appups/*)); do ln -s $(abspath examples/releases/myapp-$*)/$$f $$spec/$$f; done && \
	 ln -s $(abspath $(BUILD))/examples $$spec/apps
	$(BUILD)/nines-release build --force $(if $(EXAMPLE_RELEASE_PREVIOUS_$*),--previous \
	    $(EXAMPLE_RELEASE_DIR)/myapp-$(EXAMPLE_RELEASE_PREVIOUS_$*)) \
	    $(BUILD)/examples/release-specs/myapp-$*/release.yaml $(EXAMPLE_RELEASE_DIR)

$(BUILD)/tests/apps/%.so: $(BUILD)/obj/tests/apps/%.o
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -shared -o $@ $<

# Unit tests link against the part they test and the parts below it,
# nothing more: the engine's tests link the engine, lib/reason, lib/tree_spec and cmocka
# alone (no libsystemd), so the engine cannot grow a system call unseen.
unit = $(patsubst %,$(BUILD)/tests/test_%,$(1))
UNIT_ENGINE := $(filter $(call unit,engine%),$(UNIT_TESTS))
UNIT_CTL := $(filter $(call unit,ctl_%),$(UNIT_TESTS))
UNIT_RELEASE_TOOL := $(filter $(call unit,nines_release_%),$(UNIT_TESTS))
UNIT_APPUP := $(filter $(call unit,appup% relup%),$(UNIT_TESTS))
UNIT_RELEASE := $(filter $(call unit,manifest% release_state%),$(UNIT_TESTS))
UNIT_LIB := $(filter $(call unit,logfmt proto reason sha256 tree tree_spec module_check utf8 yaml_output path_trust \
                                  tarball_limits launch_proto),$(UNIT_TESTS))
# The worker host's parts a module sees (nines/snap.h), each test with
# the one source it tests: the test provides the rest of the runtime.
UNIT_WORKER := $(filter $(call unit,snap host_title launch_text),$(UNIT_TESTS))
UNIT_NINESD := $(filter-out $(UNIT_ENGINE) $(UNIT_CTL) $(UNIT_RELEASE_TOOL) $(UNIT_APPUP) $(UNIT_RELEASE) \
                            $(UNIT_LIB) $(UNIT_WORKER),$(UNIT_TESTS))
unit_obj = $(patsubst $(BUILD)/tests/%,$(BUILD)/obj/tests/unit/%.o,$(1))
$(call unit_obj,$(UNIT_ENGINE)): PART_INC := $(INC_ENGINE)
$(call unit_obj,$(UNIT_CTL)): PART_INC := $(INC_CTL)
$(call unit_obj,$(UNIT_RELEASE_TOOL)): PART_INC := $(INC_APPUP) -iquote release/tool
$(call unit_obj,$(UNIT_APPUP)): PART_INC := $(INC_APPUP)
$(call unit_obj,$(UNIT_RELEASE)): PART_INC := $(INC_RELEASE)
$(call unit_obj,$(UNIT_LIB)): PART_INC := $(INC_LIB)
$(call unit_obj,$(UNIT_WORKER)): PART_INC := $(INC_WORKER)
$(call unit_obj,$(UNIT_NINESD)): PART_INC := $(INC_NINESD)

$(UNIT_ENGINE): $(BUILD)/tests/%: $(BUILD)/obj/tests/unit/%.o $(BUILD)/libengine.a $(BUILD)/obj/lib/reason.o \
                 $(BUILD)/obj/lib/tree_spec.o
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(CMOCKA_LIBS)

$(UNIT_CTL): $(BUILD)/tests/%: $(BUILD)/obj/tests/unit/%.o $(BUILD)/libninesctl.a $(BUILD)/libnines.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS) $(CMOCKA_LIBS)

# nines-release's tests reach its parts through libninesrelease.a (and
# its header, release/tool/release.h, on the quote path).
$(BUILD)/libninesrelease.a: $(call obj,$(RELEASE_LIB_SRC))
	@rm -f $@
	ar rcs $@ $^
$(UNIT_RELEASE_TOOL): $(BUILD)/tests/%: $(BUILD)/obj/tests/unit/%.o $(BUILD)/libninesrelease.a $(BUILD)/libappup.a \
                                     $(BUILD)/librelease.a $(BUILD)/libnines.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS) $(ARCHIVE_LIBS) $(CMOCKA_LIBS) -ldl

$(UNIT_APPUP): $(BUILD)/tests/%: $(BUILD)/obj/tests/unit/%.o $(BUILD)/libappup.a $(BUILD)/librelease.a \
                                 $(BUILD)/libnines.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS) $(CMOCKA_LIBS)

$(UNIT_RELEASE): $(BUILD)/tests/%: $(BUILD)/obj/tests/unit/%.o $(BUILD)/librelease.a $(BUILD)/libnines.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS) $(CMOCKA_LIBS)

$(UNIT_LIB): $(BUILD)/tests/%: $(BUILD)/obj/tests/unit/%.o $(BUILD)/libnines.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS) $(CMOCKA_LIBS)

$(UNIT_WORKER): $(BUILD)/tests/test_%: $(BUILD)/obj/tests/unit/test_%.o $(BUILD)/obj/worker/%.o
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(CMOCKA_LIBS)

$(UNIT_NINESD): $(BUILD)/tests/%: $(BUILD)/obj/tests/unit/%.o $(BUILD)/libninesd.a $(BUILD)/libengine.a \
                                  $(BUILD)/libappup.a $(BUILD)/librelease.a $(BUILD)/libnines.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS) $(CMOCKA_LIBS) -linotifytools

# Integration tests and benchmarks drive the programs; they read the
# formats (manifests, appups) through the libraries of those parts.
$(call obj,$(ITEST_SRC) $(ITEST_HELPERS)): PART_INC := $(INC_APPUP)
$(call obj,$(BENCH_SRC) $(BENCH_COMMON) $(BENCH_PEERS_SRC)): PART_INC := $(INC_LIB)
$(BUILD)/tests/itest_%: $(BUILD)/obj/tests/integration/itest_%.o $(call obj,$(ITEST_HELPERS)) $(BUILD)/libappup.a \
                        $(BUILD)/librelease.a $(BUILD)/libnines.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS) $(CMOCKA_LIBS)

$(BUILD)/bench/%: $(BUILD)/obj/bench/%.o $(call obj,$(BENCH_COMMON)) $(BUILD)/libnines.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS) -ldl -lm
$(BUILD)/bench/bench_peers: $(call obj,$(BENCH_PEERS_SRC))

# What embeds the install paths or the version is rebuilt when they change
# (e.g. `make install PREFIX=/usr` after a plain `make`).
PATHS_STAMP := $(BUILD)/paths.stamp
$(PATHS_STAMP): FORCE
	@mkdir -p $(BUILD)
	@echo '$(LIBEXECDIR) $(BINDIR) $(VERSION)' | cmp -s - $@ || echo '$(LIBEXECDIR) $(BINDIR) $(VERSION)' > $@
$(call obj,lib/worker_path.c supervisord/main.c ctl/help.c release/tool/main.c release/tool/args.c appup/tool/main.c): $(PATHS_STAMP)
.PHONY: FORCE
FORCE:

# Integration tests find the programs and modules of *this* build.
$(BUILD)/obj/tests/integration/%.o: ALL_CFLAGS += -DNINES_BUILD_DIR='"$(abspath $(BUILD))"' \
                                   -DNINES_SOURCE_DIR='"$(abspath .)"'
$(BUILD)/obj/bench/%.o: ALL_CFLAGS += -DNINES_BUILD_DIR='"$(abspath $(BUILD))"'

# The module ABI's growth rule (tests/abi/): the descriptor check compiled
# against a copy of nines/module.h with one field appended, as a later
# revision would, run on modules built against today's header.
ABI_GROWN_INC := $(BUILD)/abi-grown
ABI_TEST := $(BUILD)/tests/test_module_abi_growth
$(ABI_GROWN_INC)/nines/module.h: include/nines/module.h
	@mkdir -p $(dir $@)
	sed '/void (\*free_state)/,/^};/ s/^};/    void (*appended_in_test)(void);\n};/' $< > $@
	@grep -q appended_in_test $@ || { echo "error: could not grow $<" >&2; rm -f $@; exit 1; }
$(ABI_TEST): tests/abi/test_module_abi_growth.c lib/module_check.c $(ABI_GROWN_INC)/nines/module.h
	@mkdir -p $(dir $@) $(BUILD)/obj/tests/abi
	$(CC) -I$(ABI_GROWN_INC) $(ALL_CFLAGS) -iquote lib -DNINES_BUILD_DIR='"$(abspath $(BUILD))"' -o $@ \
	    -MMD -MP -MF $(BUILD)/obj/tests/abi/test_module_abi_growth.d \
	    tests/abi/test_module_abi_growth.c lib/module_check.c $(ALL_LDFLAGS) $(CMOCKA_LIBS) -ldl

# tests/run.sh runs every test binary in the build folder: one whose source
# is gone (renamed, removed) is deleted first, not run stale.
test: all $(UNIT_TESTS) $(ABI_TEST) $(ITESTS) $(TESTAPPS) $(if $(filter 1,$(SANITIZE)),,$(FUZZ_TARGETS))
	@for t in $(BUILD)/tests/test_* $(BUILD)/tests/itest_*; do \
	    case " $(UNIT_TESTS) $(ABI_TEST) $(ITESTS) " in *" $$t "*) ;; *) [ -e "$$t" ] && echo "removing stale $$t" && rm -f "$$t";; esac; \
	done; true
	tests/run.sh $(BUILD)

# The fuzz targets (see FUZZ_TARGETS above).
fuzz: $(FUZZ_TARGETS)

$(BUILD)/fuzz/fuzz_%: tests/fuzz/fuzz_%.c $$(FUZZ_SRC_$$*) $(wildcard lib/*.h release/*.h appup/*.h include/nines/*.h)
	@command -v $(FUZZ_CC) >/dev/null 2>&1 || { echo "error: $(FUZZ_CC) not found: the fuzz targets need clang and libFuzzer (scripts/setup installs clang and libclang-rt-14-dev)" >&2; exit 1; }
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ $< $(FUZZ_SRC_$*) $(PKG_LIBS)

check-asan:
	NINES_SANITIZED=1 $(MAKE) BUILD=build-asan SANITIZE=1 CFLAGS='-O1 -g' test

bench: all $(BENCHES) $(TESTAPPS)
	bench/run.sh $(BUILD)

# Nines beside s6, runit and supervisord (bench/peers.sh installs them
# from Debian), results in $(BUILD)/bench/peers*.tsv; bench-plot draws
# them into doc/peers.svg (gnuplot), running bench-peers first if there
# are no results yet.
bench-peers: all $(BENCHES) $(TESTAPPS)
	bench/peers.sh $(BUILD)
$(BUILD)/bench/peers.tsv:
	$(MAKE) bench-peers
bench-plot: | $(BUILD)/bench/peers.tsv
	bench/peers_plot.sh $(BUILD) doc/peers.svg

# --- Installing -----------------------------------------------------------
# Man pages: the programs' from their --help (help2man, with the extra
# sections in doc/man/NAME.h2m), the module API's written by hand.
MAN_PROGRAMS := ninesd.8 ninesctl.1 nines-release.1 nines-appup.1 nines-modtest.1
MANPAGES := $(addprefix $(BUILD)/man/,$(MAN_PROGRAMS)) doc/man/nines-module.3
HELP2MAN := help2man
$(BUILD)/man/%: doc/man/$$(basename $$*).h2m $(PROGRAMS)
	@command -v $(HELP2MAN) >/dev/null 2>&1 || { echo "error: $(HELP2MAN) not found: the man pages are made with it (scripts/setup installs it)" >&2; exit 1; }
	@mkdir -p $(dir $@)
	$(HELP2MAN) -N -s $(subst .,,$(suffix $*)) --include $< --no-discard-stderr \
	    --version-string=$(VERSION) -o $@ $(BUILD)/$(basename $*)
man: $(MANPAGES)

# A module builds against this checkout without installing:
# PKG_CONFIG_PATH=$(BUILD) pkg-config --cflags nines (pkg-config prefers
# NAME-uninstalled.pc when it is on the path).
all: $(BUILD)/nines-uninstalled.pc
$(BUILD)/nines-uninstalled.pc: nines.pc.in
	@mkdir -p $(dir $@)
	sed -e 's|@PREFIX@|$(abspath .)|g' -e 's|@INCLUDEDIR@|$(abspath include)|g' -e 's|@BINDIR@|$(abspath $(BUILD))|g' \
	    $< > $@

# What `make install` lays, one name per line, for `make uninstall`.
INSTALLED = $(BINDIR)/ninesd $(BINDIR)/ninesctl $(BINDIR)/nines-release $(BINDIR)/nines-appup $(BINDIR)/nines-modtest \
            $(LIBEXECDIR)/nines-worker $(addprefix $(INCLUDEDIR)/nines/,$(notdir $(wildcard include/nines/*.h))) \
            $(PKGCONFIGDIR)/nines.pc $(UNITDIR)/ninesd.service \
            $(addprefix $(MANDIR)/man,$(foreach m,$(MAN_PROGRAMS) nines-module.3,$(subst .,,$(suffix $(m)))/$(m))) \
            $(BASHCOMPDIR)/ninesctl $(ZSHCOMPDIR)/_ninesctl \
            $(addprefix $(EXAMPLEDIR)/,$(notdir $(EXAMPLES) $(EXAMPLES_V2))) \
            $(addprefix $(DOCDIR)/,README.md $(notdir $(wildcard doc/*.md)) $(INSTALLED_EXAMPLE_SRC))
INSTALLED_EXAMPLE_SRC = $(filter-out examples/apps examples/apps/% examples/etc/%,$(shell git ls-files examples 2>/dev/null || find examples -type f))
SAMPLE_TREE = $(SYSCONFDIR)/nines/tree.yaml
substitute = sed -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@INCLUDEDIR@|$(INCLUDEDIR)|g' -e 's|@BINDIR@|$(BINDIR)|g' \
                 -e 's|@SYSCONFDIR@|$(SYSCONFDIR)|g' -e 's|@DOCDIR@|$(DOCDIR)|g' -e 's|@EXAMPLEDIR@|$(EXAMPLEDIR)|g'

install: all man
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(LIBEXECDIR) $(DESTDIR)$(INCLUDEDIR)/nines \
	           $(DESTDIR)$(PKGCONFIGDIR) $(DESTDIR)$(UNITDIR) $(DESTDIR)$(EXAMPLEDIR) \
	           $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man3 $(DESTDIR)$(MANDIR)/man8 \
	           $(DESTDIR)$(BASHCOMPDIR) $(DESTDIR)$(ZSHCOMPDIR) $(DESTDIR)$(DOCDIR) $(DESTDIR)$(SYSCONFDIR)/nines
	install -m 755 $(filter-out %/nines-worker,$(PROGRAMS)) $(DESTDIR)$(BINDIR)/
	install -m 755 $(BUILD)/nines-worker $(DESTDIR)$(LIBEXECDIR)/
	install -m 644 include/nines/*.h $(DESTDIR)$(INCLUDEDIR)/nines/
	$(substitute) nines.pc.in > $(DESTDIR)$(PKGCONFIGDIR)/nines.pc
	$(substitute) ninesd.service.in > $(DESTDIR)$(UNITDIR)/ninesd.service
	install -m 644 $(filter %.1,$(MANPAGES)) $(DESTDIR)$(MANDIR)/man1/
	install -m 644 $(filter %.3,$(MANPAGES)) $(DESTDIR)$(MANDIR)/man3/
	install -m 644 $(filter %.8,$(MANPAGES)) $(DESTDIR)$(MANDIR)/man8/
	install -m 644 scripts/completion/ninesctl.bash $(DESTDIR)$(BASHCOMPDIR)/ninesctl
	install -m 644 scripts/completion/_ninesctl $(DESTDIR)$(ZSHCOMPDIR)/_ninesctl
	install -m 755 $(EXAMPLES) $(EXAMPLES_V2) $(DESTDIR)$(EXAMPLEDIR)/
	install -m 644 README.md doc/*.md $(DESTDIR)$(DOCDIR)/
	for f in $(INSTALLED_EXAMPLE_SRC); do install -D -m 644 $$f $(DESTDIR)$(DOCDIR)/$$f || exit 1; done
	@# The sample tree is the operator's file once installed: never replaced.
	$(substitute) examples/etc/tree.yaml.in > $(BUILD)/tree.yaml.sample
	@if [ -e $(DESTDIR)$(SAMPLE_TREE) ]; then echo "keeping $(DESTDIR)$(SAMPLE_TREE) (the sample is $(DOCDIR)/tree.yaml.sample)"; \
	 else install -m 644 $(BUILD)/tree.yaml.sample $(DESTDIR)$(SAMPLE_TREE); fi
	install -m 644 $(BUILD)/tree.yaml.sample $(DESTDIR)$(DOCDIR)/tree.yaml.sample

# Removes what install laid; the tree file only while it is still the
# sample (an edited one is the operator's), and the folders left empty.
uninstall:
	rm -f $(addprefix $(DESTDIR),$(INSTALLED))
	@if [ -e $(DESTDIR)$(SAMPLE_TREE) ] && ! cmp -s $(DESTDIR)$(SAMPLE_TREE) $(DESTDIR)$(DOCDIR)/tree.yaml.sample; then \
	   echo "keeping $(DESTDIR)$(SAMPLE_TREE): it was edited"; else rm -f $(DESTDIR)$(SAMPLE_TREE); fi
	rm -f $(DESTDIR)$(DOCDIR)/tree.yaml.sample
	-find $(DESTDIR)$(DOCDIR) -depth -type d -empty -delete 2>/dev/null
	-rmdir $(DESTDIR)$(EXAMPLEDIR) $(DESTDIR)$(PREFIX)/lib/nines $(DESTDIR)$(LIBEXECDIR) \
	       $(DESTDIR)$(INCLUDEDIR)/nines $(DESTDIR)$(SYSCONFDIR)/nines 2>/dev/null || true

clean:
	rm -rf build build-asan

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)

# Keep objects of test and example programs between runs.
.SECONDARY:
