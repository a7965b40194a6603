# hardening.mk - sanitizers, valgrind, fuzzing and static analysis (included by the Makefile).
#
#   make check-asan       the whole suite (tests/run) against a build with AddressSanitizer and
#                         UndefinedBehaviorSanitizer in build-asan/; any sanitizer report fails it
#   make check-valgrind   every unit test under valgrind memcheck: no error, no definite leak
#   make fuzz             every libFuzzer target (tests/fuzz/fuzz_*.c, clang) for FUZZ_SECONDS
#                         each (default 60); `make -j5 fuzz` runs them side by side
#   make fuzz-regress     replay the seed corpora and tests/fuzz/regress/ through every target
#   make lint             cppcheck and clang-tidy (.clang-tidy); any finding fails it
#
# Each build lives in its own folder, so none of them disturbs the normal build/.

.PHONY: check-asan check-valgrind fuzz fuzz-build fuzz-bins fuzz-regress lint

# The programs linked inside any build folder (build-asan/smtpguard and its console beside it);
# ./smtpguard stays the normal one.
$(BUILD)/smtpguard: $(SMTPGUARD_IN) $(BUILD)/smtpguard-console
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $(SMTPGUARD_IN) $(CORE_LIBS)
$(BUILD)/smtpguard-console: $(CONSOLE_IN)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $(CONSOLE_IN) $(TUI_LIBS) $(CORE_LIBS)

# --- AddressSanitizer + UBSan over the whole suite
ASAN_BUILD = build-asan
# FORTIFY's checked copies would hide overflows from ASan, so it is turned off here only.
SAN_FLAGS = -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
ASAN_REPORTS = $(CURDIR)/$(ASAN_BUILD)/reports
# A sanitizer exit is 86, never the 1 or 2 a test may expect; reports also go to files,
# so a test that ignores exit codes still cannot hide one.
ASAN_ENV = ASAN_OPTIONS=exitcode=86:detect_leaks=1:strict_string_checks=1:check_initialization_order=1:log_path=$(ASAN_REPORTS)/asan \
	   UBSAN_OPTIONS=exitcode=86:print_stacktrace=1:log_path=$(ASAN_REPORTS)/ubsan

check-asan:
	$(MAKE) --no-print-directory BUILD=$(ASAN_BUILD) CFLAGS="-O1 -g $(SAN_FLAGS) -U_FORTIFY_SOURCE" \
		$(ASAN_BUILD)/smtpguard unit
	@rm -rf $(ASAN_REPORTS) && mkdir -p -m 1777 $(ASAN_REPORTS)
	@$(ASAN_ENV) SMTPGUARD=$(CURDIR)/$(ASAN_BUILD)/smtpguard UNIT_DIR=$(ASAN_BUILD)/tests \
		TEST_OUT=tests/out-asan sh tests/run; rc=$$?; \
	if [ -n "$$(ls -A $(ASAN_REPORTS))" ]; then \
		echo "check-asan: sanitizer reports in $(ASAN_REPORTS):"; head -n 60 $(ASAN_REPORTS)/*; exit 1; \
	fi; exit $$rc

# --- valgrind memcheck over the unit tests (the normal -O2 -g build)
VALGRIND = valgrind -q --error-exitcode=86 --leak-check=full --show-leak-kinds=definite \
	   --errors-for-leak-kinds=definite --track-origins=yes

check-valgrind: unit
	@mkdir -p $(BUILD)/valgrind; fail=0; \
	for t in $(UNIT_BIN); do \
		log=$(BUILD)/valgrind/$${t##*/}.log; \
		$(VALGRIND) --log-file=$$log.vg $$t >$$log 2>&1; rc=$$?; \
		if [ $$rc = 86 ] || [ -s $$log.vg ]; then \
			echo "check-valgrind: $$t: memcheck errors"; cat $$log.vg; fail=1; \
		elif [ $$rc != 0 ]; then \
			echo "check-valgrind: $$t: the test failed (exit $$rc), see $$log"; fail=1; \
		else \
			echo "check-valgrind: $$t: clean"; \
		fi; \
	done; exit $$fail

# --- libFuzzer (clang)
FUZZ_SECONDS ?= 60
FUZZ_BUILD = build-fuzz
FUZZ_CC = clang
FUZZ_FLAGS = -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
FUZZ_SRC = $(sort $(wildcard tests/fuzz/fuzz_*.c))
FUZZ_TARGETS = $(FUZZ_SRC:tests/fuzz/fuzz_%.c=%)
FUZZ_BIN = $(FUZZ_TARGETS:%=$(FUZZ_BUILD)/fuzz/fuzz_%)
FUZZ_OPTS = -timeout=10 -rss_limit_mb=2048 -print_final_stats=1

