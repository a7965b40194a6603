# tmux.sh - drive the console in a tmux server of this test's own
# (sourced after tap.sh and netns.sh).  Screens are captured as text
# into $TMUX_OUT; the folder is kept when a check failed.  The terminal's
# raw bytes ($TMUX_RAW) and the exit status live in a private folder
# that no other test run can remove.
# shellcheck shell=sh

TMUX_STARTS=0
TMUX_SOCK="sgtest$$-0"
case ${TEST_OUT:-tests/out} in
/*) TMUX_OUT="$TEST_OUT/console-$(basename "$0" .sh)" ;;
*) TMUX_OUT="$(pwd)/${TEST_OUT:-tests/out}/console-$(basename "$0" .sh)" ;;
esac
TMUX_N=0

TMUX_PRIV="${TMPDIR:-/tmp}/sgtest$$"
TMUX_RAW="$TMUX_PRIV/raw"
mkdir -p "$TMUX_PRIV"
# No user config; the pane stays after the command so the last screen can be captured.
TMUX_CONF="$TMUX_PRIV/tmux.conf"
echo "set -g remain-on-exit on" >"$TMUX_CONF"
tmux_cmd() { tmux -L "$TMUX_SOCK" -f "$TMUX_CONF" "$@"; }

# Start "command" in a detached session of WIDTH x HEIGHT (any earlier one is
# ended, with its server: each start has a server of its own, so a new session can
# never reach a server that is still exiting after its last session); the bytes it writes to the terminal go to $TMUX_RAW and its
# exit status to $TMUX_PRIV/status.  The status comes from the shell that
# runs it: tmux does not always reap a pane's process when it ends.
tmux_start() { # tmux_start WIDTH HEIGHT command
	mkdir -p "$TMUX_OUT"
	tmux_cmd kill-server 2>/dev/null
	TMUX_STARTS=$((TMUX_STARTS + 1))
	TMUX_SOCK="sgtest$$-$TMUX_STARTS"
	: >"$TMUX_RAW"
	rm -f "$TMUX_PRIV/status"
	tmux_cmd new-session -d -s sg -x "$1" -y "$2" "$3; echo \$? >'$TMUX_PRIV/status'" || return 1
	tmux_cmd pipe-pane -t sg -o "cat >>'$TMUX_RAW'"
}

# The pid of the command tmux_start started (a child of the pane's shell).
tmux_pid() {
	n=0
	while [ $n -lt 50 ]; do
		p=$(pgrep -P "$(tmux_cmd display -p -t sg '#{pane_pid}')" | head -1)
		[ -n "$p" ] && { echo "$p"; return 0; }
		n=$((n + 1))
		sleep 0.1
	done
	return 1
}

# The screen as text; also saved as $TMUX_OUT/NN-NAME.txt.
tmux_capture() { # tmux_capture NAME
	TMUX_N=$((TMUX_N + 1))
	mkdir -p "$TMUX_OUT"
	tmux_cmd capture-pane -p -t sg >"$TMUX_OUT/$(printf %02d $TMUX_N)-$1.txt" 2>/dev/null
	cat "$TMUX_OUT/$(printf %02d $TMUX_N)-$1.txt"
}

tmux_keys() { tmux_cmd send-keys -t sg "$@"; }
# Literal text (no key names).
tmux_type() { tmux_cmd send-keys -t sg -l "$1"; }

# Wait until the screen shows the extended regex; 0 when it did.
tmux_wait() { # tmux_wait REGEX [SECONDS] [NAME]
	n=0
	limit=$((${2:-10} * 5))
	while [ $n -lt $limit ]; do
		if tmux_cmd capture-pane -p -t sg 2>/dev/null | grep -Eq -- "$1"; then
			tmux_capture "${3:-wait}" >/dev/null
			return 0
		fi
		n=$((n + 1))
		sleep 0.2
	done
	tmux_capture "${3:-timeout}" >/dev/null
	return 1
}

# Wait until one screen matches every extended regex at once (a layout fully drawn).
tmux_wait_all() { # tmux_wait_all SECONDS NAME REGEX...
	limit=$(($1 * 5)) name=$2
	shift 2
	n=0
	while [ $n -lt $limit ]; do
		screen=$(tmux_cmd capture-pane -p -t sg 2>/dev/null)
		missing=0
		for re in "$@"; do
			printf '%s\n' "$screen" | grep -Eq -- "$re" || { missing=1; break; }
		done
		[ $missing = 0 ] && { tmux_capture "$name" >/dev/null; return 0; }
		n=$((n + 1))
		sleep 0.2
	done
	tmux_capture "$name" >/dev/null
	return 1
}

# Whether the command has ended: prints its exit status (128+N for signal N).
tmux_dead() {
	cat "$TMUX_PRIV/status" 2>/dev/null
}

tmux_wait_dead() { # tmux_wait_dead [SECONDS]
	n=0
	while [ $n -lt $((${1:-10} * 5)) ]; do
		[ -n "$(tmux_dead)" ] && return 0
		n=$((n + 1))
		sleep 0.2
	done
	return 1
}

tmux_resize() { # tmux_resize WIDTH HEIGHT
	tmux_cmd resize-window -t sg -x "$1" -y "$2"
}

# Kill our tmux server; keep the captures only when a check failed.
tmux_cleanup() {
	tmux_cmd kill-server 2>/dev/null
	if [ "${TAP_FAILED:-0}" = 0 ]; then
		rm -rf "$TMUX_OUT"
	else
		mkdir -p "$TMUX_OUT" && cp "$TMUX_RAW" "$TMUX_OUT/raw" 2>/dev/null
		echo "# screens kept in $TMUX_OUT"
	fi
	rm -rf "$TMUX_PRIV"
}

# The sandbox every console test starts from: root, the doc/design.md
# topology with its SMTP servers, cleanup of tmux and namespaces on
# exit, and CONF naming the config file to write.
console_sandbox() {
	ns_require_root
	ns_setup || { fail "namespace setup"; done_testing; exit 1; }
	trap 'tmux_cleanup; ns_cleanup' EXIT
	ns_start_servers || fail "SMTP servers start"
	mkdir -p -m 700 "$SMTPGUARD_RUN_DIR"
	CONF="$NS_DIR/smtpguard.conf"
}

# The zones of write_zones_config with their hits over NFLOG (the default group, 25),
# applied as the check "config applies".
console_apply_nflog() { # console_apply_nflog LANMODE WLANMODE [extra wlan lines]
	write_zones_config "$CONF" "$@"
	sed -i 's/^log_target = log/log_target = nflog/' "$CONF"
	check "config applies" sg -c "$CONF" apply
}
