# tests/bench/nft.sh - sourced by run.sh: section "nft", the nftables
# backend (backend = nftables) beside N foreign rules in table inet filter
# (tests/bench/gen-nft-rules.sh, loaded with nft -f in the gateway
# namespace), against the nft CLI calls an administrator would make:
#   - apply after a mode toggle of one zone (wlan block <-> log) vs one
#     `nft add rule` and vs `nft -f` of a one-rule file;
#   - apply after a relay edit (one set element added, one removed) vs one
#     `nft add element`, and the removal vs one `nft delete element`;
#   - the console's refresh of the own table (benchdrv nftread: the
#     backend's read() of table inet smtpguard, then its bans read) vs
#     `nft -j list ruleset`, and its full view (read() and read_others(),
#     every table's chains on the forward and input hooks) vs `nft list
#     ruleset`;
#   - status --json (the full view: own table, and every table counted)
#     vs `nft list ruleset`.
# Sizes 100, 10k, 100k (BENCH_QUICK: 100, 10k; BENCH_NFT_SIZES overrides).
# shellcheck shell=sh

nft_bench_load() { # nft_bench_load N
	sh tests/bench/gen-nft-rules.sh "$1" >"$NS_DIR/nft.rules"
	gw nft -f "$NS_DIR/nft.rules"
}

# bench_config with backend = nftables; RELAYS replaces the relay list.
nft_bench_config() { # nft_bench_config WLANMODE RELAYS
	bench_config monitor "$1" "backend = nftables"
	sed -i "s/^relays = .*/relays = $2/" "$CONF"
}

# "a<->b" times: apply from FROM to TO and back, REPS times each way, into OUT.
nft_bench_toggle() { # nft_bench_toggle OUT MODE1 RELAYS1 MODE2 RELAYS2
	out=$1
	: >"$out"
	i=0
	while [ $i -lt "$reps" ]; do
		nft_bench_config "$4" "$5"
		timed "$SMTPGUARD" -c "$CONF" apply >>"$out"
		nft_bench_config "$2" "$3"
		timed "$SMTPGUARD" -c "$CONF" apply >>"$out"
		i=$((i + 1))
	done
}

# The peer's one CLI call, each time undone (untimed) by UNDO.
nft_bench_peer() { # nft_bench_peer OUT UNDO CMD...
	out=$1 undo=$2
	shift 2
	: >"$out"
	i=0
	while [ $i -lt "$reps" ]; do
		timed "$@" >>"$out"
		gw sh -c "$undo"
		i=$((i + 1))
	done
}

nft_bench_bad() { awk '$4 != 0' "$@" | wc -l; }

