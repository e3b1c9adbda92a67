# qlens — build, test, install.
#
#   make              build build/qlens
#   make run          build and start it (ARGS="bits 1/3" passes arguments)
#   make test         build every test suite with ASan+UBSan and run them all
#   make bench        build and run the kernel benchmark
#   make bench-eval   time qlens eval and qlens divergence (scripts/bench_eval.sh)
#   make install      install to $(DESTDIR)$(PREFIX)/bin (PREFIX=/usr/local)
#   make uninstall    remove what install put there
#   make clean        remove build/
#
# V=1 shows full commands. CFLAGS, CPPFLAGS and LDFLAGS given by the user are
# appended to qlens's own flags, never replace them. Missing libraries are
# found with pkg-config and, on Debian/Ubuntu, installed (scripts/deps.sh).

VERSION    := 0.1.0
PREFIX     ?= /usr/local
BINDIR     ?= $(PREFIX)/bin
DATADIR    ?= $(PREFIX)/share/qlens
PKG_CONFIG ?= pkg-config
BUILD      ?= build

ifeq ($(V),1)
Q :=
msg = @true
else
Q := @
msg = @printf '  %-7s %s\n' $(1) $(2)
endif

# Libraries: the program needs these; the tests also need cmocka.
LIBS_RUN  := ncursesw readline jansson zlib
LIBS_TEST := cmocka

# Goals that need no libraries must not trigger the dependency check.
NODEPS_GOALS := clean uninstall help
ifneq ($(filter-out $(NODEPS_GOALS),$(or $(MAKECMDGOALS),all)),)
# config.mk is (re)made by the rule below before anything else; make restarts
# with it, so the pkg-config flags are known from the first compile on.
include $(BUILD)/config.mk
endif
ifneq ($(filter test test-% check fuzz,$(MAKECMDGOALS))$(findstring /asan/,$(MAKECMDGOALS)),)
include $(BUILD)/config-test.mk
endif

$(BUILD)/config.mk: scripts/deps.sh
	@mkdir -p $(@D)
	@scripts/deps.sh $(LIBS_RUN)
	@{ echo 'PKG_CFLAGS := '"$$($(PKG_CONFIG) --cflags $(LIBS_RUN))"; \
	   echo 'PKG_LIBS := '"$$($(PKG_CONFIG) --libs $(LIBS_RUN))"; } > $@.tmp && mv $@.tmp $@

$(BUILD)/config-test.mk: scripts/deps.sh
	@mkdir -p $(@D)
	@scripts/deps.sh $(LIBS_TEST)
	@{ echo 'TEST_CFLAGS := '"$$($(PKG_CONFIG) --cflags $(LIBS_TEST))"; \
	   echo 'TEST_LIBS := '"$$($(PKG_CONFIG) --libs $(LIBS_TEST))"; } > $@.tmp && mv $@.tmp $@

# Our flags first, the user's after them (so the user's win where they clash).
WARN      := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wno-unused-parameter
QL_CPPFLAGS = -Iinclude -D_GNU_SOURCE -DQLENS_VERSION='"$(VERSION)"' -DQLENS_DATADIR='"$(DATADIR)"' $(PKG_CFLAGS)
QL_CFLAGS  := -std=c11 $(WARN) -O2 -g -pthread -MMD -MP
ALL_CFLAGS  = $(QL_CPPFLAGS) $(QL_CFLAGS) $(CPPFLAGS) $(CFLAGS)
ALL_LIBS    = $(PKG_LIBS) -lm -pthread $(LDFLAGS) $(LDLIBS)

# The test build: sanitizers, warnings are errors, no recovery from UB.
SAN       := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
TEST_ALL_CFLAGS = $(QL_CPPFLAGS) $(TEST_CFLAGS) -std=c11 $(WARN) -Werror -O1 -g -pthread -MMD -MP $(SAN) $(CPPFLAGS) $(CFLAGS)

