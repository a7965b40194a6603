/*
 * fw_counters.c - the console's cheap refresh (include/fw_counters.h):
 * the filter table's entries straight from the kernel with two
 * getsockopt calls, walked only for their counters.
 *
 * libiptc's iptc_init() parses the whole blob into chains and rules and
 * fw_iptc.c then renders every rule as text; for counters neither is
 * needed once the table's shape is known.  The blob is laid out as the
 * kernel keeps it: each built-in chain starts at its hook entry and ends
 * with its policy entry (the hook's underflow); each user chain starts
 * with an ERROR entry naming it and ends with a RETURN entry; a last
 * ERROR entry named "ERROR" closes the table.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <linux/netfilter_ipv4/ip_tables.h>

#include "fw_counters.h"

#define FW_COUNTERS_RETRIES 5	/* GET_ENTRIES fails with EAGAIN when the table changed size */

struct fw_counters {
	int sock;
	bool table_seen;	/* the filter table exists in this namespace */
	struct ipt_get_entries *entries;
	size_t entries_size;
	uint64_t (*counts)[2];	/* scratch: packets, bytes of each rule, committed on success */
	uint64_t (*policies)[2];	/* scratch: of each chain */
	size_t counts_cap, policies_cap;
	struct ipt_getinfo info;	/* the table's layout at the last refresh */
	bool info_valid;
	uint64_t fingerprint;	/* of the table the hash below was taken with */
	uint64_t hash;
	bool hash_valid;
};

static const char *const fw_counters_hooks[NF_INET_NUMHOOKS] = {
	[NF_INET_PRE_ROUTING] = "PREROUTING",
	[NF_INET_LOCAL_IN] = "INPUT",
	[NF_INET_FORWARD] = "FORWARD",
	[NF_INET_LOCAL_OUT] = "OUTPUT",
	[NF_INET_POST_ROUTING] = "POSTROUTING",
};

struct fw_counters *fw_counters_new(struct error *err)
{
	struct fw_counters *fc = calloc(1, sizeof(*fc));

	if (!fc) {
		error_set(err, "out of memory setting up the counter refresh");
		return NULL;
	}
	fc->sock = -1;
	return fc;
}

void fw_counters_free(struct fw_counters *fc)
{
	if (!fc)
		return;
	if (fc->sock >= 0)
		close(fc->sock);
	free(fc->entries);
	free(fc->counts);
	free(fc->policies);
	free(fc);
}

/* getsockopt on the filter table would create it; fw_iptc_read() reports a missing one as empty. */
static bool fw_counters_table_exists(void)
{
	char line[64];
	bool found = false;
	FILE *f = fopen("/proc/net/ip_tables_names", "re");

	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f))
		found = strcmp(line, "filter\n") == 0;
	fclose(f);
	return found;
}

static int fw_counters_fail(struct error *err, const char *what, int e)
{
	if (e == EPERM || e == EACCES)
		return error_set(err, "need root (CAP_NET_ADMIN) to read the firewall's counters; "
				      "run smtpguard as root");
	return error_set(err, "cannot %s the iptables filter table's counters: %s; check that the "
			      "ip_tables module is loaded",
			 what, strerror(e));
}

static int fw_counters_grow(void *pp, size_t *cap, size_t want, size_t elem)
{
	void *p;

	if (want <= *cap)
		return 0;
	p = realloc(*(void **)pp, want * elem);
	if (!p)
		return -1;
	*(void **)pp = p;
	*cap = want;
	return 0;
}

/* The filter table's entries (in fc's buffer), NULL with err filled; info gets the hooks. */
static const struct ipt_get_entries *fw_counters_fetch(struct fw_counters *fc,
							struct ipt_getinfo *info, struct error *err)
{
	socklen_t len;

