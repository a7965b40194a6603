#!/bin/sh
# install.sh - `make install` into a DESTDIR and the tree it leaves; the
# man pages render without warnings and describe every command, option,
# config key and exit code; the systemd unit verifies; the bash
# completion completes commands, options and banned hosts of the config's
# zones.  Rootless, except that groff, man and systemd-analyze are
# installed when missing and we are root.
. tests/lib/tap.sh
TMP=$(mktemp -d "${TMPDIR:-/tmp}/sg-install.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
SG=${SMTPGUARD:-./smtpguard}
VERSION=$(cat VERSION)

# The tools the checks need (Debian packages): installed when missing and we are root.
tools="groff:groff-base man:man-db systemd-analyze:systemd"
missing=
for t in $tools; do
	command -v "${t%%:*}" >/dev/null 2>&1 || missing="$missing ${t#*:}"
done
if [ -n "$missing" ] && [ "$(id -u)" = 0 ]; then
	for _ in 1 2; do
		# shellcheck disable=SC2086
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $missing \
			</dev/null >"$TMP/apt.log" 2>&1 && break
		apt-get update -q >/dev/null 2>&1
	done
fi
for t in $tools; do
	command -v "${t%%:*}" >/dev/null 2>&1 ||
		fail "${t%%:*} is available" "not run: the checks that need it fail; apt-get install ${t#*:} as root"
done

if [ ! -x "$SG" ]; then
	fail "the binary $SG is built (make smtpguard)"
	done_testing
	exit 1
fi

# --- make install into a DESTDIR
D=$TMP/dest
if out=$(make --no-print-directory -o smtpguard install DESTDIR="$D" PREFIX=/usr/local 2>&1); then
	ok "make install DESTDIR=... PREFIX=/usr/local"
else
	fail "make install DESTDIR=... PREFIX=/usr/local" "$out"
fi

mode_is() { # mode_is FILE OCTAL
	if [ -f "$D$1" ]; then
		is "$(stat -c %a "$D$1")" "$2" "installed $1 mode $2"
	else
		fail "installed $1" "missing from $D"
	fi
}
mode_is /usr/local/sbin/smtpguard 755
mode_is /usr/local/sbin/smtpguard-console 755
mode_is /usr/local/share/man/man8/smtpguard.8 644
is "$(readlink "$D/usr/local/share/man/man8/smtpguard-console.8")" smtpguard.8 "smtpguard-console(8) is smtpguard(8)"
mode_is /usr/local/share/man/man5/smtpguard.conf.5 644
mode_is /usr/local/share/bash-completion/completions/smtpguard 644
mode_is /usr/local/lib/systemd/system/smtpguard.service 644
mode_is /usr/local/lib/systemd/system/smtpguard-watch.service 644
mode_is /etc/logrotate.d/smtpguard 644
mode_is /etc/smtpguard/smtpguard.conf 600
check "installed config is the example" cmp conf/smtpguard.conf "$D/etc/smtpguard/smtpguard.conf"
is "$("$D/usr/local/sbin/smtpguard" --version)" "smtpguard $VERSION" "installed binary runs"
# the installed smtpguard starts the installed console: the console's own answer without a terminal
is "$("$D/usr/local/sbin/smtpguard" -c "$D/etc/smtpguard/smtpguard.conf" console </dev/null 2>&1 >/dev/null; echo "exit $?")" \
	"smtpguard: the console needs a terminal; use status, hits or bans in scripts
exit 2" "installed smtpguard starts the installed console"
is "$(grep -E '^Exec(Start|Reload|Stop)=' "$D/usr/local/lib/systemd/system/smtpguard.service" | tr '\n' ' ')" \
	"ExecStart=/usr/local/sbin/smtpguard apply ExecReload=/usr/local/sbin/smtpguard apply ExecStop=/usr/local/sbin/smtpguard remove " \
	"unit runs the binary of PREFIX"
is "$(grep -E '^Exec(Start|Reload)=' "$D/usr/local/lib/systemd/system/smtpguard-watch.service" | tr '\n' ' ')" \
	"ExecStart=/usr/local/sbin/smtpguard watch ExecReload=/bin/kill -HUP \$MAINPID " \
	"watch unit runs the binary of PREFIX"
if [ -f conf/smtpguard-report.cron ]; then
	mode_is /etc/cron.d/smtpguard-report 644
	cron=$D/etc/cron.d/smtpguard-report
	if grep -q '/usr/local/sbin/smtpguard ' "$cron" 2>/dev/null ||
		{ grep -q '^PATH=\(.*:\)\{0,1\}/usr/local/sbin\(:\|$\)' "$cron" && ! grep -q '/usr/sbin/smtpguard' "$cron"; }; then
		ok "cron job runs the binary of PREFIX"
	else
		fail "cron job runs the binary of PREFIX" "$(cat "$cron" 2>&1)"
	fi
fi

# --- an existing config is never overwritten
echo "; edited by the admin" >>"$D/etc/smtpguard/smtpguard.conf"
chmod 640 "$D/etc/smtpguard/smtpguard.conf"
make --no-print-directory -o smtpguard install DESTDIR="$D" PREFIX=/usr/local >/dev/null 2>&1
check "second install keeps the edited config" grep -q '^; edited by the admin$' "$D/etc/smtpguard/smtpguard.conf"
is "$(stat -c %a "$D/etc/smtpguard/smtpguard.conf")" 640 "second install keeps the config's mode"

# --- make uninstall removes what install put there, not the config
if out=$(make --no-print-directory -o smtpguard uninstall DESTDIR="$D" PREFIX=/usr/local 2>&1); then
	left=$(find "$D" -type f ! -path "$D/etc/smtpguard/smtpguard.conf")
	is "$left" "" "make uninstall removes every installed file"
else
	fail "make uninstall" "$out"
fi
check "make uninstall keeps the config" test -f "$D/etc/smtpguard/smtpguard.conf"

# --- man pages render without warnings
for page in doc/smtpguard.8 doc/smtpguard.conf.5; do
	warn=$(groff -ww -man -z "$page" 2>&1)
	is "$warn" "" "groff -ww -man: $page has no warnings"
	warn=$(MANWIDTH=80 man --warnings -l "$page" 2>&1 >/dev/null)
	is "$warn" "" "man --warnings -l: $page has no warnings"
	text=$(MANWIDTH=80 man -l "$page" 2>/dev/null )
	case $text in
	*NAME*smtpguard*SEE\ ALSO*) ok "man -l renders $page" ;;
	*) fail "man -l renders $page" "$text" ;;
	esac
	check "$page carries version $VERSION" grep -q "^\\.TH .*\"smtpguard $VERSION\"" "$page"
