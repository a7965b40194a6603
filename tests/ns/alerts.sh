#!/bin/sh
# alerts.sh - `smtpguard watch` alerts on the real kernel: a WLAN host past
# alert_threshold (3/1min) is mailed through a real sendmail interface
# (msmtp's, configured by an msmtprc in the test's HOME, named by
# SMTPGUARD_SENDMAIL so the machine's own MTA is neither used nor replaced)
# over SMTP to the sink in the WAN namespace, which saves the mail;
# the mail holds the facts and the quarantine line; alert_command gets
# the JSON on stdin and SMTPGUARD_* variables; 20 offenders within one
# alert_interval give one alert and one digest, not 20 mails.
. tests/lib/tap.sh
. tests/lib/netns.sh
. tests/lib/watchcmd.sh
ns_require_root
SMTPGUARD_SENDMAIL=$(command -v msmtp) ||
	{ echo "1..0 # SKIP needs msmtp (sh scripts/deps.sh test)"; exit 0; }
export SMTPGUARD_SENDMAIL
MAILS="$NS_DIR/mails"
mkdir -p "$MAILS"
export SINK_MAILDIR="$MAILS"
ns_setup || { fail "topology"; done_testing; exit 1; }
ns_start_servers || { fail "SMTP servers"; done_testing; exit 1; }
trap 'ns_cleanup' EXIT
CONF="$NS_DIR/smtpguard.conf"
LOG="$NS_DIR/log/hits.log"
INTERVAL=10

# msmtp reads $HOME/.msmtprc (0600); watch runs with HOME=$NS_DIR
cat >"$NS_DIR/.msmtprc" <<RC
defaults
auth off
tls off
account default
host 203.0.113.25
port 25
from smtpguard@gw.example.test
RC
chmod 600 "$NS_DIR/.msmtprc"
# the alert command: stdin and the SMTPGUARD_* variables into numbered files
alert_cmd_script "$NS_DIR/cmd.sh"

write_config "$CONF" "[zone wlan]
interface = eth2
mode = monitor
alert_threshold = 3/1min"
sed -i "s|^log_target = log|log_target = nflog\nlog_limit = 10000/second\nlog_burst = 10000\nhits_log = $LOG\nalert_mail = admin@example.test\nalert_command = $NS_DIR/cmd.sh\nalert_interval = ${INTERVAL}s|" "$CONF"
if out=$(sg -c "$CONF" apply 2>&1); then ok "apply: wlan monitored over NFLOG"; else fail "apply" "$out"; fi
(HOME="$NS_DIR" exec ip netns exec "$NS_GW" "$SMTPGUARD" -c "$CONF" watch 2>"$NS_DIR/watch.err") &
echo $! >"$NS_DIR/watch.pid"
# bounded: 5 s
if wait_until 5 grep -q "recording hits" "$NS_DIR/watch.err"; then ok "watch runs"; else fail "watch runs" "$(cat "$NS_DIR/watch.err")"; fi

