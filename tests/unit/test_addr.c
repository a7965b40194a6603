/* test_addr.c - every edge of the address, MAC, port and name parsers. */
#include <sys/socket.h>

#include "addr.h"
#include "tap.h"

static void check_addr(const char *text, const char *canon, const char *save)
{
	struct error err = { 0 };
	struct addr a;
	char buf[ADDR_TEXT_MAX];

	if (!ok(addr_parse(text, &a, &err) == 0, "addr_parse accepts %s", text)) {
		printf("#   %s\n", err.text);
		return;
	}
	addr_format(&a, buf, sizeof(buf));
	is_str(buf, canon, "addr_format %s", text);
	addr_format_save(&a, buf, sizeof(buf));
	is_str(buf, save, "addr_format_save %s", text);
}

static void check_bad_addr(const char *text, const char *phrase)
{
	struct error err = { 0 };
	struct addr a = { .family = 99 };

	ok(addr_parse(text, &a, &err) == -1, "addr_parse refuses '%s'", text);
	if (!ok(strstr(err.text, phrase) != NULL, "... saying '%s'", phrase))
		printf("#   got: %s\n", err.text);
	is_int(a.family, 99, "... and leaves the output alone");
}

static struct addr parsed(const char *text)
{
	struct addr a = { 0 };

	addr_parse(text, &a, NULL);
	return a;
}

static void test_addr(void)
{
	struct addr a, b;
	unsigned char mask[16];

	check_addr("192.0.2.7", "192.0.2.7", "192.0.2.7/32");
	check_addr("192.0.2.0/26", "192.0.2.0/26", "192.0.2.0/26");
	check_addr("192.0.2.7/32", "192.0.2.7", "192.0.2.7/32");
	check_addr("0.0.0.0/0", "0.0.0.0/0", "0.0.0.0/0");
	check_addr("2001:db8::1", "2001:db8::1", "2001:db8::1/128");
	check_addr("2001:DB8:0:0::/64", "2001:db8::/64", "2001:db8::/64");
	check_addr("::/0", "::/0", "::/0");
	check_addr("::ffff:192.0.2.1", "::ffff:192.0.2.1", "::ffff:192.0.2.1/128");

	check_bad_addr("192.0.2.5/24", "192.0.2.5/24 has host bits set; write 192.0.2.0/24");
	check_bad_addr("2001:db8::1/64", "write 2001:db8::/64");
	check_bad_addr("1.2.3.4/", "'/' must be followed by a prefix length 0..32");
	check_bad_addr("300.1.1.1/33", "300.1.1.1 is not an IPv4 address");
	check_bad_addr("1.1.1.1/33", "prefix length 0..32");
	check_bad_addr("2001:db8::/129", "prefix length 0..128");
	check_bad_addr("1.2.3.4/+8", "prefix length");
	check_bad_addr("1.2.3.4/ 8", "prefix length");
	check_bad_addr("1.2.3.4/8/8", "prefix length");
	check_bad_addr("!1.2.3.4", "negations");
	check_bad_addr("", "empty");
	check_bad_addr(" 1.2.3.4", "not an IPv4 address");
	check_bad_addr("1.2.3.4 ", "not an IPv4 address");
	check_bad_addr("1.2.3.4x", "not an IPv4 address");
	check_bad_addr("1.2.3", "not an IPv4 address");
	check_bad_addr("01.2.3.4", "not an IPv4 address");
	check_bad_addr("/24", "not an IPv4 or IPv6 address");
	check_bad_addr("fe80::1%eth0", "not an IPv6 address");
	check_bad_addr("[2001:db8::1]", "no brackets");
	check_bad_addr("2001:db8:::1", "not an IPv6 address");
	check_bad_addr("mail.example.org", "not an IPv4 address");

	a = parsed("192.0.2.0/26");
	b = parsed("192.0.2.7");
	ok(addr_contains(&a, &b), "192.0.2.0/26 contains 192.0.2.7");
	ok(!addr_contains(&b, &a), "192.0.2.7 does not contain 192.0.2.0/26");
	b = parsed("192.0.2.64");
	ok(!addr_contains(&a, &b), "192.0.2.0/26 does not contain 192.0.2.64");
	ok(addr_contains(&a, &a), "a prefix contains itself");
	b = parsed("::ffff:192.0.2.7");
	ok(!addr_contains(&a, &b), "no containment across families");
	a = parsed("2001:db8::/32");
	b = parsed("2001:db8:ffff::1");
	ok(addr_contains(&a, &b), "2001:db8::/32 contains 2001:db8:ffff::1");
	a = parsed("0.0.0.0/0");
	ok(addr_contains(&a, &b) == false, "0.0.0.0/0 does not contain IPv6");
	b = parsed("203.0.113.9");
	ok(addr_contains(&a, &b), "0.0.0.0/0 contains everything IPv4");

	a = parsed("192.0.2.7");
	b = parsed("192.0.2.7/32");
	ok(addr_equal(&a, &b), "192.0.2.7 equals 192.0.2.7/32");
	b = parsed("192.0.2.6/31");
	ok(!addr_equal(&a, &b), "a host differs from its /31");
	b = parsed("2001:db8::7");
	ok(!addr_equal(&a, &b), "addresses of two families differ");

	a = parsed("192.0.2.0/26");
	addr_mask(&a, mask);
	ok(mask[0] == 0xff && mask[1] == 0xff && mask[2] == 0xff && mask[3] == 0xc0 &&
		   mask[4] == 0 && mask[15] == 0,
	   "mask of /26 is 255.255.255.192");
	a = parsed("2001:db8::/33");
	addr_mask(&a, mask);
	ok(mask[3] == 0xff && mask[4] == 0x80 && mask[5] == 0, "mask of /33 ends in 0x80");
}

