#!/bin/sh
# gen-rules.sh N - an iptables-restore file (filter table, flushed) with N
# foreign rules, as an administrator's table might hold them: the first
# 1000 in FORWARD, the rest in user chains ACL-k of 1000 rules each that
# INPUT jumps to.  No rule matches the bench's iperf3 or SMTP traffic
# (ports 10000-59999 only), so forwarded packets walk every FORWARD rule.
# Documentation addresses only.
n=${1:?usage: gen-rules.sh N}
awk -v n="$n" 'BEGIN {
	print "*filter"
	print ":INPUT ACCEPT [0:0]"
	print ":FORWARD ACCEPT [0:0]"
	print ":OUTPUT ACCEPT [0:0]"
	for (c = 1; c * 1000 < n; c++)
		printf ":ACL-%d - [0:0]\n", c
	for (i = 0; i < n; i++) {
		chain = i < 1000 ? "FORWARD" : sprintf("ACL-%d", int(i / 1000))
		if (i >= 1000 && i % 1000 == 0)
			printf "-A INPUT -j %s\n", chain
		x = i % 250 + 3; y = int(i / 250) % 250 + 3; p = 10000 + i % 50000
		k = i % 4
		if (k == 0)
			printf "-A %s -s 198.51.100.%d/32 -d 203.0.113.%d/32 -p tcp -m tcp --dport %d -j ACCEPT\n", chain, x, y, p
		else if (k == 1)
			printf "-A %s -s 203.0.113.%d/32 -p udp -m udp --dport %d -j DROP\n", chain, x, p
		else if (k == 2)
			printf "-A %s -d 198.51.100.%d/32 -p tcp -m multiport --dports %d,%d -m comment --comment \"acl %d\" -j REJECT --reject-with icmp-port-unreachable\n", chain, x, p, p + 1, i
		else
			printf "-A %s -s 192.0.2.%d/32 -i eth1 -p tcp -m tcp --dport %d -m conntrack --ctstate NEW -j ACCEPT\n", chain, x % 60 + 3, p
	}
	print "COMMIT"
}'