mails() { ls "$MAILS"/*.mail 2>/dev/null | wc -l; }
attempt() { # attempt [SOURCE]: one connection to the WAN host's closed port 25 (refused at once)
	wlan socat -T1 /dev/null "TCP4:198.51.100.2:25,connect-timeout=1${1:+,bind=$1}" >/dev/null 2>&1
}

# ---- one host past 3/1min: one mail with the facts, and the command
for i in 1 2 3; do attempt; done
if [ "$(mails)" = 0 ] && [ ! -e "$NS_DIR/cmd.0.json" ] && wait_until 5 sh -c '[ "$(grep -c "\"src\":\"192.0.2.66\"" "$1")" -ge 3 ]' sh "$LOG"; then
	ok "3 attempts (not past 3/1min): recorded, no alert"
else
	fail "3 attempts: no alert" "$(ls "$MAILS")"
fi
attempt
# the mail and the command's files (bounded: 15 s)
if wait_until 15 sh -c '[ "$(ls "$1"/*.mail 2>/dev/null | wc -l)" -ge 1 ] && [ -e "$2" ]' sh "$MAILS" "$NS_DIR/cmd.0.json"; then
	ok "the 4th attempt: a mail reached the SMTP sink and the command ran"
else
	fail "the 4th attempt: a mail and the command" "$(cat "$NS_DIR/watch.err")"
fi
mail=$(cat "$MAILS"/*.mail 2>/dev/null)
attempts=$(printf '%s\n' "$mail" | sed -n 's/^attempts: *\([0-9]*\)$/\1/p')
case $mail in
*"To: admin@example.test"*"Subject: smtpguard: 192.0.2.66 in zone wlan is past its alert threshold"*"host:         192.0.2.66"*"zone:         wlan"*"mode:         monitor"*"destinations: 1"*"add the line \"quarantine = 192.0.2.66\" to [zone wlan] of $CONF"*"smtpguard -c $CONF apply"*)
	if [ "${attempts:-0}" -ge 4 ]; then ok "the mail: host, zone, mode, $attempts attempts, destinations, the quarantine line"; else
		fail "the mail counts the attempts" "$mail"; fi ;;
*) fail "the mail holds the facts" "$mail" ;;
esac
if grep -q '"kind":"alert".*"host":"192.0.2.66".*"zone":"wlan"' "$NS_DIR/cmd.0.json" &&
	grep -qx 'SMTPGUARD_HOST=192.0.2.66' "$NS_DIR/cmd.0.env" && grep -qx 'SMTPGUARD_ZONE=wlan' "$NS_DIR/cmd.0.env" &&
	grep -qx 'SMTPGUARD_KIND=alert' "$NS_DIR/cmd.0.env"; then
	ok "alert_command: JSON on stdin, SMTPGUARD_HOST, _ZONE, _KIND in the environment"
else
	fail "alert_command's input and environment" "$(cat "$NS_DIR"/cmd.0.*)"
fi
if grep -q "sendmail: alert about 192.0.2.66 in zone wlan: accepted (exit 0)" "$NS_DIR/watch.err"; then
	ok "watch says sendmail accepted it"
else
	fail "watch says sendmail accepted it" "$(cat "$NS_DIR/watch.err")"
fi
for i in 1 2 3 4; do attempt; done
# ---- 20 offenders once the interval of that alert is over (the clock passing it; bounded: 15 s)
end=$(($(stat -c %Y "$NS_DIR/cmd.0.json") + INTERVAL + 1))
wait_until 15 sh -c '[ "$(date +%s)" -ge "$1" ]' sh "$end"
before=$(mails)
for i in $(seq 80 99); do wlan ip addr add "192.0.2.$i/26" dev eth0; done
senders=
for i in $(seq 80 99); do
	(for k in 1 2 3 4; do attempt "192.0.2.$i"; done) &
	senders="$senders $!"
done
# shellcheck disable=SC2086
wait $senders
# the digest at the end of the new interval (bounded: 30 s)
if wait_until 30 sh -c 'grep -l "^Subject: smtpguard: digest" "$1"/*.mail >/dev/null 2>&1' sh "$MAILS"; then
	ok "a digest arrived"
else
	fail "a digest arrived" "$(cat "$NS_DIR/watch.err")"
fi
digest=$(grep -l "^Subject: smtpguard: digest" "$MAILS"/*.mail | head -1)
hosts=$(grep -c '^host: ' "$digest")
new=$(($(mails) - before))
if [ "$new" = 2 ] && [ "$hosts" = 19 ] && grep -q "^Subject: smtpguard: digest, 19 more hosts" "$digest"; then
	ok "20 offenders: one alert and one digest of the other 19, not 20 mails"
else
	fail "20 offenders: one alert and one digest" "new mails $new, hosts in the digest $hosts" "$(cat "$NS_DIR/watch.err")"
fi
if grep -qx 'SMTPGUARD_KIND=digest' "$NS_DIR"/cmd.*.env && grep -qx 'SMTPGUARD_OFFENDERS=19' "$NS_DIR"/cmd.*.env; then
	ok "alert_command got the digest: SMTPGUARD_KIND=digest, SMTPGUARD_OFFENDERS=19"
else
	fail "alert_command got the digest" "$(cat "$NS_DIR"/cmd.*.env)"
fi

watch_stop
sg -c "$CONF" remove >/dev/null 2>&1
done_testing
