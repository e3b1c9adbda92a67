# qlens — build, test, install.
#
#   make              build build/qlens
#   make run          build and start it (ARGS="bits 1/3" passes arguments)
#   make test         build every test suite with ASan+UBSan and run them all
#   make test-robust  10,000 mutated files through the sanitized program
#   make check        the same as make test
#   make bench        build and run the kernel benchmark (GGML_DIR=DIR: and
#                     the row quantizers against ggml's, scripts/bench_ggml_q8_0.sh)
#   make bench-eval   time qlens eval and qlens divergence (scripts/bench_eval.sh)
#   make bench-scaling  qlens quantize end to end, 1M..64M elements, 1 vs 2
#                     threads (scripts/bench_scaling.sh)
#   make install      install the program, its data, man page and bash
#                     completion under $(DESTDIR)$(PREFIX) (PREFIX=/usr/local)
#   make uninstall    remove what install put there
#   make clean        remove build/
#
# V=1 shows full commands. CFLAGS, CPPFLAGS and LDFLAGS given by the user are
# appended to qlens's own flags, never replace them. Missing libraries are
# found with pkg-config and, on Debian/Ubuntu, installed (scripts/deps.sh).
#
# Layers, enforced by the link: src/core and src/io build into
# build/libqlens-core.a, compiled and linked without ncurses or readline;
# the test suites, fuzz targets and the benchmark link that library alone,
# so a core file that calls into curses or the CLI fails to link. src/cli
# and src/tui build into build/libqlens-ui.a on top; build/qlens is main.c
# over both. Suites that drive the CLI or the TUI in-process are named
# tests/test_cli*.c or tests/test_tui*.c and link the UI library too, as do
# the quantization explorer's suites (UI_TESTS_NAMED: its worker and screen
# are in src/tui, and they parse with quantize's own CLI parser) and
# test_signals (it runs the command line in a child to signal it).

VERSION     := 0.1.0
PREFIX      ?= /usr/local
BINDIR      ?= $(PREFIX)/bin
DATADIR     ?= $(PREFIX)/share/qlens
MANDIR      ?= $(PREFIX)/share/man
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
PKG_CONFIG  ?= pkg-config
BUILD       ?= build

ifeq ($(V),1)
Q :=
msg = @true
else
Q := @
msg = @printf '  %-7s %s\n' $(1) $(2)
endif

# Libraries by layer: the core and io need the first, the CLI and TUI add the
# second, the tests add cmocka.
LIBS_CORE := jansson zlib
LIBS_UI   := ncursesw readline
LIBS_TEST := cmocka

# Goals that need no libraries must not trigger the dependency check.
NODEPS_GOALS := clean uninstall help
ifneq ($(filter-out $(NODEPS_GOALS),$(or $(MAKECMDGOALS),all)),)
# config.mk is (re)made by the rule below before anything else; make restarts
# with it, so the pkg-config flags are known from the first compile on. It is
# made again when what pkg-config says now differs from what it holds (a
# library upgraded, PKG_CONFIG_PATH changed, a library list edited here).
include $(BUILD)/config.mk
ifneq ($(strip $(CORE_PKG_CFLAGS) $(CORE_PKG_LIBS) / $(UI_PKG_CFLAGS) $(UI_PKG_LIBS)),$(strip \
	$(shell $(PKG_CONFIG) --cflags --libs $(LIBS_CORE) 2>/dev/null) / \
	$(shell $(PKG_CONFIG) --cflags --libs $(LIBS_UI) 2>/dev/null)))
$(BUILD)/config.mk: FORCE
endif
endif
ifneq ($(filter test test-% check fuzz%,$(MAKECMDGOALS))$(findstring /asan/,$(MAKECMDGOALS)),)
include $(BUILD)/config-test.mk
ifneq ($(strip $(TEST_CFLAGS) $(TEST_LIBS)),$(strip $(shell $(PKG_CONFIG) --cflags --libs $(LIBS_TEST) 2>/dev/null)))
$(BUILD)/config-test.mk: FORCE
endif
endif

pc_flags = echo '$(1)_PKG_CFLAGS := '"$$($(PKG_CONFIG) --cflags $(2))"; \
	   echo '$(1)_PKG_LIBS := '"$$($(PKG_CONFIG) --libs $(2))"