static void test_mac(void)
{
	struct error err = { 0 };
	unsigned char mac[6], keep[6] = { 1, 2, 3, 4, 5, 6 };
	char buf[18];
	static const char *const bad[] = {
		"00:02:2d:11:22",   "00:02:2d:11:22:33:44", "0:02:2d:11:22:33", "00:02:2d:11:22:3g",
		"00:02-2d:11:22:33", "000:2:2d:11:22:33",   "",                 "00022d112233",
		"00:02:2d:11:22:33 ", " 00:02:2d:11:22:33",
	};

	ok(mac_parse("00:02:2D:11:22:33", mac, &err) == 0, "mac_parse accepts upper case");
	mac_format(mac, buf);
	is_str(buf, "00:02:2d:11:22:33", "mac_format is lower case with colons");
	ok(mac_parse("00-06-25-AA-BB-CC", mac, &err) == 0, "mac_parse accepts '-'");
	mac_format(mac, buf);
	is_str(buf, "00:06:25:aa:bb:cc", "'-' form prints with colons");
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memcpy(mac, keep, 6);
		ok(mac_parse(bad[i], mac, &err) == -1 && memcmp(mac, keep, 6) == 0,
		   "mac_parse refuses '%s'", bad[i]);
	}
	mac_parse("00:02:2d:11:22", mac, &err);
	ok(strstr(err.text, "has 5 group(s); a MAC address has 6") != NULL,
	   "a short MAC names its length: %s", err.text);
	mac_parse("00:02:2d:11:22:zz", mac, &err);
	ok(strstr(err.text, "is not a MAC address") != NULL, "a bad digit: %s", err.text);
}

static void test_hex(void)
{
	static const char digits[] = "0123456789abcdefABCDEF";
	static const int values[] = { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15,
				      10, 11, 12, 13, 14, 15 };
	bool all = true;

	for (size_t i = 0; digits[i]; i++)
		all = all && addr_hex_digit(digits[i]) == values[i];
	ok(all, "addr_hex_digit reads 0-9, a-f and A-F");
	ok(addr_hex_digit('g') == -1 && addr_hex_digit('G') == -1 && addr_hex_digit(':') == -1 &&
		   addr_hex_digit('\0') == -1 && addr_hex_digit(' ') == -1,
	   "addr_hex_digit refuses what is not a hex digit");
}

