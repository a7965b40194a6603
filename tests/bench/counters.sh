#!/bin/sh
# counters.sh - the fast counter refresh (core/fw_counters.c) against the
# libiptc read on a live table in the gateway namespace (root): counters
# move, and a rule replaced in place or added is noticed.  TAP; the
# checks are benchdrv's `verify` (tests/bench/benchdrv.c).
. tests/lib/tap.sh
. tests/lib/netns.sh
ns_require_root
ns_setup || { fail "namespaces built"; done_testing; exit; }

# Built by `make unit` (the Makefile's TEST_PROGS); check-asan's UNIT_DIR names its sanitized build.
DRV=$(pwd)/${UNIT_DIR:-build/tests}/benchdrv
if [ -x "$DRV" ]; then
	ok "benchdrv is built ($DRV)"
else
	fail "benchdrv is built ($DRV)" "run make unit first"
	done_testing
	exit
fi
gw env SMTPGUARD_BENCH_NS="$NS_GW" "$DRV" verify >"$NS_DIR/verify.out" 2>&1
rc=$?
# renumber the driver's checks into this script's plan
while IFS= read -r line; do
	case $line in
	"ok "*) ok "${line#ok * - }" ;;
	"not ok "*) fail "${line#not ok * - }" ;;
	1..*) ;;
	*) diag "$line" ;;
	esac
done <"$NS_DIR/verify.out"
is "$rc" 0 "benchdrv verify exits 0"
if "$DRV" run -- true >/dev/null 2>&1; then
	fail "benchdrv refuses to run outside the bench namespace"
else
	ok "benchdrv refuses to run outside the bench namespace"
fi
done_testing