	if (fc->sock < 0) {
		fc->sock = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_RAW);
		if (fc->sock < 0) {
			fw_counters_fail(err, "open", errno);
			return NULL;
		}
	}
	for (int tries = 0; tries < FW_COUNTERS_RETRIES; tries++) {
		size_t want;

		memset(info, 0, sizeof(*info));
		strcpy(info->name, "filter");
		len = sizeof(*info);
		if (getsockopt(fc->sock, IPPROTO_IP, IPT_SO_GET_INFO, info, &len) < 0)
			break;
		want = sizeof(*fc->entries) + info->size;
		if (!fc->entries || want > fc->entries_size) {
			free(fc->entries);
			fc->entries_size = 0;
			if (!(fc->entries = malloc(want))) {
				error_set(err, "out of memory reading the firewall's counters");
				return NULL;
			}
			fc->entries_size = want;
		}
		memset(fc->entries, 0, sizeof(*fc->entries));
		strcpy(fc->entries->name, "filter");
		fc->entries->size = info->size;
		len = (socklen_t)want;
		if (getsockopt(fc->sock, IPPROTO_IP, IPT_SO_GET_ENTRIES, fc->entries, &len) == 0)
			return fc->entries;
		if (errno != EAGAIN)
			break;
	}
	fw_counters_fail(err, "read", errno);
	return NULL;
}

/*
 * A hash of the entry at offset at, without its counters; entries are
 * 8-byte aligned and sized.  Each word is mixed with its place and the
 * products are summed, so no word waits for the previous one: this runs
 * over every byte of the table on every refresh.
 */
static uint64_t fw_counters_hash(const struct ipt_entry *e, unsigned at)
{
	const unsigned char *p = (const unsigned char *)e;
	size_t skip_from = offsetof(struct ipt_entry, counters);
	size_t skip_to = skip_from + sizeof(e->counters);
	uint64_t h = 0;

	for (size_t off = 0; off + sizeof(uint64_t) <= e->next_offset; off += sizeof(uint64_t)) {
		uint64_t w;

		if (off >= skip_from && off < skip_to)
			continue;
		memcpy(&w, p + off, sizeof(w));
		h += (w ^ ((at + off) * 0xff51afd7ed558ccdULL)) * 0x9e3779b97f4a7c15ULL;
	}
	return h;
}

/* The chain called name, trying hint (the next one in t's order) first; -1 if t has none. */
static long fw_counters_chain(const struct fw_table *t, const char *name, size_t hint)
{
	if (hint < t->nchains && strcmp(t->chains[hint].name, name) == 0)
		return (long)hint;
	for (size_t i = 0; i < t->nchains; i++)
		if (strcmp(t->chains[i].name, name) == 0)
			return (long)i;
	return -1;
}

static const char *fw_counters_error_name(const struct ipt_entry *e)
{
	const struct xt_error_target *et = (const void *)((const char *)e + e->target_offset);

	if (e->target_offset + sizeof(*et) > e->next_offset ||
	    strcmp(et->target.u.user.name, XT_ERROR_TARGET) != 0)
		return NULL;
	return et->errorname;
}

struct fw_counters_walk {
	long chain;		/* index in t, -1 between chains */
	size_t pos;		/* rules of the chain seen so far */
	unsigned policy_at;	/* offset of a built-in chain's policy entry, or UINT_MAX */
	size_t chains_seen;
	uint64_t hash;
};

/* Close the current chain: every rule of it must have been seen. */
static bool fw_counters_chain_end(const struct fw_table *t, struct fw_counters_walk *w)
{
	bool whole = w->chain >= 0 && w->pos == t->chains[w->chain].count;

	w->chain = -1;
	return whole;
}

