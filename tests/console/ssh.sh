#!/bin/sh
# ssh.sh - the console over a real SSH session: an sshd of this test in the
# gateway namespace (its own config, host key and authorized key in $NS_DIR,
# key auth only, listening on 192.0.2.1 only), the client in tmux on the LAN
# host (the administrator's laptop) 100 ms of round trip away: netem delay on its
# link when the kernel has sch_netem, else tests/lib/delay-relay.pl between the
# client and sshd (50 ms each way); the round trip on that path is measured and
# must be 100 ms or more.  The screen is right (zones, rules in words, a hit),
# keys work (Tab, Down, m, n, /), q leaves the alternate screen and the ssh
# session ends with status 0.  Bytes sent to the terminal per second, idle and
# during a flood, are measured (diag lines, doc/bench.md) beside htop's idle.
# backends: iptables nftables
set -u
cd "$(dirname "$0")/../.." || exit 1
. tests/lib/tap.sh
. tests/lib/netns.sh
. tests/lib/backend.sh
. tests/lib/tmux.sh
backend_require
console_sandbox
write_zones_config "$CONF" log monitor
sed -i 's/^log_target = log/log_target = nflog\nlog_limit = 10000\/second\nlog_burst = 10000/' "$CONF"
check "config applies" sg -c "$CONF" apply
for tool in /usr/sbin/sshd ssh ssh-keygen htop; do
	command -v "$tool" >/dev/null || { fail "$tool is installed (scripts/deps.sh test)"; done_testing; exit 1; }
done

# Keys and config of this test's sshd only.
SSH_DIR="$NS_DIR/ssh"
mkdir -m 700 "$SSH_DIR"
ssh-keygen -q -t ed25519 -N '' -f "$SSH_DIR/host_key" || fail "host key"
ssh-keygen -q -t ed25519 -N '' -f "$SSH_DIR/admin_key" || fail "client key"
cp "$SSH_DIR/admin_key.pub" "$SSH_DIR/authorized_keys"
cat >"$SSH_DIR/sshd_config" <<EOF
ListenAddress 192.0.2.1:22
HostKey $SSH_DIR/host_key
PidFile $NS_DIR/sshd.pid
AuthorizedKeysFile $SSH_DIR/authorized_keys
# $NS_DIR lies under the world-writable /tmp
StrictModes no
PermitRootLogin prohibit-password
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
UseDNS no
PrintMotd no
PrintLastLog no
AcceptEnv LANG LC_*
EOF
# sshd runs in the gateway's network namespace, in a mount namespace of its own (ip netns
# exec makes it, a slave of the host's) with tmpfs over /run (its privilege separation
# directory, utmp) and /var/log (wtmp, lastlog): nothing of it reaches the host.
# shellcheck disable=SC2016 # $1 is the inner shell's
gw sh -c 'mount -t tmpfs -o mode=755 sgsshd /run && mkdir -m 755 /run/sshd &&
	mount -t tmpfs -o mode=755 sgsshd /var/log && exec /usr/sbin/sshd -D -e -f "$1"' sh \
	"$SSH_DIR/sshd_config" 2>"$NS_DIR/sshd.log" &
echo $! >"$NS_DIR/sshd.pid"
if ns_wait_connect "$NS_LAN" TCP4 192.0.2.1 22; then ok "the test's sshd listens on 192.0.2.1:22"; else
	fail "the test's sshd listens on 192.0.2.1:22" "$(cat "$NS_DIR/sshd.log")"
fi
if ss -Htln src 192.0.2.1 2>/dev/null | grep -q .; then
	fail "no sshd of this test listens in the host's namespace" "$(ss -Htln src 192.0.2.1)"
else
	ok "no sshd listens in the host's namespace"
fi

# 100 ms round trip between the laptop and the gateway.  netem on the LAN's link when the
# kernel has sch_netem; otherwise tests/lib/delay-relay.pl in the LAN namespace holds every
# chunk 50 ms each way between the client (127.0.0.1:2222) and the sshd (a real TCP connection
# from 192.0.2.2 to 192.0.2.1:22), sshd unchanged.  The delay is measured on the same path as
# the ssh session, by one-byte round trips to a TCP echo on the gateway (192.0.2.1:7).
gw socat TCP4-LISTEN:7,bind=192.0.2.1,reuseaddr,fork PIPE 2>/dev/null &
echo $! >"$NS_DIR/echo.pid"
ns_wait_connect "$NS_LAN" TCP4 192.0.2.1 7 || fail "the gateway's TCP echo listens on 192.0.2.1:7"
SSH_HOST=192.0.2.1 SSH_PORT=22 ECHO=192.0.2.1:7
if netem=$(lan tc qdisc add dev eth0 root netem delay 100ms 2>&1); then
	via="netem on the LAN's link"
