# tests/bench/watch.sh - `make bench` section "watch" (sourced by run.sh):
# `smtpguard watch` alone, no console, under the flood section's NFLOG flood,
# against ulogd2 with Debian's shipped config: hits recorded and lost, CPU
# per hit, idle CPU, and RSS through a soak with a slow zombie.
#   BENCH_SOAK=SECONDS   the soak (default 300, 60 with BENCH_QUICK; the hour: 3600)
# shellcheck shell=sh

rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status" 2>/dev/null; }
ms_of_ticks() { awk -v a="${1:-0}" -v b="${2:-0}" -v hz="$CLK_TCK" 'BEGIN { printf "%.3f", (b - a) / hz * 1000 }'; }

section_watch() {
	echo "== watch: recording under flood, idle, soak"
	if ! command -v hping3 >/dev/null; then
		row watch "watch under flood" - - - - "hping3 is not installed (apt-get install hping3)"
		return
	fi
	if [ "$QUICK" = 1 ]; then soak=${BENCH_SOAK:-60}; else soak=${BENCH_SOAK:-300}; fi
	log=$NS_DIR/watch/hits.log
	load_table 0
	# a zone with an alert threshold: the offender count runs on every hit, as on a real gateway
	bench_config monitor "log
alert_threshold = 20/10min" "log_target = nflog
nflog_group = 25
log_limit = 10000/second
log_burst = 10000
hits_log = $log
alert_command = /bin/true"
	sg_apply || { row watch "watch under flood" - - - - "apply failed: $(head -c 200 "$NS_DIR/apply.log")"; return; }
	rm -rf "$NS_DIR/watch"
	gw sh -c "echo \$\$ >'$NS_DIR/watch.pid'; exec '$SMTPGUARD' -c '$CONF' watch" 2>"$NS_DIR/watch.err" &
	if ! wait_until 5 grep -q "recording hits" "$NS_DIR/watch.err"; then
		row watch "watch under flood" - - - - "watch did not start: $(head -c 200 "$NS_DIR/watch.err")"
		return
	fi
	wpid=$(cat "$NS_DIR/watch.pid")
	rss0=$(rss_kb "$wpid")

	t0=$(proc_ticks "$wpid")
	sleep "$IDLE"
	t1=$(proc_ticks "$wpid")
	idle=$(awk -v ms="$(ms_of_ticks "$t0" "$t1")" -v s="$IDLE" 'BEGIN { printf "%.3f", ms / 10 / s }')

	set -- $(wlan_counters)
	n0=$1
	t0=$(proc_ticks "$wpid")
	flood "$FLOOD"
	# the last records read and written (bounded: 10 s): the count of hits stops moving
	prev=-1 i=0
	while got=$(grep -c '"src":' "$log" 2>/dev/null) && [ "$got" != "$prev" ] && [ $i -lt 20 ]; do
		prev=$got i=$((i + 1))
		sleep 0.5
	done
	t1=$(proc_ticks "$wpid")
	set -- $(wlan_counters)
	logged=$(($1 - n0))
	lost=$(sed -n 's/.*"lost":\([0-9]*\).*/\1/p' "$log" | awk '{ s += $1 } END { print s + 0 }')
	cpu=$(ms_of_ticks "$t0" "$t1")
	rss1=$(rss_kb "$wpid")

	# the soak: a zombie at 20 SYNs a second; RSS sampled ten times
	wlan timeout "$soak" hping3 -q -S -p 25 -i u50000 203.0.113.25 >/dev/null 2>&1 &
	zpid=$!
	rmax=$rss1 samples=$rss1
	for i in 1 2 3 4 5 6 7 8 9 10; do
		sleep $((soak / 10))
		r=$(rss_kb "$wpid")
		samples="$samples $r"
		[ "${r:-0}" -gt "${rmax:-0}" ] && rmax=$r
	done
	wait "$zpid" 2>/dev/null
	soaked=$(($(grep -c '"src":' "$log") - got))
	kill "$wpid" 2>/dev/null
	wait "$wpid" 2>/dev/null

	ulogd_flood
	row watch "hits recorded by watch (hits log) vs ulogd2 lines" "${FLOOD}s" "$got" "$UL_GOT" hits \
		"watch: $((logged - got)) of $logged missing, $lost counted lost by the kernel; ulogd2 lost $((${UL_LOGGED:-0} - ${UL_GOT:-0})) of $UL_LOGGED"
	row watch "CPU per logged packet, watch vs ulogd2 defaults" "${FLOOD}s" "$(per "$cpu" "$got")" \
		"$(per "$UL_CPU" "$UL_GOT")" "us/hit" "CPU ms: watch $cpu (with the offender count), ulogd2 $UL_CPU; back to back"
	row watch "idle CPU of watch, no traffic" "${IDLE}s" "$idle" - "% of a core" "no timer without a followed file: poll() sleeps"
	row watch "RSS of watch: start, after the flood, max of the soak" "${soak}s" "$rmax" "$rss0" kB \
		"start $rss0, after the flood $rss1 kB; soak samples:$samples; $soaked hits recorded in it"
}