/* Walk the entries into fc's scratch arrays; false when they are not t's chains and rules. */
static bool fw_counters_walk(struct fw_counters *fc, const struct ipt_get_entries *entries,
			     const struct ipt_getinfo *info, const struct fw_table *t, uint64_t *hash)
{
	const char *blob = (const char *)entries->entrytable;
	struct fw_counters_walk w = { .chain = -1, .policy_at = UINT_MAX };
	unsigned off = 0;

	while (off + sizeof(struct ipt_entry) <= info->size) {
		const struct ipt_entry *e = (const void *)(blob + off);
		const char *name = NULL;
		unsigned next = off + e->next_offset;

		if (e->next_offset < sizeof(*e) || next > info->size)
			return false;
		w.hash += fw_counters_hash(e, off);
		for (int h = 0; h < NF_INET_NUMHOOKS; h++)
			if ((info->valid_hooks & (1U << h)) && info->hook_entry[h] == off) {
				name = fw_counters_hooks[h];
				w.policy_at = info->underflow[h];
			}
		if (!name && (name = fw_counters_error_name(e))) {
			/* A user chain's head, or the table's end. */
			if (w.chain >= 0)
				return false;
			if (strcmp(name, XT_ERROR_TARGET) == 0 && next == info->size)
				break;
			w.policy_at = UINT_MAX;
			if ((w.chain = fw_counters_chain(t, name, w.chains_seen)) < 0)
				return false;
			w.pos = 0;
			w.chains_seen++;
			off = next;
			continue;
		}
		if (name) {
			if (w.chain >= 0 || (w.chain = fw_counters_chain(t, name, w.chains_seen)) < 0)
				return false;
			w.pos = 0;
			w.chains_seen++;
		}
		if (w.chain < 0)
			return false;
		if (off == w.policy_at ||
		    (w.policy_at == UINT_MAX && next < info->size &&
		     fw_counters_error_name((const void *)(blob + next)))) {
			/* A built-in chain's policy, or a user chain's closing RETURN. */
			fc->policies[w.chain][0] = e->counters.pcnt;
			fc->policies[w.chain][1] = e->counters.bcnt;
			if (!fw_counters_chain_end(t, &w))
				return false;
		} else {
			const struct fw_chain *c = &t->chains[w.chain];

			if (w.pos >= c->count)
				return false;
			fc->counts[c->first + w.pos][0] = e->counters.pcnt;
			fc->counts[c->first + w.pos][1] = e->counters.bcnt;
			w.pos++;
		}
		off = next;
	}
	*hash = w.hash;
	return w.chain < 0 && w.chains_seen == t->nchains;
}

int fw_counters_refresh(struct fw_counters *fc, struct fw_table *t, struct error *err)
{
	const struct ipt_get_entries *entries;
	struct ipt_getinfo info = { 0 };
	uint64_t hash = 0;

	if (t->family != AF_INET)
		return FW_COUNTERS_STALE;
	if (!fc->table_seen && !(fc->table_seen = fw_counters_table_exists()))
		return FW_COUNTERS_STALE;
	if (!(entries = fw_counters_fetch(fc, &info, err)))
		return -1;
	if (fw_counters_grow(&fc->counts, &fc->counts_cap, t->nrules, sizeof(*fc->counts)) < 0 ||
	    fw_counters_grow(&fc->policies, &fc->policies_cap, t->nchains,
			     sizeof(*fc->policies)) < 0)
		return error_set(err, "out of memory reading the firewall's counters");
	if (!fw_counters_walk(fc, entries, &info, t, &hash))
		return FW_COUNTERS_STALE;
	if (fc->hash_valid && fc->fingerprint == t->fingerprint && fc->hash != hash) {
		/* Same shape, other rules: the re-read table starts a new baseline. */
		fc->hash_valid = false;
		return FW_COUNTERS_STALE;
	}
	fc->fingerprint = t->fingerprint;
	fc->hash = hash;
	fc->hash_valid = true;
	fc->info = info;
	fc->info_valid = true;
	for (size_t i = 0; i < t->nrules; i++) {
		t->rules[i].packets = fc->counts[i][0];
		t->rules[i].bytes = fc->counts[i][1];
	}
	for (size_t i = 0; i < t->nchains; i++) {
		if (strcmp(t->chains[i].policy, "-") == 0)
			continue;
		t->chains[i].packets = fc->policies[i][0];
		t->chains[i].bytes = fc->policies[i][1];
	}
	return FW_COUNTERS_FRESH;
}

bool fw_counters_moved(struct fw_counters *fc)
{
	struct ipt_getinfo info;
	socklen_t len = sizeof(info);

	memset(&info, 0, sizeof(info));
	if (!fc->info_valid || fc->sock < 0)
		return true;
	strcpy(info.name, "filter");
	if (getsockopt(fc->sock, IPPROTO_IP, IPT_SO_GET_INFO, &info, &len) < 0)
		return true;
	return memcmp(&info, &fc->info, sizeof(info)) != 0;
}

const struct fw_counters_ops fw_counters_iptc = {
	.open = fw_counters_new,
	.refresh = fw_counters_refresh,
	.moved = fw_counters_moved,
	.close = fw_counters_free,
};
