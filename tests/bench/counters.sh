#!/bin/sh
# counters.sh - the fast counter refresh (core/fw_counters.c) against the
# libiptc read on a live table in the gateway namespace (root): counters
# move, and a rule replaced in place or added is noticed.  TAP; the
# checks are benchdrv's `verify` (tests/bench/benchdrv.c).
. tests/lib/tap.sh
. tests/lib/netns.sh
ns_require_root
ns_setup || { fail "namespaces built"; done_testing; exit; }

DRV=$NS_DIR/benchdrv
if cc -Iinclude -D_GNU_SOURCE -std=c11 -o "$DRV" tests/bench/benchdrv.c build/libsmtpguard.a \
	$(pkg-config --libs libip4tc libip6tc xtables inih libnetfilter_log zlib) 2>"$NS_DIR/cc.log"; then
	ok "benchdrv builds against build/libsmtpguard.a"
else
	fail "benchdrv builds against build/libsmtpguard.a" "$(cat "$NS_DIR/cc.log")"
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
