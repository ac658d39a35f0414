# Nines — plain `make` builds everything; `make test` runs every test;
# `make check-asan` runs them again under AddressSanitizer and UBSan.
#
# Layout of the build (BUILD=build by default):
#   $(BUILD)/ninesd, nines-worker, ninesctl   programs
#   $(BUILD)/libnines.a                        shared code (lib/)
#   $(BUILD)/libninesd.a                       the daemon without main()
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
DESTDIR ?=

PKGS := libsystemd yaml-0.1
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) cmocka)
PKG_LIBS := $(shell pkg-config --libs $(PKGS))
CMOCKA_LIBS := $(shell pkg-config --libs cmocka)

CFLAGS ?= -O2 -g
WARNINGS := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
            -Wno-unused-parameter -Wformat=2
BASE_CFLAGS := -std=gnu11 -fPIC -fvisibility=hidden -D_GNU_SOURCE $(WARNINGS)
SAN_FLAGS :=
ifeq ($(SANITIZE),1)
SAN_FLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
endif
ALL_CFLAGS := $(BASE_CFLAGS) $(CFLAGS) $(SAN_FLAGS) -Iinclude -Ilib -Isupervisord $(PKG_CFLAGS) \
              -DNINES_LIBEXECDIR='"$(LIBEXECDIR)"' -DNINES_BINDIR='"$(BINDIR)"' -DNINES_VERSION='"$(VERSION)"'
ALL_LDFLAGS := $(LDFLAGS) $(SAN_FLAGS)

