# bench.mk - `make bench` (root): smtpguard against the commands an administrator
# would use instead, side by side, as ratios (tests/bench/run.sh, issue 6).
#
#   make bench                   the full run (about 20 minutes on 2 cores)
#   make bench BENCH_QUICK=1     smaller tables and files, a few minutes
#
# Everything runs in network namespaces the bench creates and deletes; results go
# to tests/bench/results/latest.md and latest.json (not committed).  Never fails on a number.

BENCH_DRV = $(BUILD)/tests/benchdrv	# built by the Makefile with the other test programs
BENCH_QUICK ?= 0

bench: smtpguard $(BENCH_DRV)
	@sh scripts/deps.sh test
	@for p in hping3 iperf3 ulogd2; do dpkg-query -W -f "$${Status}" $$p 2>/dev/null | grep -q "ok installed" || \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $$p >/dev/null || \
		echo "bench: cannot install $$p; its rows will say so"; done
	BENCH_QUICK=$(BENCH_QUICK) BENCHDRV=$(CURDIR)/$(BENCH_DRV) SMTPGUARD=$(CURDIR)/smtpguard sh tests/bench/run.sh