done

# --- smtpguard(8) describes every command and option of --help, and every exit code
man8=$(MANWIDTH=200 man -l doc/smtpguard.8 2>/dev/null )
help=$("$SG" --help)
commands=$(printf '%s\n' "$help" | sed -n '/^Commands:/,/^$/s/^  \([a-z]*\) .*/\1/p')
[ -n "$commands" ] || fail "--help lists the commands" "$help"
missing=
for c in $commands; do
	printf '%s\n' "$man8" | grep -qE "^ {7}$c( |$)" || missing="$missing $c"
done
is "$missing" "" "smtpguard(8) has an entry for every command of --help"
missing=
for o in $(printf '%s\n' "$help" | grep -oE '(^|[ [|,])--?[a-zA-Z][a-z-]*' | sed 's/^[ [|,]//' | sort -u); do
	printf '%s\n' "$man8" | grep -qe "$o" || missing="$missing $o"
done
is "$missing" "" "smtpguard(8) names every option of --help"
missing=
for code in 0 1 2 3; do
	printf '%s\n' "$man8" | sed -n '/^EXIT STATUS/,/^[A-Z]/p' | grep -qE "^ {7}$code( |$)" || missing="$missing $code"
done
is "$missing" "" "smtpguard(8) lists exit codes 0 1 2 3"

