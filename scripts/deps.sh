#!/bin/sh
# deps.sh build|test|hardening - install the Debian packages smtpguard needs that are missing.
# Only apt-get, only the package names listed below; does nothing when all are there.
set -eu

build="gcc libc6-dev make pkg-config libip4tc-dev libip6tc-dev libxtables-dev libncurses-dev
	libinih-dev libnetfilter-log-dev zlib1g-dev libnftables-dev libnftnl-dev libmnl-dev"
# libio-socket-inet6-perl: swaks speaks IPv6 only with it (a Recommends, not installed here);
# gdb: confirm_fail.sh stops smtpguard between the two family commits;
# msmtp: the sendmail interface alerts.sh has watch mail through (msmtp, not msmtp-mta,
# so that no MTA of the machine is replaced);
# openssh-server/-client: tests/console/ssh.sh runs its own sshd in a test namespace (the
# machine's ssh service is kept from starting, see below); htop: its byte count is the reference;
# strace: tests/cli/nofirewall.sh watches that report, hits and export never read the firewall;
# systemd, systemd-container, debhelper, dpkg-dev: tests/ns/systemd.sh builds the .deb and boots
# this machine's system as a throwaway overlay with systemd-nspawn to run its units
test="$build iptables nftables iproute2 swaks libio-socket-inet6-perl socat tmux procps gzip ncurses-base gdb
	msmtp openssh-server openssh-client htop strace systemd systemd-container debhelper dpkg-dev"
# fuzzing (clang's libFuzzer), memcheck and static analysis: CI and `make fuzz`/`lint` only
hardening="$test clang libclang-rt-14-dev valgrind cppcheck clang-tidy"

case "${1:-build}" in
build) want=$build ;;
test) want=$test ;;
hardening) want=$hardening ;;
*) echo "deps.sh: unknown set '$1' (build, test or hardening)" >&2; exit 2 ;;
esac

missing=
for p in $want; do
	dpkg-query -W -f '${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$' ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" != 0 ]; then
	echo "deps.sh: missing Debian packages:$missing; install them as root (apt-get install$missing)" >&2
	exit 1
fi
echo "deps.sh: installing$missing"
export DEBIAN_FRONTEND=noninteractive
# The tests start their own sshd; the package's postinst would start the machine's ssh
# service (when no policy-rc.d forbids it).  Debian's unit and init script honour this file.
case " $missing " in
*" openssh-server "*)
	mkdir -p /etc/ssh
	[ -e /etc/ssh/sshd_not_to_be_run ] ||
		{ : >/etc/ssh/sshd_not_to_be_run && echo "deps.sh: created /etc/ssh/sshd_not_to_be_run: the machine's ssh service stays off"; } ;;
esac
apt-get update -q
# shellcheck disable=SC2086
apt-get install -y -q --no-install-recommends $missing
