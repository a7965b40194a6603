# watchcmd.sh - what the tests of `smtpguard watch`'s alerts share (sourced after
# netns.sh): an alert_command that keeps what it gets, and stopping watch.
# shellcheck shell=sh

# Write the program FILE: each run saves its stdin to $NS_DIR/cmd.N.json and its SMTPGUARD_*
# variables to $NS_DIR/cmd.N.env, N counting from 0 (the .json appears complete, by rename).
alert_cmd_script() { # alert_cmd_script FILE
	cat >"$1" <<CMD
#!/bin/sh
n=\$(ls "$NS_DIR"/cmd.*.json 2>/dev/null | wc -l)
env | grep '^SMTPGUARD_' | sort >"$NS_DIR/cmd.\$n.env"
cat >"$NS_DIR/cmd.\$n.json.tmp" && mv "$NS_DIR/cmd.\$n.json.tmp" "$NS_DIR/cmd.\$n.json"
CMD
	chmod 755 "$1"
}

# SIGTERM to the watch of $NS_DIR/watch.pid, and wait for its end; its exit status.
watch_stop() {
	kill "$(cat "$NS_DIR/watch.pid")"
	wait "$(cat "$NS_DIR/watch.pid")"
	set -- $?
	rm -f "$NS_DIR/watch.pid"
	return "$1"
}

# `smtpguard -c CONF watch` in the gateway, stderr to ERR, its pid in $NS_DIR/watch.pid; 0 once
# it says it records (bounded: 5 s).
watch_start() { # watch_start CONF ERR
	(exec ip netns exec "$NS_GW" "$SMTPGUARD" -c "$1" watch 2>"$2") &
	echo $! >"$NS_DIR/watch.pid"
	wait_until 5 grep -qs "recording hits" "$2"
}