# --- smtpguard(8) describes every letter key of the console's key table
keys=$(sed -n "s/.*\.key = '\([a-zA-Z]\)'.*/\1/p" tui/console_keys.c 2>/dev/null)
if [ -n "$keys" ]; then
	section=$(printf '%s\n' "$man8" | sed -n '/^ *Console keys$/,/^[A-Z]/p' | grep -E '^ {7}[^ ]')
	missing=
	for k in $keys; do
		printf '%s\n' "$section" | grep -qE "^ {7}(.*, )?$k(,| |$)" || missing="$missing $k"
	done
	is "$missing" "" "smtpguard(8) describes every letter key of tui/console_keys.c"
else
	fail "tui/console_keys.c has a key table to compare with"
fi

# --- smtpguard.conf(5) describes every key of the example config
man5=$(MANWIDTH=200 man -l doc/smtpguard.conf.5 2>/dev/null )
keys=$(sed -n 's/^[;#]\{0,1\}\([a-z_]\{1,\}\) *=.*/\1/p' conf/smtpguard.conf | sort -u)
[ -n "$keys" ] || fail "conf/smtpguard.conf has keys"
missing=
for k in $keys; do
	printf '%s\n' "$man5" | grep -qE "^ {7}$k = " || missing="$missing $k"
done
is "$missing" "" "smtpguard.conf(5) has an entry for every key of conf/smtpguard.conf"

# --- the unit verifies (installed for real paths under $TMP so its commands exist)
P=$TMP/prefix
make --no-print-directory -o smtpguard install PREFIX="$P" SYSCONFDIR="$P/etc" >/dev/null 2>&1
for u in smtpguard.service smtpguard-watch.service; do
	if ! command -v systemd-analyze >/dev/null 2>&1; then
		fail "systemd-analyze verify $u" "not run: systemd-analyze is missing (apt-get install systemd as root)"
	elif out=$(MANPATH="$P/share/man" SYSTEMD_LOG_LEVEL=notice \
		systemd-analyze verify "$P/lib/systemd/system/$u" 2>&1) && [ -z "$out" ]; then
		ok "systemd-analyze verify $u is clean"
	else
		fail "systemd-analyze verify $u is clean" "$out"
	fi
done
unit=conf/smtpguard.service
for want in Type=oneshot RemainAfterExit=yes DefaultDependencies=no Wants=network-pre.target \
	'Before=network-pre.target' Conflicts=shutdown.target 'After=local-fs.target' \
	'CapabilityBoundingSet=CAP_NET_ADMIN CAP_NET_RAW' ProtectSystem=strict ReadWritePaths=/run \
	NoNewPrivileges=yes; do
	check "unit has $want" grep -qE "^$want( |\$)" "$unit"
done
# watch: a daemon restarted on failure, reloaded by SIGHUP (reopens the hits log);
# its sandbox lets it write its log, lock and metrics, read /dev/kmsg and run set-id MTAs.
unit=conf/smtpguard-watch.service
for want in Type=simple Restart=on-failure 'ExecReload=/bin/kill -HUP \$MAINPID' LogsDirectory=smtpguard \
	LogsDirectoryMode=0750 RuntimeDirectory=smtpguard RuntimeDirectoryPreserve=yes ProtectSystem=strict \
	'ReadWritePaths=.*-/var/lib/prometheus/node-exporter' \
	'CapabilityBoundingSet=CAP_NET_ADMIN CAP_NET_RAW CAP_SYSLOG' UMask=0027; do
	check "watch unit has $want" grep -qE "^$want( |\$)" "$unit"
done
for unwanted in NoNewPrivileges=yes PrivateDevices=yes ProtectKernelLogs=yes MemoryDenyWriteExecute=yes; do
	if grep -qE "^$unwanted" "$unit"; then fail "watch unit has no $unwanted" "$(grep -n "^$unwanted" "$unit")"; else
		ok "watch unit has no $unwanted"; fi
done

# --- bash completion
C="$D/usr/local/share/bash-completion/completions/smtpguard"
make --no-print-directory -o smtpguard install DESTDIR="$D" PREFIX=/usr/local >/dev/null 2>&1
cat >"$TMP/zones.conf" <<'EOF'
[general]
wan = eth0
[zone lan]
interface = eth1
  [ zone  wlan ]   ; Wi-Fi
