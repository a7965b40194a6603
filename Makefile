# smtpguard - build, test, demo, install.  See README.md.
#
#   make            build ./smtpguard
#   make check      install missing Debian packages, build, run every test, then again under ASan/UBSan
#   make demo       install missing Debian packages, build, open the console on a sandbox gateway
#                   (make demo BACKEND=nftables: its rules in nftables)
#   make install    PREFIX=/usr/local DESTDIR=
#
# WERROR=1 turns warnings into errors (CI sets it).

PREFIX ?= /usr/local
# the demo's firewall backend: iptables or nftables
BACKEND ?= iptables
DESTDIR ?=
CC ?= cc
PKG_CONFIG ?= pkg-config

CORE_PKGS = libip4tc libip6tc xtables libnftables libnftnl libmnl inih libnetfilter_log zlib
# linked; the nftables backend's libraries and the NFLOG reader's are opened when first
# needed (include/dynlib.h)
CORE_LINK_PKGS = $(filter-out libnftables libnftnl libmnl libnetfilter_log,$(CORE_PKGS))
TUI_PKGS = ncursesw

CFLAGS ?= -O2 -g
WARNINGS = -Wall -Wextra -Wformat=2 -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
	   -Wpointer-arith -Wvla -Wconversion -Wno-unused-parameter
ifeq ($(WERROR),1)
WARNINGS += -Werror
endif
CPPFLAGS += -Iinclude -D_GNU_SOURCE -D_FORTIFY_SOURCE=2
ALL_CFLAGS = -std=c11 $(WARNINGS) $(CFLAGS) -MMD -MP

CORE_CFLAGS = $(shell $(PKG_CONFIG) --cflags $(CORE_PKGS) 2>/dev/null)
CORE_LIBS = $(shell $(PKG_CONFIG) --libs $(CORE_LINK_PKGS) 2>/dev/null)
TUI_CFLAGS = $(shell $(PKG_CONFIG) --cflags $(TUI_PKGS) 2>/dev/null)
TUI_LIBS = $(shell $(PKG_CONFIG) --libs $(TUI_PKGS) 2>/dev/null)