LIB_SRC  := $(sort $(wildcard src/core/*.c src/io/*.c src/tui/*.c src/cli/*.c))
LIB_SRC  := $(filter-out src/cli/main.c,$(LIB_SRC))
LIB_OBJ  := $(LIB_SRC:%.c=$(BUILD)/obj/%.o)
MAIN_OBJ := $(BUILD)/obj/src/cli/main.o
T_LIB_OBJ := $(LIB_SRC:%.c=$(BUILD)/asan/%.o)
TEST_SRC := $(sort $(wildcard tests/test_*.c))
TEST_BIN := $(TEST_SRC:tests/%.c=$(BUILD)/asan/tests/%)
TEST_SUPPORT := $(filter-out $(TEST_SRC),$(wildcard tests/*.c))
T_SUP_OBJ := $(TEST_SUPPORT:%.c=$(BUILD)/asan/%.o)

.PHONY: all run test test-exhaustive bench bench-eval install uninstall clean help
.DEFAULT_GOAL := all
# Keep the test objects: without this make deletes them as intermediates
# and rebuilds every suite on each run.
.SECONDARY: $(TEST_BIN:=.o) $(T_SUP_OBJ)

all: $(BUILD)/qlens

$(BUILD)/qlens: $(LIB_OBJ) $(MAIN_OBJ)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(ALL_CFLAGS) -o $@ $^ $(ALL_LIBS)

$(BUILD)/obj/%.o: %.c $(BUILD)/config.mk
	@mkdir -p $(@D)
	$(call msg,CC,$<)
	$(Q)$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(BUILD)/asan/%.o: %.c $(BUILD)/config.mk
	@mkdir -p $(@D)
	$(call msg,CC-SAN,$<)
	$(Q)$(CC) $(TEST_ALL_CFLAGS) -c -o $@ $<

$(BUILD)/asan/tests/%: $(BUILD)/asan/tests/%.o $(T_LIB_OBJ) $(T_SUP_OBJ)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(TEST_ALL_CFLAGS) -o $@ $^ $(TEST_LIBS) $(ALL_LIBS)

# The sanitized CLI, for tests that run the program itself.
$(BUILD)/asan/qlens: $(T_LIB_OBJ) $(BUILD)/asan/src/cli/main.o
	$(call msg,LINK,$@)
	$(Q)$(CC) $(TEST_ALL_CFLAGS) -o $@ $^ $(ALL_LIBS)

run: $(BUILD)/qlens
	./$(BUILD)/qlens $(ARGS)

# Every suite runs even when one fails; the last line counts them.
test: $(TEST_BIN) $(BUILD)/asan/qlens
	@pass=0; fail=0; failed=""; \
	for t in $(TEST_BIN); do \
		echo "== $$t"; \
		if QLENS_BIN=$(BUILD)/asan/qlens QLENS_SRCDIR=. ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
		   UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 $$t; then \
			pass=$$((pass+1)); else fail=$$((fail+1)); failed="$$failed $$t"; fi; \
	done; \
	for s in tests/*.sh; do \
		[ -f "$$s" ] || continue; echo "== $$s"; \
		if QLENS_BIN=$(BUILD)/asan/qlens QLENS_SRCDIR=. ASAN_OPTIONS=detect_leaks=1 sh $$s; then \
			pass=$$((pass+1)); else fail=$$((fail+1)); failed="$$failed $$s"; fi; \
	done; \
	[ -z "$$failed" ] || echo "failed:$$failed"; \
	echo "suites: $$pass passed, $$fail failed"; \
	[ $$fail -eq 0 ]

# The full 2^32 sweeps of fp32 -> fp16/bf16 and of the fast fp8/fp4/MX
# encoders against the exact ones (minutes; not part of make test).
test-exhaustive: $(BUILD)/asan/tests/test_format $(BUILD)/asan/tests/test_fastpath
	QLENS_EXHAUSTIVE=1 $(BUILD)/asan/tests/test_format
	QLENS_EXHAUSTIVE=1 $(BUILD)/asan/tests/test_fastpath

bench: $(BUILD)/qlens-bench
	$(BUILD)/qlens-bench $(ARGS)

# The speed targets of qlens eval and qlens divergence (wall time, best of 5).
bench-eval: $(BUILD)/qlens
	scripts/bench_eval.sh $(BUILD)/qlens

$(BUILD)/qlens-bench: $(BUILD)/obj/tests/bench/bench.o $(LIB_OBJ)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(ALL_CFLAGS) -o $@ $^ $(ALL_LIBS)

install: $(BUILD)/qlens
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(DATADIR)/lessons $(DESTDIR)$(DATADIR)/assets
	install -m 755 $(BUILD)/qlens $(DESTDIR)$(BINDIR)/qlens
	for f in lessons/* assets/*; do [ -f "$$f" ] && install -m 644 "$$f" "$(DESTDIR)$(DATADIR)/$$f"; done; true
	for d in assets/models/*/; do [ -d "$$d" ] || continue; install -d "$(DESTDIR)$(DATADIR)/$$d"; \
		for f in "$$d"*; do [ -f "$$f" ] && install -m 644 "$$f" "$(DESTDIR)$(DATADIR)/$$f"; done; done; true

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/qlens
	rm -rf $(DESTDIR)$(DATADIR)

clean:
	rm -rf $(BUILD)

help:
	@sed -n '1,/^$$/p' Makefile | sed 's/^# \{0,1\}//'

-include $(LIB_OBJ:.o=.d) $(MAIN_OBJ:.o=.d) $(T_LIB_OBJ:.o=.d) $(TEST_BIN:=.d) $(T_SUP_OBJ:.o=.d)

# --- Fuzzing the file readers (clang + libFuzzer) ------------------------------
#   make fuzz [FUZZ_TIME=60]  builds tests/fuzz/fuzz_*.c against the core and
#   io sources with -fsanitize=fuzzer,address,undefined and runs each target
#   for FUZZ_TIME seconds, seeded from tests/golden/readers and tests/corpus.
#   New inputs go to $(BUILD)/fuzz/corpus_NAME, crashes to $(BUILD)/fuzz/.
#   (Debian/Ubuntu: apt-get install clang libclang-rt-14-dev.)
FUZZ_CC   ?= clang
FUZZ_TIME ?= 60
FUZZ_SAN  := -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined
FUZZ_SRC  := $(sort $(wildcard src/core/*.c src/io/*.c))
FUZZ_BIN  := $(patsubst tests/fuzz/%.c,$(BUILD)/fuzz/%,$(wildcard tests/fuzz/fuzz_*.c))

.PHONY: fuzz fuzz-build
fuzz-build: $(FUZZ_BIN)

fuzz: $(FUZZ_BIN)
	@for t in $(FUZZ_BIN); do \
		n=$${t##*/fuzz_}; \
		case $$n in \
		gguf) seeds="tests/golden/readers tests/corpus/gguf" ;; \
		npz) seeds="tests/golden/readers tests/corpus/npz" ;; \
		text) seeds="tests/golden/readers tests/corpus/text" ;; \
		shards) seeds="tests/corpus/shards" ;; \
		raw) seeds="tests/fuzz/seeds_raw" ;; \
		npy|safetensors) seeds="tests/golden/files tests/corpus" ;; \
		*) seeds="" ;; \
		esac; \
		mkdir -p $(BUILD)/fuzz/corpus_$$n; \
		echo "== fuzz_$$n for $(FUZZ_TIME)s"; \
		$$t -max_total_time=$(FUZZ_TIME) -timeout=10 -rss_limit_mb=4096 -print_final_stats=1 \
			-artifact_prefix=$(BUILD)/fuzz/$$n- $(BUILD)/fuzz/corpus_$$n $$seeds || exit 1; \
	done

$(BUILD)/fuzz/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz_common.h $(FUZZ_SRC) $(BUILD)/config.mk
	@mkdir -p $(@D)
	$(call msg,FUZZ,$@)
	$(Q)$(FUZZ_CC) $(QL_CPPFLAGS) -std=c11 -g -O1 $(FUZZ_SAN) -o $@ $< $(FUZZ_SRC) $(PKG_LIBS) -lm -pthread