interface = eth2
;[zone old]
EOF
mkdir "$TMP/recent"
printf 'src=192.0.2.66 ttl: 64 last_seen: 4295123 oldest_pkt: 1 4295123\n' >"$TMP/recent/SMTPGUARD-wlan"
printf 'src=192.0.2.2 ttl: 64 last_seen: 4295123 oldest_pkt: 1 4295123\n' >"$TMP/recent/SMTPGUARD-lan"
printf 'src=192.0.2.99 ttl: 64 last_seen: 4295123 oldest_pkt: 1 4295123\n' >"$TMP/recent/SMTPGUARD-old"
printf 'src=192.0.2.98 ttl: 64 last_seen: 4295123 oldest_pkt: 1 4295123\n' >"$TMP/recent/other"
: >"$TMP/report-a.log"

complete_words() { # complete_words WORD... (the last one is completed)
	bash -c '
		_smtpguard_recent_dir=$1; shift
		. "$0" || exit 9
		cd "$(dirname "$_smtpguard_recent_dir")" || exit 9
		COMP_WORDS=("$@")
		COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
		COMPREPLY=()
		_smtpguard
		for w in "${COMPREPLY[@]}"; do echo "$w"; done | sort | tr "\n" " "' "$C" "$TMP/recent" "$@"
}
is "$(complete_words smtpguard "")" \
	"--config --help --version -V -c -d -h apply bans confirm console export hits metrics remove report status unban watch " \
	"completion: commands and global options"
missing=
for c in $commands; do
	case " $(complete_words smtpguard "") " in *" $c "*) ;; *) missing="$missing $c" ;; esac
done
is "$missing" "" "completion offers every command of --help"
is "$(complete_words smtpguard re)" "remove report " "completion: command prefix"
is "$(complete_words smtpguard -c x.conf apply --)" "--check --config --confirm --dry-run " "completion: apply options after -c"
is "$(complete_words smtpguard export --format "")" "nft restore sh " "completion: export --format values"
is "$(complete_words smtpguard report --format "")" "csv json text " "completion: report --format values"
is "$(complete_words smtpguard export --family "")" "4 6 " "completion: export --family values"
is "$(complete_words smtpguard export --family 6 --f)" "--family --format " "completion: export options after --family 6"
is "$(complete_words smtpguard report --format = j)" "json " "completion: --format=VALUE"
is "$(complete_words smtpguard report report-)" "report-a.log " "completion: report takes log files"
is "$(complete_words smtpguard status "")" "--config --json -c " "completion: status options"
is "$(complete_words smtpguard -c "$TMP/zones.conf" unban "")" "192.0.2.2 192.0.2.66 " \
	"completion: unban offers the banned hosts of the config's zones only"
is "$(complete_words smtpguard unban --config="$TMP/zones.conf" 192.0.2.6)" "192.0.2.66 " \
	"completion: unban with --config=FILE after the command"
is "$(complete_words smtpguard -c "$TMP/none.conf" unban "")" "" "completion: unban with a missing config offers nothing"
missing=
for f in tui/cmd_*.c; do
	cmd=${f#tui/cmd_}
	cmd=${cmd%.c}
	for o in $(sed -n 's/^[[:space:]]*{ "\([a-z][a-z-]*\)", [a-z_]*_argument,.*/--\1/p' "$f"); do
		case " $(complete_words smtpguard "$cmd" --) " in *" $o "*) ;; *) missing="$missing $cmd:$o" ;; esac
		printf '%s\n' "$man8" | grep -qe "$o" || missing="$missing $cmd:$o(man)"
	done
done
is "$missing" "" "completion and smtpguard(8) know every long option of tui/cmd_*.c"
is "$(bash -c '. "$0"; _smtpguard_zones "$1" | tr "\n" " "' "$C" "$TMP/zones.conf")" "lan wlan " \
	"completion: zone names from the [zone NAME] headers"
is "$(bash -c '. "$0"; complete -p smtpguard' "$C" 2>&1)" "complete -F _smtpguard smtpguard" \
	"completion is registered for smtpguard"

done_testing