BUILD = build
CORE_SRC = $(sort $(wildcard core/*.c))
TUI_SRC = $(sort $(wildcard tui/*.c))
# Two programs: smtpguard (the commands; its console command starts the other) and
# smtpguard-console (every command, and the console, which alone needs ncurses).
CONSOLE_SRC = $(filter-out tui/console_options.c,$(filter tui/console%.c,$(TUI_SRC)))
LAUNCH_SRC = tui/launch.c
CLI_SRC = $(filter-out $(CONSOLE_SRC) $(LAUNCH_SRC),$(TUI_SRC))
UNIT_SRC = $(sort $(wildcard tests/unit/test_*.c))
CORE_OBJ = $(CORE_SRC:%.c=$(BUILD)/%.o)
TUI_OBJ = $(TUI_SRC:%.c=$(BUILD)/%.o)
CLI_OBJ = $(CLI_SRC:%.c=$(BUILD)/%.o)
CONSOLE_OBJ = $(CONSOLE_SRC:%.c=$(BUILD)/%.o)
LAUNCH_OBJ = $(LAUNCH_SRC:%.c=$(BUILD)/%.o)
# what each program is linked from (here, and in any build folder: mk/hardening.mk)
SMTPGUARD_IN = $(CLI_OBJ) $(LAUNCH_OBJ) $(LIBCORE)
CONSOLE_IN = $(CLI_OBJ) $(CONSOLE_OBJ) $(LIBCORE)
UNIT_BIN = $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
LIBCORE = $(BUILD)/libsmtpguard.a

VERSION = $(shell cat VERSION 2>/dev/null || echo 0.0.0)

.PHONY: all check demo deps test-deps unit install uninstall clean check-layers bench

all: smtpguard smtpguard-console

$(BUILD)/core/%.o: core/%.c
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) $(CORE_CFLAGS) -DSMTPGUARD_VERSION='"$(VERSION)"' -c -o $@ $<

$(BUILD)/tui/%.o: tui/%.c
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) $(TUI_CFLAGS) -DSMTPGUARD_VERSION='"$(VERSION)"' -c -o $@ $<

$(LIBCORE): $(CORE_OBJ)
	@mkdir -p $(@D)
	rm -f $@
	$(AR) rcs $@ $^

# Linked under a temporary name and renamed, so a running test never sees half a binary.
# smtpguard needs its console beside it, so building either builds both.
smtpguard: $(SMTPGUARD_IN) smtpguard-console
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@.tmp $(SMTPGUARD_IN) $(CORE_LIBS)
	mv -f $@.tmp $@

smtpguard-console: $(CONSOLE_IN)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@.tmp $(CONSOLE_IN) $(TUI_LIBS) $(CORE_LIBS)
	mv -f $@.tmp $@

$(BUILD)/tests/%: tests/unit/%.c tests/tap.h tests/unit/helpers.h $(LIBCORE)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) -Itests $(ALL_CFLAGS) $(CORE_CFLAGS) $(LDFLAGS) -o $@ $< $(LIBCORE) $(CORE_LIBS)

# Test programs the shell tests drive, built like the unit tests (and under check-asan with the
# sanitizers): tests/ns/backend.sh runs fwdriver, tests/bench/ benchdrv.
TEST_PROGS = $(BUILD)/tests/fwdriver $(BUILD)/tests/benchdrv
$(BUILD)/tests/fwdriver: tests/ns/fwdriver.c $(LIBCORE)
$(BUILD)/tests/benchdrv: tests/bench/benchdrv.c $(LIBCORE)
$(TEST_PROGS):
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) -Itests $(ALL_CFLAGS) $(CORE_CFLAGS) $(LDFLAGS) -o $@ $< $(LIBCORE) $(CORE_LIBS)

unit: $(UNIT_BIN) $(TEST_PROGS)

# The layers, as doc/design.md draws them: curses only in tui/, libiptc/xtables only in the
# backend, libnftables/libnftnl/libmnl only in theirs, and the compilers and the planner pure (no I/O
# of their own, no backend library; compile_nft.c writes only to the stream it is given).
NEUTRAL_SRC = core/compile.c core/plan.c
PURE_SRC = $(NEUTRAL_SRC) core/compile_nft.c
check-layers:
	@! grep -nE '#include *[<"](n?curses|ncursesw/|term\.h)' core/*.c include/*.h || \
		{ echo "check-layers: curses included outside tui/"; exit 1; }
	@! grep -lE '#include *[<"](libiptc/|xtables\.h)' core/*.c include/*.h tui/*.c | grep -v '^core/fw_iptc\.c$$' || \
		{ echo "check-layers: libiptc/xtables included outside core/fw_iptc.c"; exit 1; }
	@! grep -lE '#include *[<"](nftables/|libnftnl/|libmnl/)' core/*.c include/*.h tui/*.c | grep -v '^core/fw_nft\.c$$' || \
		{ echo "check-layers: libnftables/libnftnl/libmnl included outside core/fw_nft.c"; exit 1; }
	@! grep -nE '#include *"\.\./core' tui/*.c || { echo "check-layers: tui/ reaches into core/"; exit 1; }
	@! grep -nE '#include *<(unistd|fcntl|dirent|netdb|sys/stat)\.h>|\<(fopen|fdopen|popen|opendir|open|read|write|close|getenv|system)\(|\<(stdin|stdout|stderr)\>' $(PURE_SRC) || \
		{ echo "check-layers: the compiler and the planner do I/O"; exit 1; }
	@! grep -niE '\<(fw|fw_[a-z]+|dualstack|backend_[a-z]+)\.h\>|iptc|xtables|nft' $(NEUTRAL_SRC) || \
		{ echo "check-layers: the compiler and the planner name a backend"; exit 1; }
	@! grep -niE '\<(fw|fw_[a-z]+|dualstack|backend_[a-z]+)\.h\>|iptc|xtables|libnftables|jansson' core/compile_nft.c || \
		{ echo "check-layers: the nftables compiler names a backend or its library"; exit 1; }

deps:
	@sh scripts/deps.sh build

test-deps:
	@sh scripts/deps.sh test

# The whole suite, then the whole suite again under AddressSanitizer and UBSan (mk/hardening.mk).
check: test-deps
	$(MAKE) --no-print-directory smtpguard unit check-layers
	sh tests/run
	$(MAKE) --no-print-directory check-asan

demo: test-deps
	$(MAKE) --no-print-directory smtpguard
	SMTPGUARD_DEMO_BACKEND=$(BACKEND) sh tests/demo.sh

clean:
	rm -rf $(BUILD) smtpguard smtpguard-console tests/out

-include $(CORE_OBJ:.o=.d) $(TUI_OBJ:.o=.d)

# Further targets, each in its own file: install (install.mk), sanitizers and fuzzing (hardening.mk).
-include $(wildcard mk/*.mk)