else
	diag "tc netem is not available on this kernel ($netem): tests/lib/delay-relay.pl adds the delay"
	via="delay-relay.pl, 50 ms each way"
	# The relay writes its own pid (the one ns_cleanup kills, and it its children) once it
	# listens: bounded waits, 10 s for the pid file, 10 s for the path to sshd through it.
	lan perl tests/lib/delay-relay.pl relay 50 "$NS_DIR/relay.pid" \
		127.0.0.1:2222=192.0.2.1:22 127.0.0.1:2207=192.0.2.1:7 2>"$NS_DIR/relay.log" &
	if wait_until 10 test -s "$NS_DIR/relay.pid" && ns_wait_connect "$NS_LAN" TCP4 127.0.0.1 2222; then
		SSH_HOST=127.0.0.1 SSH_PORT=2222 ECHO=127.0.0.1:2207
	else
		fail "the delaying relay starts" "$(cat "$NS_DIR/relay.log")"
	fi
	direct=$(lan perl tests/lib/delay-relay.pl rtt 192.0.2.1:7)
	diag "TCP echo round trip to the gateway without the relay: min ${direct%% *} ms, max ${direct##* } ms of 5"
fi
rtt=$(lan perl tests/lib/delay-relay.pl rtt "$ECHO" 2>&1)
min=${rtt%% *}
case $rtt in [0-9]*' '[0-9]*) ;; *) min=0 ;; esac
if [ "$min" -ge 100 ]; then
	ok "the client's round trip to the gateway is 100 ms or more, by $via (TCP echo: min $min ms, max ${rtt##* } ms of 5)"
else
	fail "the client's round trip to the gateway is 100 ms or more, by $via" "TCP echo: ${rtt:-no answer}"
fi

# The remote command gets this sandbox's environment (ssh does not pass it) and the
# client's TERM through the session.
remote_env="XTABLES_LOCKFILE=$XTABLES_LOCKFILE SMTPGUARD_RUN_DIR=$SMTPGUARD_RUN_DIR SMTPGUARD_ALTERNATIVES=$SMTPGUARD_ALTERNATIVES"
ssh_run() { # ssh_run REMOTE_COMMAND: the command line tmux runs on the laptop
	echo "ip netns exec $NS_LAN ssh -tt -F /dev/null -i $SSH_DIR/admin_key -o BatchMode=yes \
-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR -p $SSH_PORT root@$SSH_HOST '$1'"
}
# Bytes the terminal received from now for SECONDS seconds, per second.  The window is the
# measurement itself, not a wait for anything.
bytes_per_second() { # bytes_per_second SECONDS
	b0=$(wc -c <"$TMUX_RAW")
	sleep "$1"
	echo $((($(wc -c <"$TMUX_RAW") - b0) / $1))
}

tmux_start 80 24 "$(ssh_run "env $remote_env $SMTPGUARD -c $CONF")" || fail "tmux starts"
# bounded waits: 20 s for the first screen over ssh, 5 s for each key's answer (the delayed
# link adds 0.1 s to each: a key there, the screen's answer back)
if tmux_wait_all 20 start '^1 Zones and interfaces' '^2 Rules' '^3 Port-25 hits' '^4 Offenders'; then
	ok "the console starts over ssh with every area"
else
	fail "the console starts over ssh with every area" "$(cat "$NS_DIR/sshd.log")"
fi
if [ "$SSH_PORT" = 2222 ]; then
	relayed=$(lan ss -Htnp state established '( sport = :2222 or dport = :22 )')
	if [ "$(printf '%s\n' "$relayed" | grep -c '"perl"')" -ge 2 ]; then
		ok "the ssh session runs through the relay (client to relay, relay to 192.0.2.1:22)"
	else
		fail "the ssh session runs through the relay" "$relayed"
	fi
fi
if tmux_wait_all 5 tables '^ZONE +INTERFACE +MODE' '^lan +eth1 +log' '^wlan +eth2 +monitor' \
	'^INTERFACE +ROLE +LINK'; then
	ok "zones and interfaces under their headings"
else
	fail "zones and interfaces under their headings"