LIB_SRC := $(wildcard lib/*.c)
NINESD_SRC := $(filter-out supervisord/main.c,$(wildcard supervisord/*.c))
HOST_SRC := $(wildcard supervisord/host/*.c)
CTL_SRC := $(wildcard ctl/*.c)
# Release tools: each folder's .c files make one program.
RELEASE_SRC := $(wildcard release/*.c)
RELEASE_LIB_SRC := $(filter-out release/main.c,$(RELEASE_SRC))
APPUP_SRC := $(wildcard appup/*.c)
CTL_LIB_SRC := $(filter-out ctl/main.c,$(CTL_SRC))
EXAMPLE_SRC := $(wildcard examples/*/*.c)
UNIT_SRC := $(wildcard tests/unit/test_*.c)
ITEST_SRC := $(wildcard tests/integration/itest_*.c)
ITEST_HELPERS := $(filter-out tests/integration/itest_%,$(wildcard tests/integration/*.c))
TESTAPP_SRC := $(wildcard tests/apps/*.c)
BENCH_COMMON := bench/bench_common.c
BENCH_SRC := $(filter-out $(BENCH_COMMON),$(wildcard bench/*.c))

obj = $(patsubst %.c,$(BUILD)/obj/%.o,$(1))

PROGRAMS := $(BUILD)/ninesd $(BUILD)/nines-worker $(if $(CTL_SRC),$(BUILD)/ninesctl) \
            $(if $(RELEASE_SRC),$(BUILD)/nines-release) $(if $(APPUP_SRC),$(BUILD)/nines-appup)
# examples/NAME/*.c -> $(BUILD)/examples/NAME.so
EXAMPLE_NAMES := $(sort $(patsubst examples/%/,%,$(dir $(EXAMPLE_SRC))))
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
# Each is built straight from the lib/ sources it exercises, instrumented;
# FUZZ_SRC_NAME lists them (any header of lib/ may matter to them).
# `make test` runs each briefly (tests/run.sh).
FUZZ_CC ?= clang
FUZZ_CFLAGS := -std=gnu11 -g -O1 -D_GNU_SOURCE $(WARNINGS) -Iinclude -Ilib $(PKG_CFLAGS) \
               -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
FUZZ_TARGETS := $(patsubst tests/fuzz/%.c,$(BUILD)/fuzz/%,$(wildcard tests/fuzz/fuzz_*.c))
FUZZ_SRC_ctl_proto := lib/ctl_proto.c lib/log.c
FUZZ_SRC_appup := $(filter-out lib/appup_generate%,$(wildcard lib/appup*.c)) lib/tree.c lib/tree_load.c lib/tree_child.c lib/tree_paths.c \
                  lib/module_check.c
FUZZ_SRC_manifest := $(wildcard lib/manifest*.c) lib/sha256.c lib/tree.c lib/tree_load.c lib/tree_child.c \
                     lib/tree_paths.c lib/module_check.c lib/atomic_file.c lib/yaml_input.c
FUZZ_SRC_release_state := $(wildcard lib/release_state*.c) $(FUZZ_SRC_manifest)

.PHONY: all test check-asan install clean bench fuzz
all: $(PROGRAMS) $(EXAMPLES) $(EXAMPLES_V2)

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -MMD -MP -c -o $@ $<

$(BUILD)/libnines.a: $(call obj,$(LIB_SRC))
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/libninesd.a: $(call obj,$(NINESD_SRC))
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/ninesd: $(call obj,supervisord/main.c) $(BUILD)/libninesd.a $(BUILD)/libnines.a
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS) -linotifytools

# The worker host exports the runtime API (default visibility) to the
# application .so it loads, and nothing else (-fvisibility=hidden).
$(BUILD)/nines-worker: $(call obj,$(HOST_SRC)) $(BUILD)/libnines.a
	$(CC) $(ALL_LDFLAGS) -Wl,--export-dynamic -o $@ $^ -ldl

$(BUILD)/libninesctl.a: $(call obj,$(CTL_LIB_SRC))
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/nines-release: $(call obj,$(RELEASE_SRC)) $(BUILD)/libnines.a
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS) -ldl

$(BUILD)/nines-appup: $(call obj,$(APPUP_SRC)) $(BUILD)/libnines.a
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS)

$(BUILD)/ninesctl: $(call obj,ctl/main.c) $(BUILD)/libninesctl.a $(BUILD)/libnines.a
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS)

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

$(BUILD)/tests/test_%: $(BUILD)/obj/tests/unit/test_%.o $(BUILD)/libninesd.a $(BUILD)/libnines.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS) $(CMOCKA_LIBS) -linotifytools

# ninesctl's tests reach its pure parts through libninesctl.a (and its
# headers in ctl/); they need nothing of the daemon.
$(BUILD)/obj/tests/unit/test_ctl_%.o: ALL_CFLAGS += -Ictl
$(BUILD)/tests/test_ctl_%: $(BUILD)/obj/tests/unit/test_ctl_%.o $(BUILD)/libninesctl.a $(BUILD)/libnines.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS) $(CMOCKA_LIBS)

# nines-release's tests reach its parts through libninesrelease.a (and
# its header, release/release.h, on the quote path).
$(BUILD)/libninesrelease.a: $(call obj,$(RELEASE_LIB_SRC))
	@rm -f $@
	ar rcs $@ $^
$(BUILD)/obj/tests/unit/test_nines_release_%.o: ALL_CFLAGS += -iquote release
$(BUILD)/tests/test_nines_release_%: $(BUILD)/obj/tests/unit/test_nines_release_%.o $(BUILD)/libninesrelease.a \
                                     $(BUILD)/libnines.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS) $(CMOCKA_LIBS) -ldl

$(BUILD)/tests/itest_%: $(BUILD)/obj/tests/integration/itest_%.o $(call obj,$(ITEST_HELPERS)) $(BUILD)/libnines.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS) $(CMOCKA_LIBS)

$(BUILD)/bench/%: $(BUILD)/obj/bench/%.o $(call obj,$(BENCH_COMMON)) $(BUILD)/libnines.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS) -ldl -lm

# What embeds the install paths or the version is rebuilt when they change
# (e.g. `make install PREFIX=/usr` after a plain `make`).
PATHS_STAMP := $(BUILD)/paths.stamp
$(PATHS_STAMP): FORCE
	@mkdir -p $(BUILD)
	@echo '$(LIBEXECDIR) $(BINDIR) $(VERSION)' | cmp -s - $@ || echo '$(LIBEXECDIR) $(BINDIR) $(VERSION)' > $@
$(call obj,lib/worker_path.c supervisord/main.c ctl/help.c release/main.c release/args.c appup/main.c): $(PATHS_STAMP)
.PHONY: FORCE
FORCE:

# Integration tests find the programs and modules of *this* build.
$(BUILD)/obj/tests/integration/%.o: ALL_CFLAGS += -DNINES_BUILD_DIR='"$(abspath $(BUILD))"' \
                                   -DNINES_SOURCE_DIR='"$(abspath .)"'
$(BUILD)/obj/bench/%.o: ALL_CFLAGS += -DNINES_BUILD_DIR='"$(abspath $(BUILD))"'

test: all $(UNIT_TESTS) $(ITESTS) $(TESTAPPS) $(if $(filter 1,$(SANITIZE)),,$(FUZZ_TARGETS))
	tests/run.sh $(BUILD)

# The fuzz targets (see FUZZ_TARGETS above).
fuzz: $(FUZZ_TARGETS)

$(BUILD)/fuzz/fuzz_%: tests/fuzz/fuzz_%.c $$(FUZZ_SRC_$$*) $(wildcard lib/*.h include/nines/*.h)
	@command -v $(FUZZ_CC) >/dev/null 2>&1 || { echo "error: $(FUZZ_CC) not found: the fuzz targets need clang and libFuzzer (scripts/setup installs clang and libclang-rt-14-dev)" >&2; exit 1; }
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ $< $(FUZZ_SRC_$*) $(PKG_LIBS)

check-asan:
	NINES_SANITIZED=1 $(MAKE) BUILD=build-asan SANITIZE=1 CFLAGS='-O1 -g' test

bench: all $(BENCHES) $(TESTAPPS)
	bench/run.sh $(BUILD)

install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(LIBEXECDIR) $(DESTDIR)$(INCLUDEDIR)/nines \
	           $(DESTDIR)$(PKGCONFIGDIR) $(DESTDIR)$(UNITDIR)
	install -m 755 $(PROGRAMS) $(DESTDIR)$(BINDIR)/
	mv $(DESTDIR)$(BINDIR)/nines-worker $(DESTDIR)$(LIBEXECDIR)/nines-worker
	install -m 644 include/nines/*.h $(DESTDIR)$(INCLUDEDIR)/nines/
	sed -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@INCLUDEDIR@|$(INCLUDEDIR)|g' \
	    nines.pc.in > $(DESTDIR)$(PKGCONFIGDIR)/nines.pc
	sed -e 's|@BINDIR@|$(BINDIR)|g' ninesd.service.in > $(DESTDIR)$(UNITDIR)/ninesd.service

clean:
	rm -rf build build-asan

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)

# Keep objects of test and example programs between runs.
.SECONDARY:
