#!/bin/sh
# watch_unit.sh - `smtpguard watch` confined as conf/smtpguard-watch.service
# confines it (its CapabilityBoundingSet and UMask, read from the unit), with
# log_target = nflog and metrics_file, in the test gateway: it binds the
# group, records the zombie's hits with the modes the unit promises and reads
# the rule counters for the metrics (a set without CAP_NET_RAW cannot); then
# conf/smtpguard.logrotate, run by the real logrotate in the middle of a
# flood, loses no hit (lines of both files + "lost" lines = the NFLOG rules'
# packet counter), and a second rotation compresses the first.
. tests/lib/tap.sh
. tests/lib/netns.sh
. tests/lib/hitslog.sh
ns_require_root
command -v logrotate >/dev/null 2>&1 ||
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends logrotate </dev/null >/dev/null 2>&1
command -v logrotate >/dev/null 2>&1 || { fail "logrotate is installed" "apt-get install logrotate"; done_testing; exit 1; }
ns_setup || { fail "topology"; done_testing; exit 1; }
ns_start_servers || { fail "SMTP servers"; done_testing; exit 1; }
trap 'ns_cleanup' EXIT
UNIT=conf/smtpguard-watch.service
CONF="$NS_DIR/smtpguard.conf"
LOG="$NS_DIR/log/hits.log"
PROM="$NS_DIR/prom/smtpguard.prom"
mkdir -p "$NS_DIR/prom"

# the unit's bounding set as setpriv's list (+net_admin,+net_raw,...) and its umask
caps=$(sed -n 's/^CapabilityBoundingSet=//p' "$UNIT" | tr 'A-Z ' 'a-z\n' | sed -n 's/^cap_/+/p' | paste -sd, -)
umask=$(sed -n 's/^UMask=//p' "$UNIT")
[ -n "$caps" ] && [ -n "$umask" ] || fail "the unit has a CapabilityBoundingSet and a UMask" "$caps $umask"
confined() { # confined CAPS command... : exec in the gateway, root with only CAPS, the unit's umask
	c=$1
	shift
	exec ip netns exec "$NS_GW" setpriv --bounding-set=-all,"$c" --inh-caps=-all \
		sh -c 'umask "$0"; exec "$@"' "$umask" "$@"
}

config() { # config WLAN_MODE
	write_config "$CONF" "[zone wlan]
interface = eth2
mode = $1"
	sed -i "s|^log_target = log|log_target = nflog\nlog_limit = 10000/second\nlog_burst = 10000\nhits_log = $LOG\nmetrics_file = $PROM\nmetrics_interval = 1|" "$CONF"
}
config log
if out=$(sg -c "$CONF" apply 2>&1); then ok "apply: wlan in log mode, NFLOG"; else fail "apply" "$out"; fi

# ---- metrics read the kernel's counters with the unit's set, not without CAP_NET_RAW (libiptc's raw socket)
out=$(confined "$caps" "$SMTPGUARD" -c "$CONF" metrics 2>&1)
case $out in
*'smtpguard_rule_packets_total{zone="wlan"'*) ok "metrics with the unit's capabilities read the rule counters" ;;
*) fail "metrics with the unit's capabilities read the rule counters" "$caps" "$out" ;;
esac
out=$(confined "$(printf '%s\n' "$caps" | sed 's/+net_raw,\{0,1\}//; s/,$//')" "$SMTPGUARD" -c "$CONF" metrics 2>&1)
case $out in
*'smtpguard_rule_packets_total{zone="wlan"'*) fail "without CAP_NET_RAW the rule counters cannot be read" "$out" ;;
*) ok "without CAP_NET_RAW the rule counters cannot be read (the unit needs it)" ;;
esac

# ---- watch confined as the unit does it; $! is smtpguard (ip netns exec, setpriv and sh exec it)
(confined "$caps" "$SMTPGUARD" -c "$CONF" watch 2>"$NS_DIR/w.err") &
echo $! >"$NS_DIR/watch.pid"
# bounded: 5 s
if wait_until 5 grep -q "recording hits" "$NS_DIR/w.err"; then ok "confined watch binds the NFLOG group"; else
	fail "confined watch binds the NFLOG group" "$(cat "$NS_DIR/w.err")"; fi
bnd=$(sed -n 's/^CapBnd:[[:space:]]*//p' "/proc/$(cat "$NS_DIR/watch.pid")/status")
case $bnd in
000001ffffffffff | 000003ffffffffff | "") fail "watch runs with the unit's bounding set only" "CapBnd $bnd" ;;
*) ok "watch runs with the unit's bounding set only (CapBnd $bnd)" ;;
esac
send_mail "$NS_WLAN" 203.0.113.25 && fail "log mode drops the zombie's mail"
# bounded: 5 s
if wait_until 5 grep -q '"src":"192.0.2.66","dst":"203.0.113.25"' "$LOG"; then ok "the zombie's hit is in the hits log"; else
	fail "the zombie's hit is in the hits log" "$(cat "$LOG" "$NS_DIR/w.err" 2>&1)"; fi
