#!/bin/sh
# demo.sh - what `make demo` runs: the sandbox gateway of doc/design.md in
# network namespaces, a spam zombie on the WLAN, a legitimate sender on
# the LAN, and the console on the gateway.  Quitting the console tears
# everything down: namespaces, processes, rules (they live in the
# namespace).  The firewall of this machine is never touched.
#
# Hits come over NFLOG: it works inside a namespace without changing
# any sysctl of the host (kernel LOG would need nf_log_all_netns=1).
#
# SMTPGUARD_DEMO_BACKEND=nftables (make demo BACKEND=nftables) puts the
# rules in nftables (table inet smtpguard) instead of the legacy tables.
set -u
cd "$(dirname "$0")/.." || exit 1
. tests/lib/netns.sh

if [ "$(id -u)" != 0 ]; then
	echo "demo: needs root to create network namespaces (sudo make demo)" >&2
	exit 1
fi
if [ ! -x "$SMTPGUARD" ]; then
	echo "demo: $SMTPGUARD is missing; run make first" >&2
	exit 1
fi
BACKEND=${SMTPGUARD_DEMO_BACKEND:-iptables}
case $BACKEND in
iptables) ;;
nftables)
	command -v nft >/dev/null 2>&1 || { echo "demo: BACKEND=nftables needs nft (apt-get install nftables)" >&2; exit 1; } ;;
*) echo "demo: BACKEND must be iptables or nftables, not $BACKEND" >&2; exit 2 ;;
esac

ns_setup || { echo "demo: cannot build the sandbox namespaces" >&2; exit 1; }
# Everything this demo started ends with it, on every exit path.
trap 'ns_cleanup' EXIT
ns_start_servers || exit 1

export SMTPGUARD_RUN_DIR="$NS_DIR/run"
mkdir -p -m 700 "$SMTPGUARD_RUN_DIR"
CONF="$NS_DIR/smtpguard.conf"
cat >"$CONF" <<CONF
; The demo gateway: eth0 is the uplink, eth1 the LAN, eth2 the Wi-Fi.
[general]
wan = eth0
ports = 25
relays = 203.0.113.10       ; the ISP's mail relay
log_target = nflog
nflog_group = 25
log_prefix = Illegal port 25 >
log_limit = 5/second
log_burst = 10
confirm = 30
log_files = $NS_DIR/kern.log
backend = $BACKEND

[zone lan]
interface = eth1
mode = monitor

[zone wlan]
interface = eth2
mode = monitor
CONF
chmod 600 "$CONF"
sg -c "$CONF" apply >"$NS_DIR/apply.log" 2>&1 || {
	echo "demo: smtpguard apply failed:" >&2
	cat "$NS_DIR/apply.log" >&2
	exit 1
}

# The zombie: straight to a mail server on the internet every second or two (at most 20 min).
(
	n=0
	while [ $n -lt 800 ]; do
		send_mail "$NS_WLAN" 203.0.113.25
		sleep 1
		n=$((n + 1))
	done
) &
echo $! >"$NS_DIR/zombie.pid"

# The legitimate client: mail through the ISP's relay every 10 s.
(
	n=0
	while [ $n -lt 120 ]; do
		send_mail "$NS_LAN" 203.0.113.10
		sleep 10
		n=$((n + 1))
	done
) &
echo $! >"$NS_DIR/sender.pid"

cat <<EOF
smtpguard demo: a sandbox gateway in network namespaces $NS_PREFIX-*, rules in $BACKEND.
  WLAN 192.0.2.66 is a spam zombie (SMTP to 203.0.113.25 every second);
  LAN 192.0.2.2 sends mail properly, through the relay 203.0.113.10.
In the console: arrows select the wlan zone, m switches its mode (block,
rateban, ...), y applies, c keeps the change; s saves, e exports, ? helps.
q quits and removes the whole sandbox.
EOF
sleep 2
gw env SMTPGUARD_RUN_DIR="$SMTPGUARD_RUN_DIR" "$SMTPGUARD" -c "$CONF"
status=$?
echo "demo: removing the sandbox"
exit $status
