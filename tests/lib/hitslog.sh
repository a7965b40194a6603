# hitslog.sh - counting in the hits log of `smtpguard watch` against the
# kernel, for namespace tests (source after tests/lib/netns.sh).

# lines of the zombie (192.0.2.66) in the hits logs FILE...
hit_lines() { cat "$@" 2>/dev/null | grep -c '"src":"192.0.2.66"'; }
# the sum of the {"lost":N} lines of FILE...
lost_sum() { cat "$@" 2>/dev/null | sed -n 's/.*"lost":\([0-9]*\).*/\1/p' | awk '{ s += $1 } END { print s + 0 }'; }
# packets the NFLOG rules logged: their counters, [packets:bytes] in iptables-legacy-save -c
nflog_packets() {
	gw iptables-legacy-save -c -t filter | sed -n 's/^\[\([0-9]*\):[0-9]*\] -A SMTPGUARD.* -j NFLOG.*/\1/p' |
		awk '{ s += $1 } END { print s + 0 }'
}
# In the background (its pid in $flood): N connection attempts from the zombie to the WAN
# host's port 25, refused at once (bash connects without forking).  After the first half it
# holds until FILE exists (at most 10 s), so that what makes FILE (a rename, a rotation) falls
# inside the flood and hits always follow it, however fast watch drains the first half.
hit_flood() { # hit_flood N FILE
	wlan bash -c 'for i in $(seq "$1"); do
		if [ "$i" = $(($1 / 2 + 1)) ]; then
			n=0; while [ ! -e "$2" ] && [ $n -lt 100 ]; do n=$((n + 1)); sleep 0.1; done
		fi
		: 3<>/dev/tcp/198.51.100.2/25
	done' bash "$1" "$2" 2>/dev/null &
	# shellcheck disable=SC2034 # the caller waits for it
	flood=$!
}
