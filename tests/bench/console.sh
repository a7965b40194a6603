# tests/bench/console.sh - sourced by run.sh: `BENCH_SECTIONS=console` runs only the
# console's rows of `make bench` (the idle CPU of section table, the keystroke response
# of section flood), for work on the console; BENCH_SIZES picks the table sizes.
section_console() {
	echo "== console: idle CPU, keystroke response under flood"
	for n in $SIZES; do
		echo "-- $n foreign rules"
		load_table "$n"
		bench_config monitor block
		sg_apply || { row idle "apply at $n rules" "$n" - - - "smtpguard apply failed: $(head -c 200 "$NS_DIR/apply.log")"; continue; }
		bench_idle "$n"
	done
	flood_setup "console keystroke response" || return
	bench_keys
}
