#!/bin/sh
# deb.sh - `make deb` builds the Debian package: the files it holds, the
# config as a 0600 conffile, the hits log's logrotate file, units (smtpguard,
# smtpguard-watch) that are neither enabled nor started on install but
# stopped on removal, no lintian errors, a binary that runs,
# dependencies apt can resolve; installed, reinstalled over an edited
# config, removed and purged in a throwaway overlay, and the packaged
# unit's ExecStart applies rules in a test gateway (root).  Installs the
# packaging tools when they are missing and we are root; without them it
# fails saying so.
. tests/lib/tap.sh
TMP=$(mktemp -d "${TMPDIR:-/tmp}/sg-deb.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
VERSION=$(cat VERSION)

installed() { dpkg-query -W -f '${Status}\n' "$1" 2>/dev/null | grep -q '^install ok installed$'; }
missing=
for p in build-essential debhelper lintian dpkg-dev; do
	installed "$p" || missing="$missing $p"
done
if [ -n "$missing" ] && [ "$(id -u)" = 0 ]; then
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $missing \
		</dev/null >"$TMP/apt.log" 2>&1 || { apt-get update -q >/dev/null 2>&1 &&
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $missing \
			</dev/null >"$TMP/apt.log" 2>&1; }
	missing=
	for p in build-essential debhelper lintian dpkg-dev; do
		installed "$p" || missing="$missing $p"
	done
fi
if [ -n "$missing" ]; then
	fail "Debian packaging tools" "not run: missing$missing (apt-get install$missing as root)"
	done_testing
	exit 1
fi

if make --no-print-directory deb DEB_DIR="$TMP/deb" >"$TMP/build.log" 2>&1; then
	ok "make deb"
else
	fail "make deb" "$(tail -30 "$TMP/build.log")"
fi
DEB=$TMP/deb/smtpguard_${VERSION}_$(dpkg --print-architecture).deb
if [ ! -f "$DEB" ]; then
	fail "the package $(basename "$DEB") was built" "$(ls -l "$TMP/deb" 2>&1)"
	done_testing
	exit 1
fi
ok "the package $(basename "$DEB") was built"

contents=$(dpkg-deb -c "$DEB" | awk '{ print $1, $6 }')
for f in ./usr/sbin/smtpguard ./usr/sbin/smtpguard-console ./usr/share/man/man8/smtpguard.8.gz ./usr/share/man/man5/smtpguard.conf.5.gz \
	./usr/share/bash-completion/completions/smtpguard ./lib/systemd/system/smtpguard.service \
	./lib/systemd/system/smtpguard-watch.service ./usr/share/doc/smtpguard/README.Debian; do
	if printf '%s\n' "$contents" | grep -q " $f\$"; then ok "package holds $f"; else fail "package holds $f" "$contents"; fi
done
if [ -f conf/smtpguard-report.cron ]; then
	if printf '%s\n' "$contents" | grep -q '^-rw-r--r-- ./etc/cron.d/smtpguard-report$'; then
		ok "package holds the report cron job"
	else
		fail "package holds the report cron job" "$contents"
	fi
fi
is "$(printf '%s\n' "$contents" | grep ' ./etc/logrotate.d/smtpguard$')" \
	"-rw-r--r-- ./etc/logrotate.d/smtpguard" "package holds the hits log's logrotate file, mode 0644"
is "$(printf '%s\n' "$contents" | grep ' ./etc/smtpguard/smtpguard.conf$')" \
	"-rw------- ./etc/smtpguard/smtpguard.conf" "package holds the config, mode 0600"

dpkg-deb -e "$DEB" "$TMP/control"
check "the config is a conffile" grep -qx /etc/smtpguard/smtpguard.conf "$TMP/control/conffiles"
check "the logrotate file is a conffile" grep -qx /etc/logrotate.d/smtpguard "$TMP/control/conffiles"
# the binary loads these only for the nftables backend and the NFLOG reader: dpkg-shlibdeps
# cannot see them
for p in libnftables1 libnftnl11 libmnl0 libnetfilter-log1; do
	case ", $(dpkg-deb -f "$DEB" Depends), " in
	*", $p"[,\ ]*) ok "the package depends on $p, which the binary loads when needed" ;;
	*) fail "the package depends on $p, which the binary loads when needed" "$(dpkg-deb -f "$DEB" Depends)" ;;
	esac
done
# An enable is only allowed inside the "if ... was-enabled" block (re-enabling on upgrade).
if grep -q 'deb-systemd-invoke' "$TMP/control/postinst" || ! awk '
	/was-enabled/ { guard = NR }
	/deb-systemd-helper enable/ && (!guard || NR - guard > 3) { bad = 1 }
	END { exit bad }' "$TMP/control/postinst"; then
	fail "postinst neither starts nor enables the unit" "$(cat "$TMP/control/postinst")"
else
	ok "postinst neither starts nor enables the unit"
fi
check "postinst enables only a unit the admin had enabled" grep -q 'deb-systemd-helper --quiet was-enabled' "$TMP/control/postinst"
check "prerm stops the unit on removal" grep -q 'deb-systemd-invoke stop smtpguard.service' "$TMP/control/prerm"
check "postinst handles smtpguard-watch.service (enabled only if it was)" \
	grep -q "was-enabled 'smtpguard-watch.service'" "$TMP/control/postinst"
check "prerm stops smtpguard-watch on removal" grep -q 'deb-systemd-invoke stop smtpguard-watch.service' "$TMP/control/prerm"

