#!/bin/sh
# systemd.sh - the .deb installed on a booted systemd, as an administrator
# does it: `systemctl enable --now smtpguard smtpguard-watch` applies the
# rules and starts watch, which under its hardened unit records the
# zombie's hits in /var/log/smtpguard/hits.log, runs the alert command,
# escalates (the next attempt is dropped), writes metrics_file, and
# `smtpguard report` reads the day back; reload and stop work.
#
# The machine: this host's own system as a throwaway overlay (upper layer
# on a tmpfs, in a mount namespace of this test), booted by
# systemd-nspawn into basic.target (none of the host's services), in a
# cgroup of its own, inside the test gateway's network namespace.  Nothing
# of this machine is written: its files, dpkg database and services stay
# as they were, and the overlay goes with the mount namespace.
. tests/lib/tap.sh
. tests/lib/netns.sh
ns_require_root
for tool in systemd-nspawn dpkg-buildpackage; do
	command -v "$tool" >/dev/null ||
		{ fail "needs $tool" "not run: install systemd-container and debhelper (sh scripts/deps.sh test)"; done_testing; exit 1; }
done
[ -x /lib/systemd/systemd ] ||
	{ fail "needs systemd on this machine" "not run: /lib/systemd/systemd is missing (apt-get install systemd)"; done_testing; exit 1; }
VERSION=$(cat VERSION)
host_before="$(dpkg-query -W -f '${Status} ${Version}' smtpguard 2>&1) $(ls -l /etc/smtpguard /var/log/smtpguard 2>&1 | md5sum)"
# The cgroups the machine runs in (nspawn puts its payload under the caller's): of its own, so
# that nothing it does at its end reaches this machine's processes.
if [ -f /sys/fs/cgroup/cgroup.controllers ]; then
	CGS=/sys/fs/cgroup/smtpguard-test-$$	# cgroup v2 only
else
	CGS=	# hybrid or v1: the unified hierarchy and systemd's named one, where they are
	for h in /sys/fs/cgroup/unified /sys/fs/cgroup/systemd; do
		[ -f "$h/cgroup.procs" ] && CGS="$CGS $h/smtpguard-test-$$"
	done
fi
NSPAWN_PID=
PID1=
# The machine's end: SIGKILL to its PID 1 ends its PID namespace at once (no shutdown run by
# its systemd), then nspawn ends (bounded: 10 s).
stop_machine() {
	[ -n "$PID1" ] && kill -9 "$PID1" 2>/dev/null
	[ -n "$NSPAWN_PID" ] && { wait_until 10 sh -c '! kill -0 "$1" 2>/dev/null' sh "$NSPAWN_PID" ||
		kill -9 "$NSPAWN_PID" 2>/dev/null; }
	for cg in $CGS; do [ -d "$cg" ] && find "$cg" -depth -type d -exec rmdir {} + 2>/dev/null; done
	PID1='' NSPAWN_PID=''
}
trap 'stop_machine; ns_cleanup' EXIT
ns_setup || { fail "topology"; done_testing; exit 1; }

if make --no-print-directory deb DEB_DIR="$NS_DIR/deb" >"$NS_DIR/deb.log" 2>&1; then ok "make deb"; else
	fail "make deb" "$(tail -20 "$NS_DIR/deb.log")"; done_testing; exit 1; fi
DEB=$(ls "$NS_DIR"/deb/smtpguard_"$VERSION"_*.deb)

# the config the administrator writes after installing
cat >"$NS_DIR/smtpguard.conf" <<'CONF'
[general]
wan = eth0
ports = 25
relays = 203.0.113.10
log_target = nflog
log_limit = 10000/second
log_burst = 10000
alert_command = /usr/local/sbin/sg-alert
alert_interval = 10s
metrics_file = /var/lib/prometheus/node-exporter/smtpguard.prom
metrics_interval = 1

[zone wlan]
interface = eth2
mode = monitor
alert_threshold = 3/1min
escalate = quarantine-smtp 1h
CONF
# the alert program: what it gets into /var/spool/sg-alert (writable under the unit's sandbox)
cat >"$NS_DIR/sg-alert" <<'CMD'
#!/bin/sh
mkdir -p /var/spool/sg-alert
n=$(ls /var/spool/sg-alert | wc -l)
cat >/var/spool/sg-alert/$n.tmp && mv /var/spool/sg-alert/$n.tmp /var/spool/sg-alert/$n.json
CMD

