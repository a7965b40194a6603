/*
 * addr.c - the small values of a config: IPv4/IPv6 addresses and
 * prefixes, MAC addresses, ports, interface and zone names; see
 * include/addr.h.  Parsers are strict: the whole string must be the
 * value, nothing before or after it.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "addr.h"

static unsigned addr_bits(int family)
{
	return family == AF_INET6 ? 128 : 32;
}

void addr_mask(const struct addr *a, unsigned char mask[16])
{
	unsigned bits = a->prefix;

	for (unsigned i = 0; i < 16; i++) {
		unsigned take = bits > 8 ? 8 : bits;

		mask[i] = (unsigned char)(0xff00u >> take);
		bits -= take;
	}
}

unsigned addr_mask_length(const unsigned char *bytes, size_t len)
{
	unsigned bits = 0;

	for (size_t i = 0; i < len; i++)
		bits += (unsigned)__builtin_popcount(bytes[i]);
	return bits;
}

/* Parse the decimal prefix length after '/'; -1 when it is not 0..max. */
static int addr_prefix_parse(const char *text, unsigned max)
{
	unsigned v = 0;
	size_t n = strlen(text);

	if (n == 0 || n > 3 || strspn(text, "0123456789") != n)
		return -1;
	for (size_t i = 0; i < n; i++)
		v = v * 10 + (unsigned)(text[i] - '0');
	return v <= max ? (int)v : -1;
}

int addr_parse(const char *text, struct addr *out, struct error *err)
{
	char host[INET6_ADDRSTRLEN];
	const char *slash;
	struct addr a = { 0 };
	unsigned char mask[16];
	size_t hostlen;
	int prefix;

	if (!text || !*text)
		return error_set(err, "an address is empty; write an address like 192.0.2.7 or "
				      "a network like 192.0.2.0/26");
	if (text[0] == '!')
		return error_set(err, "%s: negations ('!') are not accepted here; list only the "
				      "addresses you mean", text);
	slash = strchr(text, '/');
	hostlen = slash ? (size_t)(slash - text) : strlen(text);
	if (hostlen == 0 || hostlen >= sizeof(host))
		return error_set(err, "%s is not an IPv4 or IPv6 address; write an address like "
				      "192.0.2.7 or 2001:db8::7", text);
	memcpy(host, text, hostlen);
	host[hostlen] = '\0';
	a.family = strchr(host, ':') ? AF_INET6 : AF_INET;
	if (inet_pton(a.family, host, a.bytes) != 1) {
		if (a.family == AF_INET)
			return error_set(err, "%s is not an IPv4 address; write four numbers "
					      "0..255 separated by dots, like 192.0.2.7", host);
		return error_set(err, "%s is not an IPv6 address; write it like 2001:db8::7 "
				      "(no brackets, no %%scope)", host);
	}
	a.prefix = addr_bits(a.family);
	if (slash) {
		prefix = addr_prefix_parse(slash + 1, addr_bits(a.family));
		if (prefix < 0)
			return error_set(err, "%s: a '/' must be followed by a prefix length "
					      "0..%u; write it like %s/%u or leave out the '/'",
					 text, addr_bits(a.family), host, addr_bits(a.family));
		a.prefix = (unsigned)prefix;
	}
	addr_mask(&a, mask);
	for (unsigned i = 0; i < 16; i++) {
		if (a.bytes[i] & ~mask[i]) {
			char canon[ADDR_TEXT_MAX];
			struct addr net = a;

			for (unsigned j = 0; j < 16; j++)
				net.bytes[j] &= mask[j];
			addr_format(&net, canon, sizeof(canon));
			return error_set(err, "%s has host bits set; write %s (or %s alone for "
					      "the one host)", text, canon, host);
		}
	}
	*out = a;
	return 0;
}

char *addr_ipv4_text(const unsigned char b[4], char *out)
{
	char *p = out;

	for (int i = 0; i < 4; i++) {
		unsigned v = b[i];

		if (i)
			*p++ = '.';
		if (v >= 100)
			*p++ = (char)('0' + v / 100);
		if (v >= 10)
			*p++ = (char)('0' + v / 10 % 10);
		*p++ = (char)('0' + v % 10);
	}
	*p = '\0';
	return p;
}

static void addr_print(const struct addr *a, bool with_prefix, char *buf, size_t size)
{
	char host[INET6_ADDRSTRLEN];

	if (a->family == AF_INET)
		addr_ipv4_text(a->bytes, host);
	else if (!inet_ntop(a->family, a->bytes, host, sizeof(host)))
		host[0] = '\0';
	if (with_prefix || a->prefix != addr_bits(a->family))
		snprintf(buf, size, "%s/%u", host, a->prefix);
	else if (size) {
		size_t n = strnlen(host, size - 1);

		memcpy(buf, host, n);
		buf[n] = '\0';
	}
}

void addr_format(const struct addr *a, char *buf, size_t size)
{
	addr_print(a, false, buf, size);
}

void addr_format_save(const struct addr *a, char *buf, size_t size)
{
	addr_print(a, true, buf, size);
}