bench_nft() { # bench_nft SIZE
	n=$1
	reps=$REPS
	[ "$n" -ge 100000 ] && reps=3
	if ! nft_bench_load "$n" 2>"$NS_DIR/nftload.err"; then
		row nft "load $n foreign nft rules" "$n" - - - "nft -f failed: $(head -c 200 "$NS_DIR/nftload.err")"
		return
	fi
	nft_bench_config block 203.0.113.10
	sg_apply || { row nft "apply at $n foreign nft rules" "$n" - - - "smtpguard apply failed: $(head -c 200 "$NS_DIR/apply.log")"; return; }
	printf 'add rule inet filter bench tcp dport 2525 counter accept\n' >"$NS_DIR/one.nft"

	# mode toggle of one zone
	nft_bench_toggle "$NS_DIR/nmode.t" block 203.0.113.10 log 203.0.113.10
	nft_bench_peer "$NS_DIR/nadd.t" "nft flush chain inet filter bench" nft add rule inet filter bench tcp dport 2525 counter accept
	nft_bench_peer "$NS_DIR/nfile.t" "nft flush chain inet filter bench" nft -f "$NS_DIR/one.nft"
	sgm=$(col_median "$NS_DIR/nmode.t" 1)
	bad=$(nft_bench_bad "$NS_DIR/nmode.t" "$NS_DIR/nadd.t" "$NS_DIR/nfile.t")
	note="target <= 1"
	[ "$bad" != 0 ] && note="$note; $bad runs exited non-zero"
	row nft "apply, wlan mode block<->log vs one nft add rule" "$n" "$(fmt "$sgm")" \
		"$(fmt "$(col_median "$NS_DIR/nadd.t" 1)")" ms "$note"
	row nft "apply, wlan mode block<->log vs nft -f of a one-rule file" "$n" "$(fmt "$sgm")" \
		"$(fmt "$(col_median "$NS_DIR/nfile.t" 1)")" ms ""
	row nft "apply, wlan mode block<->log, CPU vs one nft add rule" "$n" \
		"$(fmt "$(col_median "$NS_DIR/nmode.t" 2)")" "$(fmt "$(col_median "$NS_DIR/nadd.t" 2)")" ms ""
	eval "nft_mode_$n=$sgm"

	# relay edit: one element of wlan_relay4, added (odd runs) and removed (even runs: sent through
	# libnftnl); the kernel's deletion of an element costs more than its addition (10 ms more here
	# for `nft delete element`), so the removal is also set beside `nft delete element`
	nft_bench_toggle "$NS_DIR/nrelay.t" block 203.0.113.10 block "203.0.113.10, 203.0.113.11"
	awk 'NR % 2 == 1' "$NS_DIR/nrelay.t" >"$NS_DIR/nrelay_add.t"
	awk 'NR % 2 == 0' "$NS_DIR/nrelay.t" >"$NS_DIR/nrelay_del.t"
	nft_bench_peer "$NS_DIR/nel.t" "nft delete element inet filter allowed4 { 192.0.2.201 }" \
		nft add element inet filter allowed4 "{ 192.0.2.201 }"
	gw nft add element inet filter allowed4 "{ 192.0.2.201 }"
	nft_bench_peer "$NS_DIR/ndel.t" "nft add element inet filter allowed4 { 192.0.2.201 }" \
		nft delete element inet filter allowed4 "{ 192.0.2.201 }"
	gw nft delete element inet filter allowed4 "{ 192.0.2.201 }"
	bad=$(nft_bench_bad "$NS_DIR/nrelay.t" "$NS_DIR/nel.t" "$NS_DIR/ndel.t")
	note="target <= 0.5"
	[ "$bad" != 0 ] && note="$note; $bad runs exited non-zero"
	for what in add del; do
		[ $what = add ] && label=added || label=removed
		row nft "apply, relay $label vs one nft add element" "$n" \
			"$(fmt "$(col_median "$NS_DIR/nrelay_$what.t" 1)")" "$(fmt "$(col_median "$NS_DIR/nel.t" 1)")" ms "$note"
		row nft "apply, relay $label, CPU vs one nft add element" "$n" \
			"$(fmt "$(col_median "$NS_DIR/nrelay_$what.t" 2)")" "$(fmt "$(col_median "$NS_DIR/nel.t" 2)")" ms ""
	done
	row nft "apply, relay removed vs one nft delete element" "$n" \
		"$(fmt "$(col_median "$NS_DIR/nrelay_del.t" 1)")" "$(fmt "$(col_median "$NS_DIR/ndel.t" 1)")" ms ""

	# the console's refresh of the own table
	# nft (1.0.6) lists 10k such rules in seconds and 100k in minutes: fewer rounds there
	case $n in 100) rounds=25 ;; 10000) rounds=5 ;; *) rounds=1 ;; esac
	if drv nftread "$rounds" >"$NS_DIR/nftread.out" 2>"$NS_DIR/nftread.err"; then
		v() { awk -v k="$1" '$1 == k { print $2 }' "$NS_DIR/nftread.out"; }
		rd=$(v read_us)
		row nft "refresh: read() of inet smtpguard vs nft -j list ruleset" "$n" "$(fmt "$rd")" \
			"$(fmt "$(v json_us)")" us "$(v rules) own rules; target <= 0.05 at 10k"
		row nft "refresh: read() + bans read() vs nft -j list ruleset" "$n" \
			"$(fmt "$(awk -v a="$rd" -v b="$(v bans_us)" 'BEGIN { print a + b }')")" "$(fmt "$(v json_us)")" us \
			"what the console's table and offenders refresh call"
		row nft "console's full view: read() + read_others() vs nft list ruleset" "$n" \
			"$(fmt "$(awk -v a="$rd" -v b="$(v others_us)" 'BEGIN { print a + b }')")" "$(fmt "$(v list_us)")" us \
			"every table's chains on the forward and input hooks; target <= 1"
		eval "nft_read_$n=$rd"
	else
		row nft "refresh: read() of inet smtpguard" "$n" - - us "driver failed: $(head -c 200 "$NS_DIR/nftread.err")"
	fi

	# the full view
	: >"$NS_DIR/nst.t"
	: >"$NS_DIR/nls.t"
	i=0
	while [ $i -lt "$rounds" ]; do
		timed "$SMTPGUARD" -c "$CONF" status --json >>"$NS_DIR/nst.t"
		timed nft list ruleset >>"$NS_DIR/nls.t"
		i=$((i + 1))
	done
	row nft "status --json (all tables counted) vs nft list ruleset" "$n" \
		"$(fmt "$(col_median "$NS_DIR/nst.t" 1)")" "$(fmt "$(col_median "$NS_DIR/nls.t" 1)")" ms "target <= 1"
}

section_nft() {
	echo "== 8. nftables backend: apply, set edit, refresh against the nft CLI"
	if ! command -v nft >/dev/null; then
		row nft "nftables backend" - - - - "nft is not installed (apt-get install nftables)"
		return
	fi
	if [ "$QUICK" = 1 ]; then sizes="100 10000"; else sizes="100 10000 100000"; fi
	# the legacy tables' own rules (section table) would make backend = nftables refuse
	bench_config monitor block "backend = iptables"
	sg -c "$CONF" remove >/dev/null 2>&1
	load_table 0
	for n in ${BENCH_NFT_SIZES:-$sizes}; do
		echo "-- $n foreign nft rules"
		bench_nft "$n"
	done
	if [ -n "${nft_mode_100:-}" ] && [ -n "${nft_mode_10000:-}" ]; then
		row nft "flatness: mode toggle apply 10k / 100" "10k/100" "$(ratio "$nft_mode_10000" "$nft_mode_100")" - x ""
	fi
	if [ -n "${nft_mode_100:-}" ] && [ -n "${nft_mode_100000:-}" ]; then
		row nft "flatness: mode toggle apply 100k / 100" "100k/100" "$(ratio "$nft_mode_100000" "$nft_mode_100")" - x ""
	fi
	if [ -n "${nft_read_100:-}" ] && [ -n "${nft_read_10000:-}" ]; then
		row nft "flatness: refresh read() 10k / 100" "10k/100" "$(ratio "$nft_read_10000" "$nft_read_100")" - x ""
	fi
	nft_bench_config block 203.0.113.10
	sg -c "$CONF" remove >/dev/null 2>&1
	gw nft delete table inet filter 2>/dev/null
}