$(BUILD)/config.mk: scripts/deps.sh
	@mkdir -p $(@D)
	@scripts/deps.sh $(LIBS_CORE) $(LIBS_UI)
	@{ $(call pc_flags,CORE,$(LIBS_CORE)); $(call pc_flags,UI,$(LIBS_UI)); } > $@.tmp && mv $@.tmp $@

$(BUILD)/config-test.mk: scripts/deps.sh
	@mkdir -p $(@D)
	@scripts/deps.sh $(LIBS_TEST)
	@{ echo 'TEST_CFLAGS := '"$$($(PKG_CONFIG) --cflags $(LIBS_TEST))"; \
	   echo 'TEST_LIBS := '"$$($(PKG_CONFIG) --libs $(LIBS_TEST))"; } > $@.tmp && mv $@.tmp $@

# The installed data folder is compiled into datadir.o alone (the rest find
# data through ql_data_path); this file remembers it, so `make install
# PREFIX=/usr` after a plain `make` rebuilds that object for the new place.
DATADIR_STAMP := $(BUILD)/datadir.txt
ifneq ($(file <$(DATADIR_STAMP)),$(DATADIR))
$(DATADIR_STAMP): FORCE
endif
$(DATADIR_STAMP):
	@mkdir -p $(@D)
	$(file >$@,$(DATADIR))

# Our flags first, the user's after them (so the user's win where they clash).
# LAYER_CFLAGS is set per object below: a core object does not even see the
# UI libraries' flags.
WARN      := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wno-unused-parameter
QL_CPPFLAGS = -Iinclude -D_GNU_SOURCE -DQLENS_VERSION='"$(VERSION)"' $(LAYER_CFLAGS) $(DATADIR_DEF)
QL_CFLAGS  := -std=c11 $(WARN) -O2 -g -pthread -MMD -MP
ALL_CFLAGS  = $(QL_CPPFLAGS) $(QL_CFLAGS) $(CPPFLAGS) $(CFLAGS)
CORE_LDLIBS = $(CORE_PKG_LIBS) -lm -pthread $(LDFLAGS) $(LDLIBS)
UI_LDLIBS   = $(UI_PKG_LIBS) $(CORE_LDLIBS)

# The test build: sanitizers, warnings are errors, no recovery from UB.
SAN       := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
TEST_ALL_CFLAGS = $(QL_CPPFLAGS) -std=c11 $(WARN) -Werror -O1 -g -pthread -MMD -MP $(SAN) $(CPPFLAGS) $(CFLAGS)

# A library linked whole: every object is pulled in, so an undefined symbol
# anywhere in it (a call into curses from the core) fails the link.
whole = -Wl,--whole-archive $(1) -Wl,--no-whole-archive