# The core compiled by clang with coverage for the fuzzer; other people's warnings never stop it.
fuzz-build:
	$(MAKE) --no-print-directory BUILD=$(FUZZ_BUILD) CC=$(FUZZ_CC) WERROR=0 \
		CFLAGS="-O1 -g -fsanitize=fuzzer-no-link $(FUZZ_FLAGS) -U_FORTIFY_SOURCE" fuzz-bins

fuzz-bins: $(FUZZ_BIN)

$(FUZZ_BUILD)/fuzz/fuzz_%: tests/fuzz/fuzz_%.c $(LIBCORE)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) -Itests $(ALL_CFLAGS) $(CORE_CFLAGS) -fsanitize=fuzzer -o $@ $< $(LIBCORE) $(CORE_LIBS)

fuzz: $(FUZZ_TARGETS:%=fuzz-%)

# fuzz-NAME: one target for FUZZ_SECONDS; new inputs go to build-fuzz/corpus/NAME (the
# checked-in seeds stay as they are), a crash to build-fuzz/artifacts/ and fails the target.
# FUZZ_SEED fixes libFuzzer's random seed: CI sets it, so a tree fuzzes the same way on every
# run and a new finding comes from a change, not from a roll of the dice; without it each run
# explores afresh (what a developer's long runs are for).
fuzz-%: fuzz-build
	@mkdir -p $(FUZZ_BUILD)/corpus/$* $(FUZZ_BUILD)/artifacts
	@echo "fuzz: $* for $(FUZZ_SECONDS) s"
	@dict=tests/fuzz/$*.dict; [ -f $$dict ] && dict=-dict=$$dict || dict=; \
	$(FUZZ_BUILD)/fuzz/fuzz_$* $(FUZZ_OPTS) $$dict -max_total_time=$(FUZZ_SECONDS) \
		$(if $(FUZZ_SEED),-seed=$(FUZZ_SEED)) \
		-artifact_prefix=$(FUZZ_BUILD)/artifacts/$*- $(FUZZ_BUILD)/corpus/$* tests/fuzz/corpus/$* \
		>$(FUZZ_BUILD)/fuzz-$*.log 2>&1 || \
		{ echo "fuzz: $* failed, see $(FUZZ_BUILD)/fuzz-$*.log:"; tail -n 50 $(FUZZ_BUILD)/fuzz-$*.log; exit 1; }
	@grep -E '^stat::number_of_executed_units|^Done' $(FUZZ_BUILD)/fuzz-$*.log | sed 's/^/fuzz: $*: /'

# Every checked-in input once through its target: seeds and past crashes must pass.
fuzz-regress: fuzz-build
	@for t in $(FUZZ_TARGETS); do \
		files=$$(find tests/fuzz/corpus/$$t tests/fuzz/regress/$$t -type f 2>/dev/null); \
		[ -n "$$files" ] || continue; \
		$(FUZZ_BUILD)/fuzz/fuzz_$$t $$files >$(FUZZ_BUILD)/regress-$$t.log 2>&1 || \
			{ echo "fuzz-regress: $$t failed:"; tail -n 50 $(FUZZ_BUILD)/regress-$$t.log; exit 1; }; \
		echo "fuzz-regress: $$t: $$(echo "$$files" | wc -l) inputs pass"; \
	done

# --- static analysis; suppressions are inline and say why
LINT_SRC = $(CORE_SRC) $(TUI_SRC)
# cppcheck 2.10's uninitialized-variable checks take buffers that snprintf, memcpy or a callee
# fill for uninitialized; gcc, clang-analyzer's core.uninitialized and valgrind cover those.
CPPCHECK_SUPPRESS = --suppress=missingIncludeSystem --suppress=uninitvar --suppress=legacyUninitvar \
	--suppress=ctuuninitvar

lint:
	cppcheck --quiet --error-exitcode=1 --std=c11 --language=c --inline-suppr \
		--enable=warning,performance,portability $(CPPCHECK_SUPPRESS) \
		-Iinclude -Itui -D_GNU_SOURCE -DSMTPGUARD_VERSION='"lint"' $(LINT_SRC)
	clang-tidy --quiet $(LINT_SRC) -- $(CPPFLAGS) -Itui -std=c11 -DSMTPGUARD_VERSION='"lint"' \
		$(CORE_CFLAGS) $(TUI_CFLAGS)
