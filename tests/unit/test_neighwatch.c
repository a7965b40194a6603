/*
 * test_neighwatch.c - device watch without root: neighwatch_check()
 * against a zone's devices (a listed IP with another MAC, a listed MAC
 * with another IP, the listed pair, IPv6 link-local, other interfaces),
 * neighwatch_parse() on hand-built RTM_NEWNEIGH messages (states kept
 * and ignored), and the device alerts of core/alert.c: once per
 * (zone, IP, MAC) per interval, the mail, JSON and environment.
 */
#include <linux/neighbour.h>
#include <linux/rtnetlink.h>
#include <string.h>
#include <sys/socket.h>

#include "../tap.h"
#include "alert.h"
#include "config.h"
#include "helpers.h"
#include "neighwatch.h"

static struct config *conf(void)
{
	static const char text[] =
		"[general]\nwan = eth0\nalert_command = /bin/true\n"
		"[zone lan]\ninterface = eth1\nmode = allow\n"
		"[zone wlan]\ninterface = eth2\nmode = monitor\n"
		"devices = 00:02:2d:11:22:33 192.0.2.66, 00:02:2d:11:22:33 2001:db8:2::66, "
		"00:02:2d:44:55:66 192.0.2.67\n";
	struct error err = { 0 };
	struct config *c = config_parse(text, strlen(text), "t.conf", &err);

	if (!c)
		printf("# %s\n", err.text);
	return c;
}

static unsigned char *mac(const char *text)
{
	static unsigned char m[6];

	mac_parse(text, m, NULL);
	return m;
}

static enum neigh_change check(const struct config *c, const char *ifname, const char *addr,
			       const char *lladdr, struct neigh_finding *f)
{
	struct addr a = ip(addr);

	return neighwatch_check(c, ifname, &a, mac(lladdr), f);
}

static void test_check(const struct config *c)
{
	struct neigh_finding f;
	char text[256];

	ok(!neighwatch_wanted(&(struct config){ 0 }) && neighwatch_wanted(c),
	   "wanted only when a zone lists devices");
	ok(check(c, "eth2", "192.0.2.66", "00:02:2d:11:22:33", &f) == NEIGH_NOTHING,
	   "the listed pair as listed: nothing");
	ok(check(c, "eth2", "192.0.2.66", "00:02:2d:99:99:99", &f) == NEIGH_IP_MOVED &&
		   strcmp(f.zone, "wlan") == 0 && strcmp(f.ifname, "eth2") == 0 &&
		   f.listed.mac[5] == 0x33 && f.seen_mac[5] == 0x99,
	   "a listed IP with another MAC: ip moved, the listed pair and the seen MAC");
	neighwatch_describe(&f, text, sizeof(text));
	is_str(text, "192.0.2.66 in zone wlan seen with MAC 00:02:2d:99:99:99 on eth2, listed with "
		     "00:02:2d:11:22:33", "described by its IP");
	ok(check(c, "eth2", "192.0.2.70", "00:02:2d:44:55:66", &f) == NEIGH_MAC_MOVED,
	   "a listed MAC with another IPv4 address: mac moved");
	neighwatch_describe(&f, text, sizeof(text));
	is_str(text, "00:02:2d:44:55:66 in zone wlan seen with IP 192.0.2.70 on eth2, listed with "
		     "192.0.2.67", "described by its MAC");
	ok(check(c, "eth2", "192.0.2.67", "00:02:2d:11:22:33", &f) == NEIGH_IP_MOVED &&
		   f.listed.mac[5] == 0x66,
	   "a listed MAC on another listed IP: that IP's device is named");
	ok(check(c, "eth2", "2001:db8:2::66", "00:02:2d:11:22:33", &f) == NEIGH_NOTHING &&
		   check(c, "eth2", "2001:db8:2::66", "00:02:2d:99:99:99", &f) == NEIGH_IP_MOVED,
	   "IPv6: the listed pair as listed, and the listed IP with another MAC");
	ok(check(c, "eth2", "fe80::202:2dff:fe11:2233", "00:02:2d:11:22:33", &f) == NEIGH_NOTHING,
	   "IPv6 link-local of a listed MAC: nothing");
	ok(check(c, "eth2", "2001:db8:2::77", "00:02:2d:11:22:33", &f) == NEIGH_MAC_MOVED &&
		   f.listed.ip.family == AF_INET6,
	   "a listed MAC with another global IPv6 address: mac moved, against its IPv6 pair");
	ok(check(c, "eth2", "2001:db8:2::77", "00:02:2d:44:55:66", &f) == NEIGH_NOTHING,
	   "a MAC listed with IPv4 only, seen with IPv6: nothing (no pair of that family)");
	ok(check(c, "eth2", "192.0.2.99", "00:02:2d:99:99:99", &f) == NEIGH_NOTHING,
	   "neither listed: nothing");
	ok(check(c, "eth1", "192.0.2.66", "00:02:2d:99:99:99", &f) == NEIGH_NOTHING &&
		   check(c, "eth9", "192.0.2.66", "00:02:2d:99:99:99", &f) == NEIGH_NOTHING,
	   "on another zone's interface or no zone's: nothing");
}