CORE_SRC := $(sort $(wildcard src/core/*.c src/io/*.c))
UI_SRC   := $(filter-out src/cli/main.c,$(sort $(wildcard src/cli/*.c src/tui/*.c)))
CORE_OBJ := $(CORE_SRC:%.c=$(BUILD)/obj/%.o)
UI_OBJ   := $(UI_SRC:%.c=$(BUILD)/obj/%.o)
MAIN_OBJ := $(BUILD)/obj/src/cli/main.o
CORE_LIB := $(BUILD)/libqlens-core.a
UI_LIB   := $(BUILD)/libqlens-ui.a
T_CORE_OBJ := $(CORE_SRC:%.c=$(BUILD)/asan/%.o)
T_UI_OBJ   := $(UI_SRC:%.c=$(BUILD)/asan/%.o)
T_MAIN_OBJ := $(BUILD)/asan/src/cli/main.o
T_CORE_LIB := $(BUILD)/asan/libqlens-core.a
T_UI_LIB   := $(BUILD)/asan/libqlens-ui.a
TEST_SRC := $(sort $(wildcard tests/test_*.c))
TEST_BIN := $(TEST_SRC:tests/%.c=$(BUILD)/asan/tests/%)
UI_TESTS_NAMED := tests/test_quant_tui.c tests/test_qview.c tests/test_qx.c tests/test_signals.c
UI_TEST_BIN   := $(patsubst tests/%.c,$(BUILD)/asan/tests/%,$(wildcard tests/test_cli*.c tests/test_tui*.c $(UI_TESTS_NAMED)))
CORE_TEST_BIN := $(filter-out $(UI_TEST_BIN),$(TEST_BIN))
TEST_SUPPORT := $(filter-out $(TEST_SRC),$(wildcard tests/*.c))
T_SUP_OBJ := $(TEST_SUPPORT:%.c=$(BUILD)/asan/%.o)

# Each layer's objects see only their own libraries' flags; the tests see all.
LAYER_CFLAGS = $(CORE_PKG_CFLAGS) $(UI_PKG_CFLAGS) $(TEST_CFLAGS)
$(CORE_OBJ) $(T_CORE_OBJ) $(BUILD)/obj/tests/bench/bench.o: LAYER_CFLAGS = $(CORE_PKG_CFLAGS)
$(UI_OBJ) $(T_UI_OBJ) $(MAIN_OBJ) $(T_MAIN_OBJ): LAYER_CFLAGS = $(CORE_PKG_CFLAGS) $(UI_PKG_CFLAGS)
$(BUILD)/obj/src/core/datadir.o $(BUILD)/asan/src/core/datadir.o: DATADIR_DEF = -DQLENS_DATADIR='"$(DATADIR)"'
$(BUILD)/obj/src/core/datadir.o $(BUILD)/asan/src/core/datadir.o: $(DATADIR_STAMP)

.PHONY: all run test check test-exhaustive test-robust bench bench-eval bench-scaling install uninstall clean help FORCE
.DEFAULT_GOAL := all
# Build on every core unless the caller chose (make -jN, or -j1 to see one
# error at a time): `make test` from a clean clone compiles ~200 files.
ifeq ($(filter -j% --jobs%,$(MAKEFLAGS)),)
MAKEFLAGS += -j$(shell nproc 2>/dev/null || echo 2)
endif
# Keep the test objects: without this make deletes them as intermediates
# and rebuilds every suite on each run.
.SECONDARY: $(TEST_BIN:=.o) $(T_SUP_OBJ)

all: $(BUILD)/qlens

$(CORE_LIB): $(CORE_OBJ)
$(UI_LIB): $(UI_OBJ)
$(T_CORE_LIB): $(T_CORE_OBJ)
$(T_UI_LIB): $(T_UI_OBJ)
$(CORE_LIB) $(UI_LIB) $(T_CORE_LIB) $(T_UI_LIB):
	$(call msg,AR,$@)
	$(Q)rm -f $@ && $(AR) rcs $@ $^

$(BUILD)/qlens: $(MAIN_OBJ) $(UI_LIB) $(CORE_LIB)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(ALL_CFLAGS) -o $@ $^ $(UI_LDLIBS)

$(BUILD)/obj/%.o: %.c $(BUILD)/config.mk
	@mkdir -p $(@D)
	$(call msg,CC,$<)
	$(Q)$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(BUILD)/asan/%.o: %.c $(BUILD)/config.mk
	@mkdir -p $(@D)
	$(call msg,CC-SAN,$<)
	$(Q)$(CC) $(TEST_ALL_CFLAGS) -c -o $@ $<

# Suites of the core link the core library and its libraries only.
$(CORE_TEST_BIN): $(BUILD)/asan/tests/%: $(BUILD)/asan/tests/%.o $(T_SUP_OBJ) $(T_CORE_LIB)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(TEST_ALL_CFLAGS) -o $@ $< $(T_SUP_OBJ) $(call whole,$(T_CORE_LIB)) $(TEST_LIBS) $(CORE_LDLIBS)

# Suites of the CLI and the TUI (tests/test_cli*.c, tests/test_tui*.c) add them.
$(UI_TEST_BIN): $(BUILD)/asan/tests/%: $(BUILD)/asan/tests/%.o $(T_SUP_OBJ) $(T_UI_LIB) $(T_CORE_LIB)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(TEST_ALL_CFLAGS) -o $@ $< $(T_SUP_OBJ) $(T_UI_LIB) $(call whole,$(T_CORE_LIB)) \
		$(TEST_LIBS) $(UI_LDLIBS)

# The sanitized CLI, for tests that run the program itself.
$(BUILD)/asan/qlens: $(T_MAIN_OBJ) $(T_UI_LIB) $(T_CORE_LIB)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(TEST_ALL_CFLAGS) -o $@ $^ $(UI_LDLIBS)

run: $(BUILD)/qlens
	./$(BUILD)/qlens $(ARGS)

# Every suite runs even when one fails, in parallel (the -j above: one
# suite per core), each as soon as its program is linked. A suite's output
# goes to $(RUN_DIR)/NAME.log and its exit status, name and seconds to
# NAME.rc; when all have run, the logs are printed in the order below (C
# suites, then shell tests, each alphabetically), then the failures and
# the last line that counts them. The exit status is non-zero if any
# failed. A suite's rule itself never fails, so one failure does not stop
# the others (no need for make -k).
RUN_DIR   := $(BUILD)/asan/run
TEST_SH   := $(sort $(wildcard tests/*.sh))
RUN_C     := $(TEST_BIN:$(BUILD)/asan/tests/%=$(RUN_DIR)/%.rc)
RUN_SH    := $(TEST_SH:tests/%=$(RUN_DIR)/%.rc)
# Suites that start the sanitized program ($QLENS_BIN) need it (when one
# is run alone: make build/asan/run/NAME.rc).
RUN_NEEDS_BIN := $(patsubst tests/%.c,$(RUN_DIR)/%.rc,$(shell grep -l QLENS_BIN $(TEST_SRC)))
# The slowest suites start first, so that no long one is left running
# alone at the end (a hint for the order only; see tests/README.md).
RUN_FIRST := test_fused test_model corpus.sh test_tui_eval test_fastpath test_quant_tui \
	test_qcancel test_qtable test_cli_eval cli_blocks.sh
RUN_ORDER := $(foreach f,$(RUN_FIRST),$(filter $(RUN_DIR)/$(f).rc,$(RUN_C) $(RUN_SH))) \
	$(filter-out $(RUN_FIRST:%=$(RUN_DIR)/%.rc),$(RUN_C) $(RUN_SH))
TEST_ENV := QLENS_BIN=$(BUILD)/asan/qlens QLENS_SRCDIR=.
# NAME.rc holds: exit status, name, wall seconds, CPU seconds (user +
# system of the suite and its children, from the shell's `times`, which
# must run in the recipe's own shell: in a pipe or a command
# substitution it counts nothing).
run_suite = @mkdir -p $(@D); s=$$(date +%s.%N); \
	$(1) >$(@:.rc=.log) 2>&1; rc=$$?; \
	e=$$(date +%s.%N); t=$$(echo "$$s $$e" | awk '{printf "%.1f", $$2 - $$1}'); \
	times >$@.times; c=$$(awk 'NR == 2 { split($$0, f, /[ms ]+/); \
		printf "%.1f", f[1] * 60 + f[2] + f[3] * 60 + f[4] }' $@.times); rm -f $@.times; \
	echo "$$rc $(2) $$t $$c" >$@; \
	if [ $$rc -eq 0 ]; then printf '  %-7s %s (%s s, CPU %s s)\n' PASS $(2) $$t $$c; \
	else printf '  %-7s %s (%s s, exit %s)\n' FAIL $(2) $$t $$rc; fi

$(RUN_C): $(RUN_DIR)/%.rc: $(BUILD)/asan/tests/% FORCE
	$(call run_suite,$(TEST_ENV) ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
		UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 $<,$<)
$(RUN_SH): $(RUN_DIR)/%.rc: tests/% $(BUILD)/asan/qlens FORCE
	$(call run_suite,$(TEST_ENV) ASAN_OPTIONS=detect_leaks=1 sh $<,$<)
$(RUN_NEEDS_BIN): $(BUILD)/asan/qlens
# No suite starts before every program is built: the build has both cores,
# then the suites start in RUN_ORDER (make -j starts a target whose
# prerequisites are still being made only on its next pass, after the
# later ones, so without this the slowest suites ran last).
$(RUN_C) $(RUN_SH): | $(TEST_BIN) $(BUILD)/asan/qlens

check: test
test: $(RUN_ORDER)
	@pass=0; fail=0; failed=""; \
	for r in $(RUN_C) $(RUN_SH); do \
		read -r rc name secs cpu <$$r; \
		echo "== $$name ($$secs s, CPU $$cpu s)"; cat $${r%.rc}.log; \
		if [ "$$rc" = 0 ]; then pass=$$((pass+1)); else fail=$$((fail+1)); failed="$$failed $$name"; fi; \
	done; \
	[ -z "$$failed" ] || echo "failed:$$failed"; \
	echo "suites: $$pass passed, $$fail failed"; \
	[ $$fail -eq 0 ]

# The full 2^32 sweeps of fp32 -> fp16/bf16 and of the fast fp8/fp4/MX
# encoders against the exact ones (minutes; not part of make test).
test-exhaustive: $(BUILD)/asan/tests/test_format $(BUILD)/asan/tests/test_fastpath $(BUILD)/asan/tests/test_blockspeed
	QLENS_EXHAUSTIVE=1 $(BUILD)/asan/tests/test_format
	QLENS_EXHAUSTIVE=1 $(BUILD)/asan/tests/test_fastpath
	QLENS_EXHAUSTIVE=1 $(BUILD)/asan/tests/test_blockspeed

# 10,000 mutated files of every format through the sanitized program
# (info + report/quantize/compare/convert; minutes; not part of make test).
ROBUST_COUNT ?= 10000
test-robust: $(BUILD)/asan/qlens
	python3 tests/robust/robust.py --bin $(BUILD)/asan/qlens --count $(ROBUST_COUNT) --out $(BUILD)/robust

# With GGML_DIR (a ggml built outside this tree, see the script) the Q8_0 /
# Q4_0 row quantizers are then timed against ggml's own in the same run.
bench: $(BUILD)/qlens-bench
	$(BUILD)/qlens-bench $(ARGS)
	@if [ -n "$(GGML_DIR)" ]; then GGML_DIR="$(GGML_DIR)" scripts/bench_ggml_q8_0.sh; fi

# The speed targets of qlens eval and qlens divergence (wall time, best of 5).
bench-eval: $(BUILD)/qlens
	scripts/bench_eval.sh $(BUILD)/qlens

bench-scaling: $(BUILD)/qlens
	scripts/bench_scaling.sh $(BUILD)/qlens

$(BUILD)/qlens-bench: $(BUILD)/obj/tests/bench/bench.o $(CORE_LIB)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(ALL_CFLAGS) -o $@ $< $(call whole,$(CORE_LIB)) $(CORE_LDLIBS)

# Installs the program, its man page, its bash completion and the data
# folders (assets/, lessons/: every file, sub-folders kept). Each step stops
# the install with its error: nothing is skipped silently.
DATA_DIRS := assets lessons
install: $(BUILD)/qlens
	install -d '$(DESTDIR)$(BINDIR)' '$(DESTDIR)$(DATADIR)' '$(DESTDIR)$(MANDIR)/man1' '$(DESTDIR)$(BASHCOMPDIR)'
	install -m 755 $(BUILD)/qlens '$(DESTDIR)$(BINDIR)/qlens'
	install -m 644 docs/qlens.1 '$(DESTDIR)$(MANDIR)/man1/qlens.1'
	install -m 644 completions/qlens.bash '$(DESTDIR)$(BASHCOMPDIR)/qlens'
	@set -e; for d in $(DATA_DIRS); do \
		[ -d "$$d" ] || { echo "  (no $$d/ in this tree: nothing to install from it)"; continue; }; \
		find "$$d" -type d | while IFS= read -r sub; do \
			install -d "$(DESTDIR)$(DATADIR)/$$sub"; done; \
		find "$$d" ! -type d | while IFS= read -r f; do \
			echo "install -m 644 $$f $(DESTDIR)$(DATADIR)/$$f"; \
			install -m 644 "$$f" "$(DESTDIR)$(DATADIR)/$$f"; done; \
	done

uninstall:
	rm -f '$(DESTDIR)$(BINDIR)/qlens' '$(DESTDIR)$(MANDIR)/man1/qlens.1' '$(DESTDIR)$(BASHCOMPDIR)/qlens'
	rm -rf '$(DESTDIR)$(DATADIR)'

clean:
	rm -rf $(BUILD)

help:
	@sed -n '1,/^$$/p' Makefile | sed 's/^# \{0,1\}//'

-include $(CORE_OBJ:.o=.d) $(UI_OBJ:.o=.d) $(MAIN_OBJ:.o=.d) $(T_CORE_OBJ:.o=.d) $(T_UI_OBJ:.o=.d) \
	$(T_MAIN_OBJ:.o=.d) $(TEST_BIN:=.d) $(T_SUP_OBJ:.o=.d) $(BUILD)/obj/tests/bench/bench.d

# --- Fuzzing the file readers (clang + libFuzzer) ------------------------------
#   make fuzz [FUZZ_TIME=60]  builds tests/fuzz/fuzz_*.c against the core
#   library (src/core, src/io; compiled again with clang and
#   -fsanitize=fuzzer-no-link,address,undefined, linked without ncurses or
#   readline) and runs each target for FUZZ_TIME seconds, seeded from
#   tests/golden/readers and tests/corpus. New inputs go to
#   $(BUILD)/fuzz/corpus_NAME, crashes to $(BUILD)/fuzz/.
#   (Debian/Ubuntu: apt-get install clang libclang-rt-14-dev.)
FUZZ_CC   ?= clang
FUZZ_TIME ?= 60
FUZZ_SAN_UB := address,undefined -fno-sanitize-recover=undefined
FUZZ_CORE_OBJ := $(CORE_SRC:%.c=$(BUILD)/fuzz/obj/%.o)
FUZZ_CORE_LIB := $(BUILD)/fuzz/libqlens-core.a
FUZZ_BIN  := $(patsubst tests/fuzz/%.c,$(BUILD)/fuzz/%,$(wildcard tests/fuzz/fuzz_*.c))
FUZZ_CFLAGS = -Iinclude -D_GNU_SOURCE -DQLENS_VERSION='"$(VERSION)"' $(CORE_PKG_CFLAGS) -std=c11 -g -O1

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
		args) seeds="tests/fuzz/seeds_args" ;; \
		scheme) seeds="tests/fuzz/seeds_scheme" ;; \
		npy|safetensors) seeds="tests/golden/files tests/corpus" ;; \
		*) seeds="" ;; \
		esac; \
		mkdir -p $(BUILD)/fuzz/corpus_$$n; \
		echo "== fuzz_$$n for $(FUZZ_TIME)s"; \
		$$t -max_total_time=$(FUZZ_TIME) -timeout=10 -rss_limit_mb=4096 -print_final_stats=1 \
			-artifact_prefix=$(BUILD)/fuzz/$$n- $(BUILD)/fuzz/corpus_$$n $$seeds || exit 1; \
	done

$(BUILD)/fuzz/obj/%.o: %.c $(BUILD)/config.mk
	@mkdir -p $(@D)
	$(call msg,FUZZ-CC,$<)
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link,$(FUZZ_SAN_UB) -MMD -MP -c -o $@ $<

$(FUZZ_CORE_LIB): $(FUZZ_CORE_OBJ)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && $(AR) rcs $@ $^

$(BUILD)/fuzz/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz_common.h $(FUZZ_CORE_LIB) $(BUILD)/config.mk
	@mkdir -p $(@D)
	$(call msg,FUZZ,$@)
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer,$(FUZZ_SAN_UB) -o $@ $< \
		$(call whole,$(FUZZ_CORE_LIB)) $(CORE_PKG_LIBS) -lm -pthread

# The command line's argument parser and the scheme language need the CLI
# (and so the UI library, less main.c), not just the readers.
FUZZ_UI_OBJ := $(UI_SRC:%.c=$(BUILD)/fuzz/obj/%.o)
FUZZ_UI_LIB := $(BUILD)/fuzz/libqlens-ui.a
$(FUZZ_UI_OBJ): FUZZ_CFLAGS += $(UI_PKG_CFLAGS)
$(FUZZ_UI_LIB): $(FUZZ_UI_OBJ)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && $(AR) rcs $@ $^

FUZZ_WHOLE := $(BUILD)/fuzz/fuzz_args $(BUILD)/fuzz/fuzz_scheme
$(FUZZ_WHOLE): $(BUILD)/fuzz/fuzz_%: tests/fuzz/fuzz_%.c $(FUZZ_UI_LIB) $(FUZZ_CORE_LIB) $(BUILD)/config.mk
	@mkdir -p $(@D)
	$(call msg,FUZZ,$@)
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) $(UI_PKG_CFLAGS) -fsanitize=fuzzer,$(FUZZ_SAN_UB) -o $@ $< \
		$(call whole,$(FUZZ_UI_LIB)) $(call whole,$(FUZZ_CORE_LIB)) $(UI_PKG_LIBS) $(CORE_PKG_LIBS) -lm -pthread

-include $(FUZZ_CORE_OBJ:.o=.d) $(FUZZ_UI_OBJ:.o=.d)
