#!/bin/sh
# gen-nft-rules.sh N - an `nft -f` file with N foreign rules in table inet
# filter, as an administrator's nftables ruleset might hold them (the
# nftables twin of gen-rules.sh, same four rule shapes): the table is
# deleted and made again, the first 1000 rules in forward, the rest in
# regular chains acl_k of 1000 rules each that input jumps to, plus an
# empty regular chain bench (section nft adds its one-rule CLI calls
# there) and a set allowed4.  No rule matches the bench's SMTP or iperf3
# traffic (ports 10000-59999 only).  Documentation addresses only.
n=${1:?usage: gen-nft-rules.sh N}
awk -v n="$n" 'BEGIN {
	print "table inet filter"
	print "delete table inet filter"
	print "table inet filter {"
	print "\tset allowed4 {\n\t\ttype ipv4_addr\n\t\telements = { 192.0.2.200 }\n\t}"
	print "\tchain bench {\n\t}"
	for (c = 1; c * 1000 < n; c++)
		printf "\tchain acl_%d {\n\t}\n", c
	print "\tchain input {\n\t\ttype filter hook input priority filter; policy accept;"
	for (c = 1; c * 1000 < n; c++)
		printf "\t\tjump acl_%d\n", c
	print "\t}"
	print "\tchain forward {\n\t\ttype filter hook forward priority filter; policy accept;\n\t}"
	print "\tchain output {\n\t\ttype filter hook output priority filter; policy accept;\n\t}"
	print "}"
	for (i = 0; i < n; i++) {
		chain = i < 1000 ? "forward" : sprintf("acl_%d", int(i / 1000))
		x = i % 250 + 3; y = int(i / 250) % 250 + 3; p = 10000 + i % 50000
		k = i % 4
		printf "add rule inet filter %s ", chain
		if (k == 0)
			printf "ip saddr 198.51.100.%d ip daddr 203.0.113.%d tcp dport %d counter accept\n", x, y, p
		else if (k == 1)
			printf "ip saddr 203.0.113.%d udp dport %d counter drop\n", x, p
		else if (k == 2)
			printf "ip daddr 198.51.100.%d tcp dport { %d, %d } counter reject comment \"acl %d\"\n", x, p, p + 1, i
		else
			printf "iifname \"eth1\" ip saddr 192.0.2.%d tcp dport %d ct state new counter accept\n", x % 60 + 3, p
	}
}'
