/*
 * fuzz_hit.c - libFuzzer target for the log line parser
 * (hit_parse_line, include/hit.h) and what consumes its hits: the
 * terminal line, the JSON object, the ring and the per-source counts.
 * The first byte picks the source format and whether a config is known;
 * the rest is the line.  A hit's printed line and JSON object must be inert (no
 * control, C1 or bidi character) and one row; untrusted lines are never HIT_OK.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "fuzz.h"
#include "hit.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char fuzz_conf[] = "[general]\n"
				"wan = eth0\n"
				"ports = 25, 587\n"
				"relays = 203.0.113.10\n"
				"log_prefix = Illegal port 25 >\n"
				"[zone lan]\n"
				"interface = eth1\n"
				"mode = monitor\n"
				"[zone wlan]\n"
				"interface = eth2\n"
				"mode = rateban\n";

static struct config *fuzz_cfg;
static struct hit_ring *fuzz_ring;

static void fuzz_init(void)
{
	struct error err = { 0 };

	fuzz_cfg = config_parse(fuzz_conf, sizeof(fuzz_conf) - 1, "fuzz.conf", &err);
	fuzz_assert(fuzz_cfg != NULL);
	fuzz_ring = hit_ring_new(16, 8);
	fuzz_assert(fuzz_ring != NULL);
}

/* What hit_format_line promises: sanitized, one row. */
static void fuzz_check_line(const struct hit *h)
{
	char buf[1024], small[24];
	int n = hit_format_line(h, buf, sizeof(buf));

	fuzz_assert(n >= 0);
	fuzz_check_inert(buf, strlen(buf), false);
	fuzz_assert(hit_format_line(h, small, sizeof(small)) == n);
	fuzz_assert(strlen(small) < sizeof(small));
}

/* The JSON object is inert too: controls, C1 and bidi characters come out escaped. */
static void fuzz_check_json(const struct hit *h)
{
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);

	fuzz_assert(out != NULL);
	hit_write_json(h, out);
	fclose(out);
	fuzz_check_inert(text, len, false);
	free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hit_context ctx = { 0 };
	struct hit h;
	enum hit_format format;
	enum hit_result res;

	if (!fuzz_ring)
		fuzz_init();
	if (size < 1)
		return 0;
	format = (enum hit_format)(data[0] % HIT_FORMAT_COUNT);
	ctx.cfg = data[0] & 0x80 ? NULL : fuzz_cfg;
	ctx.now = 1795346991;		/* 2026-11-22 11:29:51 UTC */
	ctx.boot.tv_sec = 1795300000;
	ctx.prefix = data[0] & 0x40 ? NULL : fuzz_cfg->log_prefix;

	memset(&h, 0x5a, sizeof(h));
	res = hit_parse_line((const char *)data + 1, size - 1, format, &ctx, &h);
	switch (res) {
	case HIT_NONE:
	case HIT_MALFORMED:
		return 0;
	case HIT_OK:
		fuzz_assert(h.trusted);
		break;
	case HIT_UNTRUSTED:
		fuzz_assert(!h.trusted);
		break;
	default:
		abort();
	}
	fuzz_assert(h.usec >= 0 && h.usec <= 999999);
	fuzz_assert(memchr(h.prefix, '\0', sizeof(h.prefix)) && memchr(h.in, '\0', sizeof(h.in)));
	fuzz_assert(memchr(h.out, '\0', sizeof(h.out)) && memchr(h.mac, '\0', sizeof(h.mac)));
	fuzz_assert(memchr(h.zone, '\0', sizeof(h.zone)) && h.action < HIT_ACTION_COUNT);
	fuzz_check_line(&h);
	fuzz_check_json(&h);
	if (res == HIT_OK) {
		hit_ring_push(fuzz_ring, &h);
		fuzz_assert(hit_ring_len(fuzz_ring) <= 16);
		fuzz_assert(hit_ring_at(fuzz_ring, 0) != NULL);
	}
	return 0;
}
