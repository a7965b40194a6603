/*
 * fuzz_addr.c - libFuzzer target for the small-value parsers of
 * include/addr.h: addresses and prefixes, MACs, ports, interface and
 * zone names.  Besides memory safety it checks the contracts: what a
 * parser accepts prints canonically and parses back to the same value,
 * the output is untouched on failure, and every error is one line.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "addr.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_TEXT_MAX 256

/* An error must be one non-empty line that ends with its NUL inside the buffer. */
static void fuzz_check_error(const struct error *err)
{
	size_t len = strnlen(err->text, sizeof(err->text));

	fuzz_assert(len > 0 && len < sizeof(err->text));
	fuzz_assert(memchr(err->text, '\n', len) == NULL);
}

static void fuzz_addr(const char *text)
{
	struct error err = { 0 };
	struct addr a, b, before;
	char buf[ADDR_TEXT_MAX], save[ADDR_TEXT_MAX];

	memset(&a, 0x5a, sizeof(a));
	before = a;
	if (addr_parse(text, &a, &err) < 0) {
		fuzz_check_error(&err);
		fuzz_assert(memcmp(&a, &before, sizeof(a)) == 0);
		return;
	}
	fuzz_assert(a.family == AF_INET || a.family == AF_INET6);
	fuzz_assert(a.prefix <= (a.family == AF_INET ? 32u : 128u));
	addr_format(&a, buf, sizeof(buf));
	fuzz_assert(addr_parse(buf, &b, &err) == 0 && addr_equal(&a, &b));
	addr_format_save(&a, save, sizeof(save));
	fuzz_assert(strchr(save, '/') != NULL);
	fuzz_assert(addr_parse(save, &b, &err) == 0 && addr_equal(&a, &b));
	fuzz_assert(addr_contains(&a, &a));
}

static void fuzz_mac(const char *text)
{
	struct error err = { 0 };
	unsigned char mac[6], again[6];
	char buf[18];

	memset(mac, 0x5a, sizeof(mac));
	if (mac_parse(text, mac, &err) < 0) {
		fuzz_check_error(&err);
		for (size_t i = 0; i < sizeof(mac); i++)
			fuzz_assert(mac[i] == 0x5a);
		return;
	}
	mac_format(mac, buf);
	fuzz_assert(strlen(text) == 17 && strlen(buf) == 17);
	fuzz_assert(mac_parse(buf, again, &err) == 0 && memcmp(mac, again, 6) == 0);
}

static void fuzz_port(const char *text)
{
	struct error err = { 0 };
	uint16_t port = 0;
	char buf[8];

	if (port_parse(text, &port, &err) < 0) {
		fuzz_check_error(&err);
		fuzz_assert(port == 0);
		return;
	}
	fuzz_assert(port >= 1);
	snprintf(buf, sizeof(buf), "%u", (unsigned)port);
	/* leading zeros are the only other spelling of the same number */
	fuzz_assert(strcmp(text + strspn(text, "0"), buf) == 0);
}

static void fuzz_names(const char *text)
{
	struct error err = { 0 };
	size_t len = strlen(text);

	if (ifname_check(text, &err) == 0) {
		fuzz_assert(len >= 1 && len <= IFACE_NAME_MAX);
		for (size_t i = 0; i < len; i++)
			fuzz_assert((unsigned char)text[i] > ' ' && (unsigned char)text[i] < 0x7f);
	} else {
		fuzz_check_error(&err);
	}
	if (zonename_check(text, &err) == 0)
		fuzz_assert(len >= 1 && len <= ZONE_NAME_MAX &&
			    strspn(text, "abcdefghijklmnopqrstuvwxyz0123456789_-") == len);
	else
		fuzz_check_error(&err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char text[FUZZ_TEXT_MAX + 1];

	if (size > FUZZ_TEXT_MAX)
		size = FUZZ_TEXT_MAX;
	memcpy(text, data, size);
	text[size] = '\0';
	/* Values come one per line (inih, argv): an error may quote the value, so cut at LF. */
	text[strcspn(text, "\n")] = '\0';
	fuzz_addr(text);
	fuzz_mac(text);
	fuzz_port(text);
	fuzz_names(text);
	return 0;
}