# the machine: overlay, package installed with dpkg, config in place, then boot
ROOT=$NS_DIR/root
mkdir -p "$ROOT" "$NS_DIR/ov"
# shellcheck disable=SC2086
[ -n "$CGS" ] && mkdir -p $CGS
unshare --mount --propagation private sh -c '
	D=$1 ROOT=$2 DEB=$3 CGS=$4 NS=$5
	for cg in $CGS; do echo $$ >"$cg/cgroup.procs" || exit 1; done
	mount -t tmpfs tmpfs "$D/ov" && mkdir "$D/ov/up" "$D/ov/work" &&
	mount -t overlay overlay -o "lowerdir=/,upperdir=$D/ov/up,workdir=$D/ov/work" "$ROOT" || exit 1
	cp "$DEB" "$ROOT/tmp/smtpguard.deb"
	chroot "$ROOT" dpkg -i /tmp/smtpguard.deb >"$D/dpkg.log" 2>&1 || { echo "dpkg -i failed"; exit 1; }
	install -m 0600 "$D/smtpguard.conf" "$ROOT/etc/smtpguard/smtpguard.conf"
	install -m 0755 "$D/sg-alert" "$ROOT/usr/local/sbin/sg-alert"
	mkdir -p "$ROOT/var/lib/prometheus/node-exporter"
	exec systemd-nspawn -q -D "$ROOT" -b --register=no --keep-unit --capability=CAP_NET_ADMIN \
		--network-namespace-path="/run/netns/$NS" -- systemd.unit=basic.target
' sh "$NS_DIR" "$ROOT" "$DEB" "$CGS" "$NS_GW" >"$NS_DIR/boot.log" 2>&1 </dev/null &
NSPAWN_PID=$!

# the machine's PID 1: nspawn's child or grandchild that is PID 1 of its own namespace
pid1() {
	for p in $(pgrep -P "$NSPAWN_PID") $(pgrep -P "$(pgrep -P "$NSPAWN_PID" | head -1)" 2>/dev/null); do
		[ "$(awk '/^NSpid:/ { print $NF }' "/proc/$p/status" 2>/dev/null)" = 1 ] &&
			[ "$(cat "/proc/$p/comm" 2>/dev/null)" = systemd ] && { echo "$p"; return 0; }
	done
	return 1
}
in_machine() { timeout 60 nsenter -t "$PID1" -a "$@"; }
booted() { PID1=$(pid1) && case $(in_machine systemctl is-system-running 2>/dev/null) in running|degraded) true ;; *) false ;; esac; }
# bounded: 60 s
if wait_until 60 booted; then
	ok "the package installed and the machine booted (systemd $(in_machine systemctl --version | head -1 | cut -d' ' -f2))"
elif [ ! -s "$NS_DIR/dpkg.log" ] || grep -q "dpkg -i failed" "$NS_DIR/boot.log"; then
	fail "the package installs in the machine" "$(cat "$NS_DIR/dpkg.log" 2>/dev/null)" "$(tail -5 "$NS_DIR/boot.log")"
	done_testing
	exit 1
else
	# the package installed; this machine cannot boot a container (no nspawn support, cgroups)
	skip "systemctl enable --now on a booted machine" "systemd-nspawn could not boot one here: $(tail -1 "$NS_DIR/boot.log")"
	done_testing
	exit 0
fi

if out=$(in_machine systemctl enable --now smtpguard.service smtpguard-watch.service 2>&1); then
	ok "systemctl enable --now smtpguard smtpguard-watch"
else
	fail "systemctl enable --now smtpguard smtpguard-watch" "$out"
fi
is "$(in_machine systemctl is-enabled smtpguard.service smtpguard-watch.service | tr '\n' ' ')" "enabled enabled " \
	"both units enabled"
watch_up() { in_machine journalctl -u smtpguard-watch --no-pager -o cat 2>/dev/null | grep -q "recording hits from NFLOG group"; }
# bounded: 20 s
if wait_until 20 watch_up && [ "$(in_machine systemctl is-active smtpguard-watch.service)" = active ]; then
	ok "watch runs under its unit and says so in the journal"
else
	fail "watch runs under its unit" "$(in_machine systemctl status smtpguard-watch --no-pager 2>&1)"
fi
# backend = auto (the shipped default) picks by the machine: nftables where iptables is iptables-nft
# and the legacy tables are empty (Debian 12's default), else iptables
if gw nft list table inet smtpguard 2>/dev/null | grep -q 'chain zone_wlan'; then
	BACKEND=nftables
elif gw iptables-legacy-save -t filter | grep -q -- '-A SMTPGUARD-wlan .*NFLOG'; then
	BACKEND=iptables