static void test_port(void)
{
	struct error err = { 0 };
	uint16_t p = 7;
	static const char *const bad[] = { "0", "65536", "-1", "+25", " 25", "25 ", "0x19", "",
					   "99999", "123456", "2 5", "25,26" };

	ok(port_parse("25", &p, &err) == 0 && p == 25, "port 25");
	ok(port_parse("1", &p, &err) == 0 && p == 1, "port 1");
	ok(port_parse("65535", &p, &err) == 0 && p == 65535, "port 65535");
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		p = 7;
		ok(port_parse(bad[i], &p, &err) == -1 && p == 7, "port_parse refuses '%s'", bad[i]);
	}
	port_parse("65536", &p, &err);
	ok(strstr(err.text, "1..65535") != NULL, "port error names the range: %s", err.text);
}

static void test_names(void)
{
	struct error err = { 0 };

	ok(ifname_check("eth0", &err) == 0, "eth0 is an interface name");
	ok(ifname_check("wlp3s0.100", &err) == 0, "a VLAN name is an interface name");
	ok(ifname_check("ppp+", &err) == 0, "an iptables wildcard is accepted");
	ok(ifname_check("+", &err) == -1, "a lone '+' (every interface) is refused");
	ok(ifname_check("pp+p", &err) == -1, "'+' inside a name is refused");
	ok(ifname_check("ppp++", &err) == -1, "'++' is refused");
	ok(ifname_match("ppp+", "ppp0") && ifname_match("ppp+", "ppp") &&
		   !ifname_match("ppp+", "pp0") && ifname_match("eth1", "eth1") &&
		   !ifname_match("eth1", "eth10") && !ifname_match("eth1", "eth"),
	   "ifname_match matches as the kernel does");
	ok(ifname_overlap("eth+", "eth1") && ifname_overlap("wg0+", "wg+") &&
		   !ifname_overlap("eth1", "eth10") && !ifname_overlap("ppp+", "eth0"),
	   "ifname_overlap");
	ok(ifname_check("abcdefghijklmno", &err) == 0, "15 characters are accepted");
	ok(ifname_check("abcdefghijklmnop", &err) == -1, "16 characters are refused");
	ok(ifname_check("", &err) == -1, "an empty name is refused");
	ok(ifname_check("eth 0", &err) == -1, "a space is refused");
	ok(ifname_check("eth0:1", &err) == -1, "':' is refused");
	ok(ifname_check("a/b", &err) == -1, "'/' is refused");
	ok(ifname_check("..", &err) == -1, "'..' is refused");
	ok(ifname_check("\"eth0\"", &err) == -1, "quotes are refused");
	ok(ifname_check("eth\t0", &err) == -1, "a tab is refused");
	ok(strstr(err.text, "not an interface name") != NULL, "... saying so: %s", err.text);

	ok(zonename_check("wlan", &err) == 0, "wlan is a zone name");
	ok(zonename_check("guest_2-b", &err) == 0, "digits, '_' and '-' are accepted");
	ok(zonename_check("abcdefghijkl", &err) == 0, "12 characters are accepted");
	ok(zonename_check("abcdefghijklm", &err) == -1, "13 characters are refused");
	ok(zonename_check("Lan", &err) == -1, "upper case is refused");
	ok(zonename_check("", &err) == -1, "an empty zone name is refused");
	ok(zonename_check("a b", &err) == -1, "a space is refused");
	ok(strstr(err.text, "1..12 characters") != NULL, "... saying what is allowed");
}

int main(void)
{
	test_addr();
	test_mac();
	test_hex();
	test_port();
	test_names();
	return tap_done();
}
