# tests/bench/readonce.sh - sourced by run.sh: `status --json` against
# iptables-legacy-save -c followed by ip6tables-legacy-save -c (status
# prints both families), and the daily report on the last day of a
# 7-day file, cron's morning case (section 3 takes the middle of a
# 30-day file).  Section "readonce"; apply against one CLI call is
# section 2's "vs one iptables-legacy -A / -D" row.
# shellcheck shell=sh

section_readonce() {
	echo "== 6. status vs save+save6; report on the last day of a 7-day file"
	for n in $SIZES; do
		[ "$n" -ge 10000 ] || continue
		load_table "$n"
		bench_config monitor block
		sg_apply || { row status "status --json at $n rules" "$n" - - - "apply failed"; continue; }
		: >"$NS_DIR/st.t"
		: >"$NS_DIR/save.t"
		i=0
		while [ $i -lt "$REPS" ]; do
			timed "$SMTPGUARD" -c "$CONF" status --json >>"$NS_DIR/st.t"
			timed sh -c 'iptables-legacy-save -c; ip6tables-legacy-save -c' >>"$NS_DIR/save.t"
			i=$((i + 1))
		done
		row status "status --json vs iptables-legacy-save -c; ip6tables-legacy-save -c, wall" "$n" \
			"$(fmt "$(col_median "$NS_DIR/st.t" 1)")" "$(fmt "$(col_median "$NS_DIR/save.t" 1)")" ms ""
		row status "status --json vs save+save6, CPU (user+sys)" "$n" \
			"$(fmt "$(col_median "$NS_DIR/st.t" 2)")" "$(fmt "$(col_median "$NS_DIR/save.t" 2)")" ms ""
	done
	day=$(date -d '1 day ago' +%F)
	label=$(LC_ALL=C date -d '1 day ago' '+%b %e')
	for mb in $LOGS; do
		log=$NS_DIR/syslog7
		mb7=$((mb * 2))	# section 3's sizes for 30 days; a weekly file of the same rate is smaller
		sh tests/bench/gen-syslog.sh "$mb7" 7 >"$log"
		size=$(du -m "$log" | cut -f1)MB
		cat "$log" >/dev/null
		pipe="cat $log | grep 'Illegal port 25' | grep '$label' | awk '{print \$1\" \"\$2\" \"\$3\" > \"\$12\" - \"\$13}'"
		: >"$NS_DIR/sg.t"
		: >"$NS_DIR/pipe.t"
		i=0
		while [ $i -lt 5 ]; do
			timed "$SMTPGUARD" report --date "$day" "$log" >>"$NS_DIR/sg.t"
			timed sh -c "$pipe" >>"$NS_DIR/pipe.t"
			i=$((i + 1))
		done
		gw "$SMTPGUARD" report --date "$day" "$log" 2>/dev/null | sed -n '/^Port /,/^ $/p' | sed '1d;$d' >"$NS_DIR/sg.hits"
		sh -c "$pipe" >"$NS_DIR/pipe.hits"
		if cmp -s "$NS_DIR/sg.hits" "$NS_DIR/pipe.hits"; then same="identical $(wc -l <"$NS_DIR/pipe.hits") hit lines"
		else same="HIT LINES DIFFER"; fi
		row report "report --date LASTDAY FILE vs cat|grep|grep|awk, wall" "$size" \
			"$(fmt "$(col_median "$NS_DIR/sg.t" 1)")" "$(fmt "$(col_median "$NS_DIR/pipe.t" 1)")" ms \
			"$same; 7-day chronological file, last day"
		row report "report --date LASTDAY FILE vs pipeline, CPU (user+sys)" "$size" \
			"$(fmt "$(col_median "$NS_DIR/sg.t" 2)")" "$(fmt "$(col_median "$NS_DIR/pipe.t" 2)")" ms \
			"peak RSS $(col_median "$NS_DIR/sg.t" 3) kB"
		rm -f "$log"
	done
}