is "$(stat -c '%a %U %G' "$LOG" "$(dirname "$LOG")" | tr '\n' ' ')" "640 root root 750 root root " \
	"hits log 0640 and its folder 0750, root's, under the unit's UMask"
# metrics_interval = 1: rewritten within 5 s (bounded)
if wait_until 5 grep -q 'smtpguard_rule_packets_total{zone="wlan"' "$PROM"; then ok "confined watch writes metrics_file with the rule counters"; else
	fail "confined watch writes metrics_file with the rule counters" "$(cat "$PROM" "$NS_DIR/w.err" 2>&1)"; fi

# ---- the shipped logrotate file, for this log, run by logrotate in the middle of a flood
sed "s|^/var/log/smtpguard/hits.log |$LOG |" conf/smtpguard.logrotate >"$NS_DIR/logrotate.conf"
rotate() { logrotate -f -s "$NS_DIR/logrotate.state" "$NS_DIR/logrotate.conf" 2>&1; }
# monitor mode: the flood's connections are refused at once by the WAN host, not dropped
config monitor
sg -c "$CONF" apply >/dev/null 2>&1 || fail "apply monitor"
before_pkts=$(nflog_packets)
before=$(($(hit_lines "$LOG") + $(lost_sum "$LOG")))
# the flood: 3000 attempts, held halfway until the rotation below
hit_flood 3000 "$LOG.1"
wait_until 10 sh -c '[ "$(grep -c . "$1")" -gt 300 ]' sh "$LOG" || fail "the flood reaches the hits log"
if out=$(rotate) && [ -f "$LOG.1" ]; then ok "logrotate rotates the hits log with the shipped file"; else
	fail "logrotate rotates the hits log with the shipped file" "$out"; fi
wait $flood
logged=$(($(nflog_packets) - before_pkts))
total() { echo $(($(hit_lines "$LOG.1" "$LOG") + $(lost_sum "$LOG.1" "$LOG") - before)); }
# every packet logged is written or counted lost (bounded: 10 s)
n=0
while [ "$(total)" -lt "$logged" ] && [ $n -lt 100 ]; do n=$((n + 1)); sleep 0.1; done
if [ "$logged" -gt 500 ] && [ "$(total)" = "$logged" ] && [ -s "$LOG" ]; then
	ok "logrotate mid-flood: $logged logged by the kernel = lines of hits.log.1 and hits.log + lost"
else
	fail "logrotate mid-flood: lines + lost = the kernel's count" "kernel $logged, recorded $(total)" "$(cat "$NS_DIR/w.err")"
fi
is "$(stat -c '%a %U %G' "$LOG")" "640 root root" "the new hits log: 0640 root root"

# ---- a second rotation compresses the first (delaycompress) and report reads all three
wlan socat -T1 /dev/null "TCP4:203.0.113.25:25,connect-timeout=0.5" >/dev/null 2>&1
# counted once watch has recorded all the kernel logged (bounded: 5 s)
recorded() { [ "$(total)" = "$(($(nflog_packets) - before_pkts))" ]; }
wait_until 5 recorded
lines=$(hit_lines "$LOG")
rotate >/dev/null
if [ -f "$LOG.2.gz" ] && [ "$(zcat "$LOG.2.gz" | grep -c '"src":"192.0.2.66"')" -gt 0 ] && [ "$(hit_lines "$LOG.1")" = "$lines" ]; then
	ok "second rotation: hits.log.2.gz compressed, hits.log.1 plain"
else
	fail "second rotation: hits.log.2.gz compressed, hits.log.1 plain" "$(ls -l "$NS_DIR/log")"
fi
out=$(sg -c "$CONF" report --date "$(date +%F)" "$LOG" "$LOG.1" "$LOG.2.gz" 2>&1)
case $out in
*"SRC=192.0.2.66 - DST=203.0.113.25"*"SRC=192.0.2.66 - DST=198.51.100.2"*) ok "report reads the rotated hits logs" ;;
*"SRC=192.0.2.66 - DST=198.51.100.2"*"SRC=192.0.2.66 - DST=203.0.113.25"*) ok "report reads the rotated hits logs" ;;
*) fail "report reads the rotated hits logs" "$out" ;;
esac

kill "$(cat "$NS_DIR/watch.pid")"
wait "$(cat "$NS_DIR/watch.pid")"
is "$?" 0 "confined watch stops on SIGTERM with exit 0"
rm -f "$NS_DIR/watch.pid"
sg -c "$CONF" remove >/dev/null 2>&1
done_testing