dpkg-deb -x "$DEB" "$TMP/root"
is "$("$TMP/root/usr/sbin/smtpguard" --version 2>&1)" "smtpguard $VERSION" "the packaged binary runs"
is "$(grep '^ExecStart=' "$TMP/root/lib/systemd/system/smtpguard.service")" "ExecStart=/usr/sbin/smtpguard apply" \
	"the packaged unit runs /usr/sbin/smtpguard"
is "$(grep '^ExecStart=' "$TMP/root/lib/systemd/system/smtpguard-watch.service")" "ExecStart=/usr/sbin/smtpguard watch" \
	"the packaged watch unit runs /usr/sbin/smtpguard watch"
check "the packaged config is the example" cmp conf/smtpguard.conf "$TMP/root/etc/smtpguard/smtpguard.conf"

# The packaged unit's ExecStart, with the packaged binary, in a test gateway:
# the boot of a machine that installed the package (root: network namespaces).
if [ "$(id -u)" = 0 ]; then
	SMTPGUARD=$TMP/root/usr/sbin/smtpguard
	. tests/lib/netns.sh
	if ns_setup; then
		trap 'ns_cleanup; rm -rf "$TMP"' EXIT
		write_config "$TMP/gw.conf" "[zone wlan]
interface = eth2
mode = block"
		start=$(sed -n "s|^ExecStart=/usr/sbin/smtpguard |$SMTPGUARD |p" "$TMP/root/lib/systemd/system/smtpguard.service")
		# shellcheck disable=SC2086 # the unit's command line, split as systemd would
		if out=$(gw $start -c "$TMP/gw.conf" 2>&1) && gw iptables-legacy -w -S FORWARD | grep -q SMTPGUARD; then
			ok "the packaged unit's ExecStart applies the rules in a test gateway"
		else
			fail "the packaged unit's ExecStart applies the rules in a test gateway" "$start: $out" "$(gw_save)"
		fi
	else
		fail "test gateway for the packaged binary"
	fi
else
	diag "the packaged binary was not run in a test gateway: needs root; not counted as passed"
fi

lint=$(lintian "$DEB" 2>&1 | grep -v '^running with root privileges')
errors=$(printf '%s\n' "$lint" | grep '^E:')
is "$errors" "" "lintian reports no errors"
[ -n "$lint" ] && diag "lintian: $lint"

if out=$(apt-get install -s "$DEB" 2>&1); then
	ok "apt can resolve the package's dependencies (apt-get install -s)"
else
	fail "apt can resolve the package's dependencies (apt-get install -s)" "$out"
fi
# --- install, reinstall over an edited config, remove and purge, in a throwaway
# overlay of /etc, /usr and /var in a mount namespace of our own: this
# machine's files and dpkg database are never touched.
if [ "$(id -u)" != 0 ]; then
	diag "install not run: it needs root (a private mount namespace); not counted as passed"
else
	mkdir "$TMP/ov"
	host_before=$(dpkg-query -W -f '${Status} ${Version}' smtpguard 2>&1)
	unshare --mount --propagation private sh -c '
		T=$1 DEB=$2
		mount -t tmpfs tmpfs "$T" || exit 1
		for d in etc usr var; do
			mkdir -p "$T/$d.up" "$T/$d.work"
			mount -t overlay overlay -o "lowerdir=/$d,upperdir=$T/$d.up,workdir=$T/$d.work" "/$d" || exit 1
		done
		echo "overlay ok"
		dpkg -i "$DEB" >/dev/null 2>&1 && echo "install ok"
		echo "version $(smtpguard --version 2>&1)"
		echo "mode $(stat -c %a /etc/smtpguard/smtpguard.conf)"
		echo "enabled $(find /etc/systemd/system -name smtpguard.service 2>/dev/null | wc -l)"
		echo "watch enabled $(find /etc/systemd/system -name smtpguard-watch.service 2>/dev/null | wc -l)"
		echo "logrotate $(stat -c %a /etc/logrotate.d/smtpguard)"
		echo "; edited" >>/etc/smtpguard/smtpguard.conf
		dpkg -i --force-confold "$DEB" >/dev/null 2>&1 && echo "reinstall ok"
		echo "kept $(grep -c "^; edited$" /etc/smtpguard/smtpguard.conf)"
		dpkg -r smtpguard >/dev/null 2>&1 && echo "remove ok"
		echo "after remove $(test -e /usr/sbin/smtpguard && echo binary) $(test -e /etc/smtpguard/smtpguard.conf && echo config)"
		dpkg -P smtpguard >/dev/null 2>&1 && echo "purge ok"
		echo "after purge $(test -e /etc/smtpguard && echo config-dir)"
	' sh "$TMP/ov" "$DEB" >"$TMP/install.log" 2>&1
	log=$(cat "$TMP/install.log")
	line() { printf '%s\n' "$log" | grep -x "$1" >/dev/null; }
	if line "overlay ok"; then
		for want in "install ok" "version smtpguard $VERSION" "mode 600" "enabled 0" "watch enabled 0" "logrotate 644" "reinstall ok" "kept 1" \
			"remove ok" "after remove  config" "purge ok" "after purge "; do
			if line "$want"; then ok "dpkg in an overlay: $want"; else fail "dpkg in an overlay: $want" "$log"; fi
		done
	else
		fail "a throwaway overlay of /etc /usr /var to install into" "$log"
	fi
	is "$(dpkg-query -W -f '${Status} ${Version}' smtpguard 2>&1)" "$host_before" \
		"this machine's dpkg database is as before the test"
fi

done_testing
