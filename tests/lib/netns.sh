# netns.sh - the test topology of doc/design.md, in network namespaces this
# run creates and always deletes (sourced by root tests and the demo).
#
#   gateway: eth0 198.51.100.1/24 (WAN), eth1 192.0.2.1/26 (LAN), eth2 192.0.2.65/26 (WLAN)
#   wan:     198.51.100.2/24 + 203.0.113.25 (mail server) + 203.0.113.10 (ISP relay)
#   lan:     192.0.2.2/26      wlan: 192.0.2.66/26
# and IPv6 beside it (2001:db8::/32 only, forwarding on in the gateway):
#   gateway: eth0 2001:db8:100::1/64, eth1 2001:db8:1::1/64, eth2 2001:db8:2::1/64
#   wan:     2001:db8:100::2/64 + 2001:db8:113::25 (mail server) + 2001:db8:113::10 (relay)
#   lan:     2001:db8:1::2/64  wlan: 2001:db8:2::66/64
#
# Every veth is created inside the namespaces: nothing reaches the
# namespace the tests started in, nothing is routed out.  The caller's
# firewall is never touched: every firewall command runs through gw/ns_exec.
# shellcheck shell=sh

NS_PREFIX="sgt$$"
NS_GW="$NS_PREFIX-gw"
NS_WAN="$NS_PREFIX-wan"
NS_LAN="$NS_PREFIX-lan"
NS_WLAN="$NS_PREFIX-wlan"
NS_DIR="${TMPDIR:-/tmp}/$NS_PREFIX"
SMTPGUARD="${SMTPGUARD:-$(pwd)/smtpguard}"
# iptables and smtpguard in the namespaces take this lock, not the host's.
XTABLES_LOCKFILE="$NS_DIR/xtables.lock"
export XTABLES_LOCKFILE
# The rollback watchdog's lock and pending file, away from the host's /run/smtpguard.
SMTPGUARD_RUN_DIR="$NS_DIR/run"
export SMTPGUARD_RUN_DIR
# The sandbox gateway is a legacy-iptables host, whatever this machine's `iptables` is:
# its alternatives live here (tests/ns/nft.sh points iptables at iptables-nft).
SMTPGUARD_ALTERNATIVES="$NS_DIR/alternatives"
export SMTPGUARD_ALTERNATIVES
# The firewall backend the sandbox config names: tests/run runs a test that says
# "# backends: iptables nftables" once with each (write_config writes "backend = nftables").
TEST_BACKEND=${SMTPGUARD_TEST_BACKEND:-iptables}
MX6=2001:db8:113::25
RELAY6=2001:db8:113::10

