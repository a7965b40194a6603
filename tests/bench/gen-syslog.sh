#!/bin/sh
# gen-syslog.sh MB DAYS - a chronological syslog of about MB megabytes on
# stdout covering the DAYS days that end yesterday: mostly other kernel
# and daemon lines, about 3% port-25 hits written as the first article's
# log output shows them (so its grep | grep | awk pipeline reads them as
# written).  Deterministic (fixed seed).  Documentation addresses only.
mb=${1:?usage: gen-syslog.sh MB DAYS}
days=${2:?usage: gen-syslog.sh MB DAYS}
labels=
d=$days
while [ "$d" -ge 1 ]; do
	labels="$labels$(LC_ALL=C date -d "$d days ago" '+%b %e')|"
	d=$((d - 1))
done
awk -v mb="$mb" -v ndays="$days" -v labels="$labels" 'BEGIN {
	srand(25)
	split(labels, day, "|")
	lines = int(mb * 1048576 / 146)
	per_day = int(lines / ndays) + 1
	for (i = 0; i < lines; i++) {
		d = int(i / per_day) + 1
		s = int((i % per_day) * 86400 / per_day)
		ts = sprintf("%s %02d:%02d:%02d", day[d], int(s / 3600), int(s / 60) % 60, s % 60)
		r = rand()
		if (r < 0.03)
			printf "%s gw kernel: Illegal port 25 > IN=eth2 OUT=eth0 SRC=192.0.2.%d DST=203.0.113.%d LEN=60 TOS=0x00 PREC=0x00 TTL=63 ID=%d DF PROTO=TCP SPT=%d DPT=25 WINDOW=5840 RES=0x00 SYN URGP=0\n", ts, 66 + int(rand() * 8), 20 + int(rand() * 40), int(rand() * 65535), 32768 + int(rand() * 28000)
		else if (r < 0.35)
			printf "%s gw kernel: [UFW BLOCK] IN=eth0 OUT= MAC=00:16:3e:00:00:01:00:16:3e:00:00:02:08:00 SRC=198.51.100.%d DST=198.51.100.1 LEN=40 TOS=0x00 PREC=0x00 TTL=245 ID=%d PROTO=TCP SPT=%d DPT=%d WINDOW=1024 RES=0x00 SYN URGP=0\n", ts, int(rand() * 250) + 3, int(rand() * 65535), int(rand() * 65535), int(rand() * 10000)
		else if (r < 0.45)
			printf "%s gw kernel: e1000e 0000:00:19.0 eth1: NIC Link is Up 1000 Mbps Full Duplex, Flow Control: Rx/Tx\n", ts
		else if (r < 0.70)
			printf "%s gw sshd[%d]: Failed password for invalid user admin from 203.0.113.%d port %d ssh2\n", ts, 1000 + int(rand() * 30000), int(rand() * 250) + 3, 1024 + int(rand() * 60000)
		else if (r < 0.85)
			printf "%s gw dhcpd[812]: DHCPACK on 192.0.2.%d to 00:16:3e:%02x:%02x:%02x via eth1\n", ts, int(rand() * 60) + 2, int(rand() * 256), int(rand() * 256), int(rand() * 256)
		else
			printf "%s gw CRON[%d]: (root) CMD (command -v debian-sa1 > /dev/null && debian-sa1 1 1)\n", ts, 1000 + int(rand() * 30000)
	}
}'