/* An RTM_NEWNEIGH as the kernel sends it: ndmsg, NDA_DST, NDA_LLADDR (left out when lladdr is NULL). */
struct neigh_msg {
	struct nlmsghdr nlh;
	struct ndmsg nd;
	char attrs[64];	/* cppcheck-suppress unusedStructMember ; put_attr() writes here */
};

static void put_attr(struct neigh_msg *m, unsigned short type, const void *data, size_t n)
{
	struct rtattr *rta = (struct rtattr *)((char *)m + NLMSG_ALIGN(m->nlh.nlmsg_len));

	rta->rta_type = type;
	rta->rta_len = (unsigned short)RTA_LENGTH(n);
	memcpy(RTA_DATA(rta), data, n);
	m->nlh.nlmsg_len = NLMSG_ALIGN(m->nlh.nlmsg_len) + RTA_ALIGN(rta->rta_len);
}

static const struct nlmsghdr *neigh_msg(struct neigh_msg *m, unsigned short type, const char *addr,
					const char *lladdr, unsigned short state)
{
	struct addr a = ip(addr);

	memset(m, 0, sizeof(*m));
	m->nlh.nlmsg_type = type;
	m->nlh.nlmsg_len = NLMSG_LENGTH(sizeof(m->nd));
	m->nd.ndm_family = (unsigned char)a.family;
	m->nd.ndm_ifindex = 7;
	m->nd.ndm_state = state;
	put_attr(m, NDA_DST, a.bytes, a.family == AF_INET ? 4 : 16);
	if (lladdr)
		put_attr(m, NDA_LLADDR, mac(lladdr), 6);
	return &m->nlh;
}

static void test_parse(void)
{
	static const struct {
		unsigned short state;
		bool kept;
		const char *name;
	} states[] = {
		{ NUD_REACHABLE, true, "REACHABLE" }, { NUD_STALE, true, "STALE" },
		{ NUD_DELAY, true, "DELAY" }, { NUD_PROBE, true, "PROBE" },
		{ NUD_PERMANENT, true, "PERMANENT" }, { NUD_FAILED, false, "FAILED" },
		{ NUD_INCOMPLETE, false, "INCOMPLETE" }, { NUD_NOARP, false, "NOARP" },
	};
	struct neigh_msg m;
	struct neigh_seen s;
	struct addr want = ip("192.0.2.66"), want6 = ip("2001:db8:2::66");
	char got[18];

	for (size_t i = 0; i < sizeof(states) / sizeof(*states); i++)
		ok(neighwatch_parse(neigh_msg(&m, RTM_NEWNEIGH, "192.0.2.66", "00:02:2d:99:99:99",
					      states[i].state), &s) == states[i].kept,
		   "state %s: %s", states[i].name, states[i].kept ? "checked" : "ignored");
	neighwatch_parse(neigh_msg(&m, RTM_NEWNEIGH, "192.0.2.66", "00:02:2d:99:99:99", NUD_STALE), &s);
	mac_format(s.mac, got);
	ok(s.ifindex == 7 && addr_equal(&s.ip, &want) && strcmp(got, "00:02:2d:99:99:99") == 0,
	   "ARP: interface index, IPv4 address and MAC read");
	ok(neighwatch_parse(neigh_msg(&m, RTM_NEWNEIGH, "2001:db8:2::66", "00:02:2d:99:99:99",
				      NUD_REACHABLE), &s) && addr_equal(&s.ip, &want6),
	   "ND: the IPv6 address read");
	ok(!neighwatch_parse(neigh_msg(&m, RTM_DELNEIGH, "192.0.2.66", "00:02:2d:99:99:99",
				       NUD_REACHABLE), &s),
	   "a deletion: ignored");
	ok(!neighwatch_parse(neigh_msg(&m, RTM_NEWNEIGH, "192.0.2.66", NULL, NUD_REACHABLE), &s),
	   "no link-layer address: ignored");
	neigh_msg(&m, RTM_NEWNEIGH, "192.0.2.66", "00:02:2d:99:99:99", NUD_REACHABLE);
	m.nlh.nlmsg_len = NLMSG_LENGTH(sizeof(m.nd)) + 6;	/* the DST attribute cut */
	ok(!neighwatch_parse(&m.nlh, &s), "a cut message: ignored");
}