fi
if [ -n "${BACKEND:-}" ]; then
	ok "smtpguard.service applied the rules in the gateway ($BACKEND, chosen by backend = auto)"
else
	fail "smtpguard.service applied the rules" "$(gw_save)" "$(gw nft list ruleset 2>&1)" "$(in_machine journalctl -u smtpguard --no-pager -o cat 2>&1)"
fi
attempt() { # one connection to the WAN host's closed port 25: "refused" when it passes, "timeout" when dropped
	if wlan socat -T2 /dev/null "TCP4:198.51.100.2:25,connect-timeout=2" 2>&1 | grep -q "refused"; then echo refused; else echo timeout; fi
}
first=$(attempt)
for _ in 2 3 4; do attempt >/dev/null; done
hits() { c=$(in_machine grep -c '"src":"192.0.2.66"' /var/log/smtpguard/hits.log 2>/dev/null); echo "${c:-0}"; }
four_hits() { [ "$(hits)" -ge 4 ]; }
# bounded: 10 s
if wait_until 10 four_hits; then
	ok "the hits are in /var/log/smtpguard/hits.log ($(hits))"
else
	fail "the hits are in /var/log/smtpguard/hits.log" "$(in_machine ls -l /var/log/smtpguard 2>&1)" "$(in_machine journalctl -u smtpguard-watch --no-pager -o cat 2>&1)"
fi
alerted() { in_machine grep -q '"host":"192.0.2.66"' /var/spool/sg-alert/0.json 2>/dev/null; }
# bounded: 15 s
if wait_until 15 alerted; then ok "the alert command ran inside the unit's sandbox with the offender"; else
	fail "the alert command ran" "$(in_machine journalctl -u smtpguard-watch --no-pager -o cat 2>&1)"; fi
escalated() {
	if [ "${BACKEND:-}" = nftables ]; then gw nft list set inet smtpguard wlan_esc4 2>/dev/null | grep -q '192.0.2.66 timeout'
	else gw cat /proc/net/xt_recent/SMTPGUARD-wlan-ESC 2>/dev/null | grep -q 'src=192.0.2.66 '; fi
}
if escalated; then
	ok "escalated: the host is in the kernel's timed list"
else
	fail "escalated" "$(in_machine journalctl -u smtpguard-watch --no-pager -o cat 2>&1)"
fi
is "$first then $(attempt)" "refused then timeout" "escalated: the zombie's next attempt is dropped (the first was refused: monitor)"
metrics() { in_machine grep -q '^smtpguard_rule_packets_total{.*zone="wlan"' /var/lib/prometheus/node-exporter/smtpguard.prom 2>/dev/null; }
# bounded: 10 s (metrics_interval is 1 s)
if wait_until 10 metrics && [ "$(in_machine stat -c %a /var/lib/prometheus/node-exporter/smtpguard.prom)" = 644 ]; then
	ok "metrics_file written in node_exporter's folder, mode 0644"
else
	fail "metrics_file written" "$(in_machine ls -l /var/lib/prometheus/node-exporter 2>&1)"
fi
report=$(in_machine smtpguard report --date "$(date +%F)" /var/log/smtpguard/hits.log 2>&1)
case $report in *192.0.2.66*) ok "smtpguard report reads the day from the hits log" ;;
*) fail "smtpguard report reads the day from the hits log" "$report" ;; esac

if in_machine systemctl reload smtpguard-watch.service && [ "$(in_machine systemctl is-active smtpguard-watch.service)" = active ]; then
	ok "systemctl reload smtpguard-watch: still running"
else
	fail "systemctl reload smtpguard-watch" "$(in_machine systemctl status smtpguard-watch --no-pager 2>&1)"
fi
in_machine systemctl stop smtpguard-watch.service
stopped=$(in_machine journalctl -u smtpguard-watch --no-pager -o cat 2>/dev/null | grep "watch: stopped;")
case $stopped in *"hits recorded"*) ok "systemctl stop: watch ends with its stop line: $stopped" ;;
*) fail "systemctl stop: the stop line" "$(in_machine journalctl -u smtpguard-watch --no-pager -o cat 2>&1)" ;; esac

stop_machine
is "$(dpkg-query -W -f '${Status} ${Version}' smtpguard 2>&1) $(ls -l /etc/smtpguard /var/log/smtpguard 2>&1 | md5sum)" \
	"$host_before" "this machine's dpkg database, /etc/smtpguard and /var/log/smtpguard are as before"
done_testing
