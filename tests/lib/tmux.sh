# tmux.sh - drive the console in a tmux server of this test's own
# (sourced after tap.sh and netns.sh).  Screens are captured as text
# into $TMUX_OUT; the folder is kept when a check failed.
# shellcheck shell=sh

TMUX_SOCK="sgtest$$"
case ${TEST_OUT:-tests/out} in
/*) TMUX_OUT="$TEST_OUT/console-$(basename "$0" .sh)" ;;
*) TMUX_OUT="$(pwd)/${TEST_OUT:-tests/out}/console-$(basename "$0" .sh)" ;;
esac
TMUX_N=0

tmux_cmd() { tmux -L "$TMUX_SOCK" -f /dev/null "$@"; }

# Start "command" in a detached session of WIDTH x HEIGHT (any earlier one is
# ended); the bytes it writes to the terminal go to $TMUX_OUT/raw.
tmux_start() { # tmux_start WIDTH HEIGHT command
	mkdir -p "$TMUX_OUT"
	tmux_cmd kill-session -t sg 2>/dev/null
	: >"$TMUX_OUT/raw"
	tmux_cmd new-session -d -s sg -x "$1" -y "$2" "$3" || return 1
	tmux_cmd set-option -t sg remain-on-exit on >/dev/null
	tmux_cmd pipe-pane -t sg -o "cat >>'$TMUX_OUT/raw'"
}

# The screen as text; also saved as $TMUX_OUT/NN-NAME.txt.
tmux_capture() { # tmux_capture NAME
	TMUX_N=$((TMUX_N + 1))
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

# Whether the console (the pane's process) has ended; prints its exit status.
tmux_dead() {
	tmux_cmd list-panes -t sg -F '#{pane_dead} #{pane_dead_status}' 2>/dev/null | grep '^1 ' | cut -d' ' -f2
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
		echo "# screens kept in $TMUX_OUT"
	fi
}