bool addr_contains(const struct addr *a, const struct addr *b)
{
	unsigned char mask[16];

	if (a->family != b->family || a->prefix > b->prefix)
		return false;
	addr_mask(a, mask);
	for (unsigned i = 0; i < 16; i++)
		if ((a->bytes[i] ^ b->bytes[i]) & mask[i])
			return false;
	return true;
}

bool addr_equal(const struct addr *a, const struct addr *b)
{
	return a->family == b->family && a->prefix == b->prefix &&
	       memcmp(a->bytes, b->bytes, sizeof(a->bytes)) == 0;
}

int addr_compare(const struct addr *a, const struct addr *b)
{
	int c = memcmp(a->bytes, b->bytes, sizeof(a->bytes));

	return c ? c : (int)a->prefix - (int)b->prefix;
}

int addr_hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int mac_parse(const char *text, unsigned char mac[6], struct error *err)
{
	unsigned char out[6];
	size_t len = text ? strlen(text) : 0;
	char sep = len > 2 ? text[2] : ':';
	unsigned groups = len ? 1 : 0;

	for (size_t i = 0; i < len; i++)
		if (text[i] == ':' || text[i] == '-')
			groups++;
	if (groups != 6)
		return error_set(err, "%s has %u group(s); a MAC address has 6 hex pairs, like "
				      "00:02:2d:11:22:33", len ? text : "''", groups);
	if (len != 17 || (sep != ':' && sep != '-'))
		goto bad;
	for (unsigned i = 0; i < 6; i++) {
		const char *p = text + 3 * i;
		int hi = addr_hex_digit(p[0]), lo = addr_hex_digit(p[1]);

		if (hi < 0 || lo < 0 || (i < 5 && p[2] != sep))
			goto bad;
		out[i] = (unsigned char)(hi << 4 | lo);
	}
	memcpy(mac, out, sizeof(out));
	return 0;
bad:
	return error_set(err, "%s is not a MAC address; write six pairs of hex digits "
			      "separated by ':' (or all by '-'), like 00:02:2d:11:22:33", text);
}

void mac_format(const unsigned char mac[6], char buf[18])
{
	snprintf(buf, 18, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3], mac[4],
		 mac[5]);
}

int port_parse(const char *text, uint16_t *out, struct error *err)
{
	size_t len = text ? strlen(text) : 0;
	unsigned long v = 0;

	if (len == 0 || len > 5 || strspn(text, "0123456789") != len)
		goto bad;
	for (size_t i = 0; i < len; i++)
		v = v * 10 + (unsigned long)(text[i] - '0');
	if (v < 1 || v > 65535)
		goto bad;
	*out = (uint16_t)v;
	return 0;
bad:
	return error_set(err, "port '%s' is not a TCP port; write a decimal number 1..65535, "
			      "like 25", text ? text : "");
}

int ifname_check(const char *name, struct error *err)
{
	size_t len = name ? strlen(name) : 0;

	if (len == 0 || len > IFACE_NAME_MAX)
		return error_set(err, "interface name '%s' must be 1..%d characters long, like "
				      "eth1", name ? name : "", IFACE_NAME_MAX);
	if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		goto bad;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)name[i];

		if (c <= ' ' || c >= 0x7f || strchr("/:,\"'", c))
			goto bad;
	}
	/* A lone "+" would match every interface, the LAN's too; inside a name it is a typo. */
	if (strcspn(name, "+") < len - 1 || strcmp(name, "+") == 0)
		return error_set(err, "'%s': '+' may only end an interface name, after a prefix, "
				      "like ppp+ (every interface whose name starts with ppp)", name);
	return 0;
bad:
	return error_set(err, "'%s' is not an interface name; use the name `ip link` shows, "
			      "like eth1 (no '/', ':', ',', quotes or spaces)", name);
}

/* The bytes of pattern that must match: all of them and the NUL, or the prefix of a wildcard. */
static size_t ifname_fixed(const char *pattern, bool *wildcard)
{
	size_t len = strlen(pattern);

	*wildcard = len > 0 && pattern[len - 1] == '+';
	return *wildcard ? len - 1 : len + 1;
}

bool ifname_match(const char *pattern, const char *name)
{
	bool wild;

	return strncmp(pattern, name, ifname_fixed(pattern, &wild)) == 0;
}

bool ifname_overlap(const char *a, const char *b)
{
	bool wa, wb;
	size_t la = ifname_fixed(a, &wa), lb = ifname_fixed(b, &wb);

	return strncmp(a, b, la < lb ? la : lb) == 0;
}

int zonename_check(const char *name, struct error *err)
{
	size_t len = name ? strlen(name) : 0;

	if (len == 0 || len > ZONE_NAME_MAX ||
	    strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789_-") != len)
		return error_set(err, "zone name '%s' must be 1..%d characters of a-z, 0-9, '_' "
				      "and '-', like wlan", name ? name : "", ZONE_NAME_MAX);
	return 0;
}

uint64_t addr_hash_bytes(uint64_t h, const void *p, size_t n)
{
	const unsigned char *b = p;

	for (size_t i = 0; i < n; i++) {
		h ^= b[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

uint64_t addr_hash(uint64_t h, const struct addr *a)
{
	unsigned char f = (unsigned char)a->family;

	return addr_hash_bytes(addr_hash_bytes(h, &f, 1), a->bytes, a->family == AF_INET6 ? 16 : 4);
}