static void test_alerts(const struct config *c)
{
	static struct alert_queue q;
	struct neigh_finding f, g, list[ALERT_DIGEST_MAX];
	struct hit_source none[1];
	struct alert_message msg = { .kind = ALERT_KIND_DEVICE, .cfg = c, .devices = &f, .ndevices = 1 };
	char buf[8192];
	size_t more, len;

	check(c, "eth2", "192.0.2.66", "00:02:2d:99:99:99", &f);
	f.when = 1000;
	check(c, "eth2", "192.0.2.70", "00:02:2d:44:55:66", &g);
	alert_queue_init(&q, 60);
	ok(alert_queue_add_device(&q, &f, 1000) == ALERT_NOW &&
		   alert_queue_add_device(&q, &f, 1030) == ALERT_SKIP,
	   "a finding: alerted at once, the same (zone, IP, MAC) within the interval skipped");
	ok(alert_queue_add_device(&q, &g, 1031) == ALERT_DIGEST && alert_queue_due(&q) == 1060,
	   "another finding within the interval: for the digest at its end");
	ok(alert_queue_take_devices(&q, list, &more) == 1 && more == 0 &&
		   alert_queue_take(&q, 1060, none, &more) == 0 && !alert_queue_due(&q),
	   "the digest takes it");
	ok(alert_queue_add_device(&q, &f, 1121) == ALERT_NOW,
	   "the same pair after the interval: alerted again");

	alert_format_mail(&msg, buf, sizeof(buf));
	ok(strstr(buf, "Subject: smtpguard: 192.0.2.66 in zone wlan seen with MAC 00:02:2d:99:99:99 "
		       "on eth2, listed with 00:02:2d:11:22:33\n") &&
		   strstr(buf, "seen:         00:02:2d:99:99:99 192.0.2.66\n") &&
		   strstr(buf, "listed:       00:02:2d:11:22:33 192.0.2.66\n") &&
		   strstr(buf, "interface:    eth2\n") && strstr(buf, "devices of [zone wlan] of t.conf"),
	   "the mail: subject, seen and listed pairs, interface, what to do");
	alert_format_json(&msg, buf, sizeof(buf));
	ok(strstr(buf, "{\"kind\":\"device\",\"config\":\"t.conf\",\"device_findings\":1,\"devices\":[{"
		       "\"change\":\"ip-moved\",\"zone\":\"wlan\",\"interface\":\"eth2\","
		       "\"listed_mac\":\"00:02:2d:11:22:33\",\"listed_ip\":\"192.0.2.66\","
		       "\"seen_mac\":\"00:02:2d:99:99:99\",\"seen_ip\":\"192.0.2.66\",") &&
		   strstr(buf, "\"time_epoch\":1000}]}\n"),
	   "the JSON of a device alert");
	len = alert_format_env(&msg, buf, sizeof(buf));
	for (size_t i = 0; i + 1 < len; i++)
		buf[i] = buf[i] ? buf[i] : ';';
	ok(strstr(buf, "SMTPGUARD_KIND=device;") && strstr(buf, "SMTPGUARD_CHANGE=ip-moved;") &&
		   strstr(buf, "SMTPGUARD_ZONE=wlan;") && strstr(buf, "SMTPGUARD_INTERFACE=eth2;") &&
		   strstr(buf, "SMTPGUARD_LISTED_MAC=00:02:2d:11:22:33;") &&
		   strstr(buf, "SMTPGUARD_SEEN_MAC=00:02:2d:99:99:99;") &&
		   strstr(buf, "SMTPGUARD_SEEN_IP=192.0.2.66;") &&
		   strstr(buf, "SMTPGUARD_DEVICE_FINDINGS=1;") && !strstr(buf, "SMTPGUARD_HOST="),
	   "env of a device alert: %s", buf);
	msg = (struct alert_message){ .kind = ALERT_KIND_DIGEST, .cfg = c, .list = none,
				      .devices = &g, .ndevices = 1, .more_devices = 2 };
	alert_format_mail(&msg, buf, sizeof(buf));
	ok(strstr(buf, "Subject: smtpguard: digest, 3 devices seen with another address\n") &&
		   strstr(buf, "seen:         00:02:2d:44:55:66 192.0.2.70\n") &&
		   strstr(buf, "and 2 more devices") && !strstr(buf, "host:"),
	   "a digest of devices only: no offender part");
}

int main(void)
{
	struct config *c = conf();

	if (!ok(c, "a config with devices"))
		return tap_done();
	test_check(c);
	test_parse();
	test_alerts(c);
	config_free(c);
	return tap_done();
}