ns_cleanup() {
	for pidfile in "$NS_DIR"/*.pid; do
		[ -f "$pidfile" ] || continue
		kill "$(cat "$pidfile")" 2>/dev/null
	done
	for ns in "$NS_GW" "$NS_WAN" "$NS_LAN" "$NS_WLAN"; do
		if ip netns list 2>/dev/null | grep -q "^$ns\\b"; then
			ip netns pids "$ns" 2>/dev/null | xargs -r kill 2>/dev/null
			ip netns del "$ns" 2>/dev/null
		fi
		rm -rf "/etc/netns/$ns"
	done
	[ -n "${NS_KEEP_DIR:-}" ] || rm -rf "$NS_DIR"
}

ns_require_root() {
	if [ "$(id -u)" != 0 ]; then
		echo "1..0 # SKIP needs root (network namespaces)"
		exit 0
	fi
}

# Run a command in one of our namespaces; refuses any other.
ns_exec() { # ns_exec NS command...
	case $1 in
	"$NS_GW" | "$NS_WAN" | "$NS_LAN" | "$NS_WLAN") ;;
	*) echo "netns.sh: refusing to run outside a test namespace: $1" >&2; return 99 ;;
	esac
	ip netns list | grep -q "^$1\\b" || { echo "netns.sh: namespace $1 does not exist" >&2; return 99; }
	ns=$1
	shift
	ip netns exec "$ns" "$@"
}
gw() { ns_exec "$NS_GW" "$@"; }
wan() { ns_exec "$NS_WAN" "$@"; }
lan() { ns_exec "$NS_LAN" "$@"; }
wlan() { ns_exec "$NS_WLAN" "$@"; }
sg() { gw "$SMTPGUARD" "$@"; }

# A veth from the gateway's IF to eth0 of PEER.  Retried: under load a
# concurrent `ip netns add` elsewhere can make the peer's reference
# briefly invalid ("Peer netns reference is invalid").
ns_veth() { # ns_veth IF PEER_NS
	for try in 1 2 3 4 5; do
		ip -n "$NS_GW" link add "$1" type veth peer name eth0 netns "$2" 2>/dev/null && return 0
		sleep 0.2
	done
	ip -n "$NS_GW" link add "$1" type veth peer name eth0 netns "$2"
}

# Namespaces of earlier runs whose process is gone (a run killed with
# SIGKILL cannot clean up): ours by name, so they may go.
ns_reap_stale() {
	for ns in $(ip netns list 2>/dev/null | awk '{print $1}' | grep -E '^sgt[0-9]+-(gw|wan|lan|wlan)$'); do
		pid=${ns#sgt}
		pid=${pid%%-*}
		kill -0 "$pid" 2>/dev/null && continue
		ip netns pids "$ns" 2>/dev/null | xargs -r kill 2>/dev/null
		ip netns del "$ns" 2>/dev/null
		rm -rf "${TMPDIR:-/tmp}/sgt$pid" "/etc/netns/$ns"
	done
}

ns_setup() {
	ns_reap_stale
	trap 'ns_cleanup' EXIT
	trap 'exit 130' INT TERM HUP
	mkdir -p "$NS_DIR" "$SMTPGUARD_ALTERNATIVES"
	ln -sf /usr/sbin/iptables-legacy "$SMTPGUARD_ALTERNATIVES/iptables"
	for ns in "$NS_GW" "$NS_WAN" "$NS_LAN" "$NS_WLAN"; do
		ip netns add "$ns" || return 1
		ip -n "$ns" link set lo up
		# No duplicate address detection: every address here is unique by construction, and
		# while a link-local address is tentative the kernel sends no neighbour solicitation
		# for forwarded packets, so the first IPv6 packets through the gateway were lost.
		ip netns exec "$ns" sysctl -qw net.ipv6.conf.default.accept_dad=0 net.ipv6.conf.all.accept_dad=0
		# swaks resolves this machine's name; without it in /etc/hosts that waits on a
		# DNS server a namespace cannot reach.  ip netns exec mounts this file over /etc/hosts.
		mkdir -p "/etc/netns/$ns"
		{ cat /etc/hosts; echo "127.0.1.1 $(hostname)"; } >"/etc/netns/$ns/hosts"
	done
	ns_veth eth0 "$NS_WAN" && ns_veth eth1 "$NS_LAN" && ns_veth eth2 "$NS_WLAN" || return 1
	ip -n "$NS_LAN" link set eth0 address 00:06:25:aa:bb:01
	ip -n "$NS_WLAN" link set eth0 address 00:02:2d:11:22:33

	ip -n "$NS_GW" addr add 198.51.100.1/24 dev eth0
	ip -n "$NS_GW" addr add 192.0.2.1/26 dev eth1
	ip -n "$NS_GW" addr add 192.0.2.65/26 dev eth2
	ip -n "$NS_WAN" addr add 198.51.100.2/24 dev eth0
	ip -n "$NS_WAN" addr add 203.0.113.25/32 dev lo
	ip -n "$NS_WAN" addr add 203.0.113.10/32 dev lo
	ip -n "$NS_LAN" addr add 192.0.2.2/26 dev eth0
	ip -n "$NS_WLAN" addr add 192.0.2.66/26 dev eth0
	ip -n "$NS_GW" addr add 2001:db8:100::1/64 dev eth0 nodad
	ip -n "$NS_GW" addr add 2001:db8:1::1/64 dev eth1 nodad
	ip -n "$NS_GW" addr add 2001:db8:2::1/64 dev eth2 nodad
	ip -n "$NS_WAN" addr add 2001:db8:100::2/64 dev eth0 nodad
	ip -n "$NS_WAN" addr add "$MX6/128" dev lo
	ip -n "$NS_WAN" addr add "$RELAY6/128" dev lo
	ip -n "$NS_LAN" addr add 2001:db8:1::2/64 dev eth0 nodad
	ip -n "$NS_WLAN" addr add 2001:db8:2::66/64 dev eth0 nodad
	for ns in "$NS_GW" "$NS_WAN" "$NS_LAN" "$NS_WLAN"; do
		for l in $(ip -n "$ns" -o link show | awk -F': ' '{print $2}' | cut -d@ -f1); do
			ip -n "$ns" link set "$l" up
		done
	done
	ip -n "$NS_GW" route add default via 198.51.100.2
	ip -n "$NS_WAN" route add 192.0.2.0/24 via 198.51.100.1
	ip -n "$NS_LAN" route add default via 192.0.2.1
	ip -n "$NS_WLAN" route add default via 192.0.2.65
	ip -n "$NS_GW" -6 route add default via 2001:db8:100::2
	ip -n "$NS_WAN" -6 route add 2001:db8:1::/64 via 2001:db8:100::1
	ip -n "$NS_WAN" -6 route add 2001:db8:2::/64 via 2001:db8:100::1
	ip -n "$NS_LAN" -6 route add default via 2001:db8:1::1
	ip -n "$NS_WLAN" -6 route add default via 2001:db8:2::1
	gw sysctl -qw net.ipv4.ip_forward=1
	gw sysctl -qw net.ipv6.conf.all.forwarding=1
	# The namespace's legacy filter tables exist from the first iptables call.
	gw iptables-legacy -w -L -n >/dev/null
	gw ip6tables-legacy -w -L -n >/dev/null
	ns_wait_ipv6_ready
}

# Until no address of any namespace is tentative (bounded: 10 s); 0 when none is.
ns_wait_ipv6_ready() {
	n=0
	for ns in "$NS_GW" "$NS_WAN" "$NS_LAN" "$NS_WLAN"; do
		while [ -n "$(ip -n "$ns" -6 addr show tentative)" ]; do
			n=$((n + 1))
			[ $n -gt 100 ] && { echo "netns.sh: IPv6 addresses in $ns still tentative after 10 s" >&2; return 1; }
			sleep 0.1
		done
	done
}

# Until the command succeeds, at most SECONDS (polled every 0.1 s); 0 when it did.
# The smtpguard unit's command line for KEY (ExecStart, ExecReload, ExecStop), with the binary
# under test in place of /usr/sbin/smtpguard; empty when the unit has no such line.
unit_cmd() { sed -n "s|^$1=/usr/sbin/smtpguard |$SMTPGUARD |p" conf/smtpguard.service; }
# The unit's CapabilityBoundingSet as setpriv names it ("net_admin,net_raw").
unit_caps() { sed -n 's/^CapabilityBoundingSet=//p' conf/smtpguard.service | tr 'A-Z ' 'a-z,' | sed 's/cap_//g'; }
# Run command in the gateway within the unit's capability bounding set and no_new_privs.
unit_sandbox() { gw setpriv --bounding-set=-all,+"$(unit_caps | sed 's/,/,+/g')" --no-new-privs "$@"; }

wait_until() { # wait_until SECONDS command...
	limit=$(($1 * 10))
	shift
	n=0
	until "$@"; do
		n=$((n + 1))
		[ $n -ge $limit ] && return 1
		sleep 0.1
	done
}

# Until a lock is held on FILE by someone else (a test's lock holder has taken it; 5 s).
wait_locked() { # wait_locked FILE
	wait_until 5 sh -c '! flock -n "$1" true' sh "$1"
}

# Until FROM_NS completes a TCP connection to ADDR:PORT (bounded: 10 s); 0 when it did.
ns_wait_connect() { # ns_wait_connect FROM_NS TCP4|TCP6 ADDR PORT
	n=0
	until ns_exec "$1" socat -T1 /dev/null "$2:$3:$4,connect-timeout=1" 2>/dev/null; do
		n=$((n + 1))
		[ $n -gt 50 ] && { echo "netns.sh: $1 cannot reach $3 port $4 after 10 s" >&2; return 1; }
		sleep 0.2
	done
}

# SMTP listeners on the mail server and the relay (IPv4 and IPv6), and a web server on port 80.
ns_start_servers() {
	for a in 203.0.113.25 203.0.113.10 "[$MX6]" "[$RELAY6]"; do
		case $a in \[*) tcp=TCP6 ;; *) tcp=TCP4 ;; esac
		SINK_LOG="$NS_DIR/delivered" SINK_NAME="mx-$a" wan socat \
			"$tcp-LISTEN:25,bind=$a,reuseaddr,fork" \
			"EXEC:sh $(pwd)/tests/lib/smtp-sink.sh" >/dev/null 2>&1 &
		echo $! >"$NS_DIR/smtp-$(printf %s "$a" | tr -d '[]').pid"
	done
	for a in 203.0.113.25 "[$MX6]"; do
		case $a in \[*) tcp=TCP6 ;; *) tcp=TCP4 ;; esac
		wan socat "$tcp-LISTEN:80,bind=$a,reuseaddr,fork" 'SYSTEM:echo HTTP/1.0 200 OK; echo; echo hello' \
			>/dev/null 2>&1 &
		echo $! >"$NS_DIR/http-$(printf %s "$a" | tr -d '[]').pid"
	done
	# Ready when each listener answers from the WAN itself, then from both clients through the
	# gateway (both families): the routes and neighbours are usable, not only the sockets open.
	for a in 203.0.113.25 203.0.113.10 "[$MX6]" "[$RELAY6]"; do
		case $a in \[*) tcp=TCP6 ;; *) tcp=TCP4 ;; esac
		for from in "$NS_WAN" "$NS_LAN" "$NS_WLAN"; do
			ns_wait_connect "$from" "$tcp" "$a" 25 || return 1
		done
	done
	for a in 203.0.113.25 "[$MX6]"; do
		case $a in \[*) tcp=TCP6 ;; *) tcp=TCP4 ;; esac
		ns_wait_connect "$NS_WAN" "$tcp" "$a" 80 || return 1
	done
}

# Send one mail; returns swaks's status (0 delivered).  Timeout kept short.
send_mail() { # send_mail FROM_NS SERVER [extra swaks args]
	from=$1 server=$2
	shift 2
	ns_exec "$from" swaks --server "$server" --to postmaster@example.test --from zombie@example.test \
		--helo client.example.test --timeout 3 --hide-all "$@" >/dev/null 2>&1
}

# The same over IPv6: SERVER is an IPv6 address (the connection is IPv6 only).
send_mail6() { # send_mail6 FROM_NS SERVER [extra swaks args]
	from=$1 server=$2
	shift 2
	send_mail "$from" "$server" -6 "$@"
}

# TCP connect to port 80: 0 when it works.
http_get() { # http_get FROM_NS ADDR
	ns_exec "$1" socat -T3 - "TCP4:$2:80,connect-timeout=3" </dev/null >/dev/null 2>&1
}
http_get6() { # http_get6 FROM_NS ADDR [SOURCE_ADDR]
	ns_exec "$1" socat -T3 - "TCP6:[$2]:80,connect-timeout=3${3:+,bind=[$3]}" </dev/null >/dev/null 2>&1
}

# The gateway's filter table without counters or the date comments: the oracle.
# The built-in chains' policy counters are zeroed: any packet through the gateway (a DNS
# lookup, neighbour discovery) moves them, and they are not what a test compares.
gw_save() {
	gw iptables-legacy-save -t filter | grep -v '^#' | sed 's/^\(:[A-Z]* [A-Z]*\) \[[0-9]*:[0-9]*\]$/\1 [0:0]/'
}
# IPv6 likewise.
gw_save6() {
	gw ip6tables-legacy-save -t filter | grep -v '^#' | sed 's/^\(:[A-Z]* [A-Z]*\) \[[0-9]*:[0-9]*\]$/\1 [0:0]/'
}

# A config for the test gateway; extra lines appended (zone sections).
write_config() { # write_config FILE [extra text]
	cat >"$1" <<CONF
[general]
wan = eth0
ports = 25
relays = 203.0.113.10
log_target = log
log_prefix = Illegal port 25 >
confirm = 0
log_files = $NS_DIR/kern.log
CONF
	# in place of the blank line: the line numbers of what follows stay the same
	if [ "$TEST_BACKEND" = iptables ]; then echo; else echo "backend = $TEST_BACKEND"; fi >>"$1"
	[ $# -gt 1 ] && printf '%s\n' "$2" >>"$1"
	chmod 600 "$1"
}

# The usual two zones: lan on eth1, wlan on eth2; extra lines go into [zone wlan].
write_zones_config() { # write_zones_config FILE LAN_MODE WLAN_MODE [extra wlan lines]
	write_config "$1" "[zone lan]
interface = eth1
mode = $2

[zone wlan]
interface = eth2
mode = $3
${4:-}"
}