fi
if tmux_wait '^ +[0-9]+ +[0-9.]+ -> lan +(FWD|guard) eth1>eth0' 5 words; then ok "rules read in words with their verdict"; else fail "rules read in words with their verdict"; fi
# 2 z zooms the rules area: the LAN's log rule reads in words; z again, 1 back to the zones.
tmux_keys 2 z
if tmux_wait '^ +[0-9]+ +[0-9.]+ log +lan eth1>' 5 zoom; then ok "the zoomed rules show the LAN's log verdict in words"; else fail "the zoomed rules show the LAN's log verdict in words"; fi
tmux_keys z 1
tmux_wait '^1 Zones and interfaces' 5 unzoomed >/dev/null
check "mail from the WLAN passes in monitor mode" send_mail "$NS_WLAN" 203.0.113.25
if tmux_wait '192\.0\.2\.66 ' 10 hit; then ok "the WLAN's hit is on screen"; else fail "the WLAN's hit is on screen"; fi

# Keys: Down Down m plans the WLAN's next mode, n cancels and the kernel is unchanged.
before=$(gw_firewall)
tmux_keys Down Down m
if tmux_wait 'Plan: zone wlan: mode monitor -> block' 5 mode-plan; then ok "Down Down m plans a change over ssh"; else fail "Down Down m plans a change over ssh"; fi
tmux_keys n
# The message of this cancel, not any 'cancel': over the delayed link an earlier one can still be
# on screen while the answer travels, and the redraw would land in a later measurement window.
if tmux_wait 'mode monitor -> block cancelled' 5 cancelled; then ok "n cancels it"; else fail "n cancels it"; fi
is "$(gw_firewall)" "$before" "the kernel's rules are unchanged after n"
# Tab Tab: the hits area is selected, so / searches the hits and Q plans the host found.
tmux_keys Tab Tab /
tmux_type 192.0.2.66
tmux_keys Enter Q
if tmux_wait 'Plan: zone wlan: quarantine 192\.0\.2\.66' 5 search; then ok "Tab Tab and / find the hit over ssh"; else fail "Tab Tab and / find the hit over ssh"; fi
tmux_keys n
tmux_wait 'quarantine 192\.0\.2\.66 cancelled' 5 search-cancelled >/dev/null

# Bytes per second to the terminal: 10 s idle, then a flood from the WLAN (as flood.sh).
idle=$(bytes_per_second 10)
diag "console over ssh, 80x24, idle: $idle bytes/s to the terminal (10 s)"
# bash connects without forking, until it is killed after the measurement (or by ns_cleanup).
wlan bash -c 'while :; do : 3<>/dev/tcp/198.51.100.2/25; done' 2>/dev/null &
flood_pid=$!
echo $flood_pid >"$NS_DIR/flood.pid"
# The flood is under way once the console has counted a hundred hits (bounded: 10 s).
tmux_wait '[0-9]{3,} from NFLOG group' 10 flooding >/dev/null
flood=$(bytes_per_second 5)
diag "console over ssh, 80x24, flood: $flood bytes/s to the terminal (5 s)"
kill $flood_pid
wait $flood_pid 2>/dev/null
if [ "$(wc -c <"$TMUX_RAW")" -gt 0 ] && [ "$flood" -gt 0 ]; then ok "bytes to the terminal are counted"; else fail "bytes to the terminal are counted" "idle $idle, flood $flood"; fi

tmux_keys q
if tmux_wait_dead 15; then ok "q quits"; else fail "q quits"; fi
is "$(tmux_dead)" 0 "the ssh session ends with status 0"
is "$(tmux_cmd display -p -t sg '#{alternate_on}')" 0 "the terminal has left the alternate screen"
# The last bytes smtpguard sent: the alternate screen left after it was entered.
if tr '\033' '~' <"$TMUX_RAW" | grep -o '~\[?1049[hl]' | tail -1 | grep -q 'l$'; then
	ok "the last alternate-screen sequence leaves it"
else
	fail "the last alternate-screen sequence leaves it"
fi

# htop over the same kind of session, idle for the same 10 s: the reference.
tmux_start 80 24 "$(ssh_run "htop -d 10")" || fail "tmux starts htop"
if tmux_wait 'Load average' 20 htop; then ok "htop starts over ssh"; else fail "htop starts over ssh"; fi
htop_idle=$(bytes_per_second 10)
diag "htop -d 10 over ssh, 80x24, idle: $htop_idle bytes/s to the terminal (10 s)"
if [ "$htop_idle" -gt 0 ]; then ok "htop's bytes are counted"; else fail "htop's bytes are counted"; fi
tmux_keys q
if tmux_wait_dead 15; then ok "htop quits"; else fail "htop quits"; fi
done_testing
