/*
 * fw_nft.c - the nftables backend through libnftables: everything of
 * smtpguard is the table inet smtpguard (both families), written by
 * compile_nft(), changed in one transaction (one nft_run_cmd_from_buffer
 * batch), read back as `nft -s list table inet smtpguard` prints it.
 * No other table is ever named.  The only file that includes
 * libnftables, and libnftnl with libmnl, which send the element changes
 * libnftables would precede with a listing of every table (deletions,
 * escalation's additions), in a batch that can be bound to the
 * ruleset's generation (fw_nft_nl_elements()).
 *
 * The three libraries are loaded (fw_nft_lib_load(), include/dynlib.h)
 * when this backend first runs a command, not at every start: with
 * libnftables' libjansson and libgmp they are a third of what the
 * dynamic loader would do before main(), which every command on an
 * iptables host would pay for nothing.
 *
 * A description is the table's text as compile_nft() writes it; the
 * kernel's is brought to that form (fw_nft_normalize()) by joining the
 * element lists nft wraps and dropping the elements of dynamic sets
 * (the rate-ban state, which an apply keeps).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <libmnl/libmnl.h>
#include <libnftnl/common.h>
#include <libnftnl/batch.h>
#include <libnftnl/gen.h>
#include <libnftnl/set.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <nftables/libnftables.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>

#include "addr.h"
#include "bans.h"
#include "compile_nft.h"
#include "dynlib.h"
#include "fw.h"
#include "plan.h"
#include "xlock.h"

#define FW_NFT_TABLE COMPILE_NFT_FAMILY " " COMPILE_NFT_TABLE
#define FW_NFT_NAME_MAX 64

/*
 * The calls this file makes into libnftables, libnftnl and libmnl,
 * filled by fw_nft_lib_load() when the backend first needs them.
 */
#define FW_NFT_NFTABLES_CALLS(X) \
	X(nft_ctx_new) X(nft_ctx_free) X(nft_ctx_buffer_output) X(nft_ctx_buffer_error) \
	X(nft_ctx_output_set_flags) X(nft_run_cmd_from_buffer) X(nft_ctx_get_output_buffer) \
	X(nft_ctx_get_error_buffer)
#define FW_NFT_NFTNL_CALLS(X) \
	X(nftnl_batch_alloc) X(nftnl_batch_begin) X(nftnl_batch_buffer) X(nftnl_batch_end) \
	X(nftnl_batch_free) X(nftnl_batch_iovec) X(nftnl_batch_iovec_len) X(nftnl_batch_update) \
	X(nftnl_gen_alloc) X(nftnl_gen_free) X(nftnl_gen_get_u32) X(nftnl_gen_nlmsg_parse) \
	X(nftnl_nlmsg_build_hdr) X(nftnl_set_alloc) X(nftnl_set_elem_add) \
	X(nftnl_set_elem_alloc) X(nftnl_set_elem_free) X(nftnl_set_elem_set) \
	X(nftnl_set_elem_set_u32) X(nftnl_set_elem_set_u64) \
	X(nftnl_set_elems_nlmsg_build_payload) X(nftnl_set_free) X(nftnl_set_set_str) \
	X(nftnl_set_set_u32)
#define FW_NFT_MNL_CALLS(X) \
	X(mnl_attr_put_u32) X(mnl_cb_run) X(mnl_socket_bind) X(mnl_socket_close) \
	X(mnl_socket_get_fd) X(mnl_socket_get_portid) X(mnl_socket_open) X(mnl_socket_recvfrom) \
	X(mnl_socket_sendto) X(mnl_socket_setsockopt)

static struct fw_nft_calls {
	FW_NFT_NFTABLES_CALLS(DYNLIB_FIELD)
	FW_NFT_NFTNL_CALLS(DYNLIB_FIELD)
	FW_NFT_MNL_CALLS(DYNLIB_FIELD)
} lib;

#define FW_NFT_SYMBOL(name) DYNLIB_SYMBOL(struct fw_nft_calls, name)
static const struct dynlib_symbol fw_nft_nftables_symbols[] = {
	FW_NFT_NFTABLES_CALLS(FW_NFT_SYMBOL)
};
static const struct dynlib_symbol fw_nft_nftnl_symbols[] = {
	FW_NFT_NFTNL_CALLS(FW_NFT_SYMBOL)
};
static const struct dynlib_symbol fw_nft_mnl_symbols[] = {
	FW_NFT_MNL_CALLS(FW_NFT_SYMBOL)
};
#define FW_NFT_LIB(soname, package, symbols) \
	{ soname, package, "set backend = iptables", symbols, \
	  sizeof(symbols) / sizeof(*(symbols)), &lib, NULL }

/* The sonames and the Debian packages that install them; libnftables needs the other two. */
static struct dynlib fw_nft_libs[] = {
	FW_NFT_LIB("libnftables.so.1", "libnftables1", fw_nft_nftables_symbols),
	FW_NFT_LIB("libnftnl.so.11", "libnftnl11", fw_nft_nftnl_symbols),
	FW_NFT_LIB("libmnl.so.0", "libmnl0", fw_nft_mnl_symbols),
};

/* All three, once per process; -1 with err when one cannot be loaded (nothing else changes). */
static int fw_nft_lib_load(struct error *err)
{
	for (size_t i = 0; i < sizeof(fw_nft_libs) / sizeof(*fw_nft_libs); i++)
		if (dynlib_load(&fw_nft_libs[i], err) < 0)
			return -1;
	return 0;
}

/*
 * Run cmds in one batch; the output (when out is set, malloc'ed) or
 * -1 with err.  *absent (may be NULL) is set when the table does not exist.
 * libnftables writes its own "(you must be root)" line to stderr when
 * the kernel says EPERM, whatever buffers are set: without
 * CAP_NET_ADMIN it is not called at all, and an EPERM that still comes
 * (a user namespace's capability) gives the same need-root error.
 */
static int fw_nft_run(const char *cmds, unsigned flags, char **out, bool *absent,
		      struct error *err)
{
	const char *what = out ? "read" : "change";
	struct nft_ctx *ctx;
	const char *text, *why;
	int rc = -1;

	if (absent)
		*absent = false;
	if (out)
		*out = NULL;
	if (!fw_has_net_admin()) {
		fw_need_root(err, what);
		return -1;
	}
	if (fw_nft_lib_load(err) < 0)
		return -1;
	ctx = lib.nft_ctx_new(NFT_CTX_DEFAULT);
	if (ctx && (lib.nft_ctx_buffer_output(ctx) < 0 || lib.nft_ctx_buffer_error(ctx) < 0)) {
		lib.nft_ctx_free(ctx);
		ctx = NULL;
	}
	if (!ctx) {
		error_set(err, "cannot start libnftables (out of memory)");
		return -1;
	}
	lib.nft_ctx_output_set_flags(ctx, flags);
	errno = 0;
	if (lib.nft_run_cmd_from_buffer(ctx, cmds) != 0) {
		int e = errno;

		why = lib.nft_ctx_get_error_buffer(ctx);
		if (absent && strstr(why, "No such file or directory"))
			*absent = true;
		else if (e == EPERM || strstr(why, "Operation not permitted"))
			fw_need_root(err, what);
		else
			error_set(err, "nftables refused the change to table %s: %.*s", FW_NFT_TABLE,
				  (int)strcspn(why, "\n"), why);
	} else {
		text = lib.nft_ctx_get_output_buffer(ctx);
		rc = 0;
		if (out && !(*out = strdup(text ? text : "")))
			rc = error_set(err, "out of memory reading table %s", FW_NFT_TABLE);
	}
	lib.nft_ctx_free(ctx);
	if (absent && *absent)
		return 0;
	return rc;
}

/* Append len bytes of s to the growing buffer *b (NUL-terminated); -1 when out of memory. */
static int fw_nft_append(char **b, size_t *len, const char *s, size_t n)
{
	char *grown = realloc(*b, *len + n + 1);

	if (!grown)
		return -1;
	memcpy(grown + *len, s, n);
	*len += n;
	grown[*len] = '\0';
	*b = grown;
	return 0;
}

/* listing with the element lists nft wraps joined on one line; malloc'ed, NULL when out of memory. */
static char *fw_nft_join(const char *listing)
{
	char *joined = NULL;
	size_t jlen = 0;

	/* join "a,\n\t\t\t     b" continuation lines */
	for (const char *p = listing; *p;) {
		size_t n = strcspn(p, "\n");
		const char *next = p + n + (p[n] == '\n');

		if (fw_nft_append(&joined, &jlen, p, n) < 0)
			goto oom;
		if (n && p[n - 1] == ',' && *next) {
			next += strspn(next, " \t");
			if (fw_nft_append(&joined, &jlen, " ", 1) < 0)
				goto oom;
		} else if (fw_nft_append(&joined, &jlen, "\n", 1) < 0) {
			goto oom;
		}
		p = next;
	}
	return joined ? joined : strdup("");
oom:
	free(joined);
	return NULL;
}

/*
 * The kernel's listing in compile_nft()'s form: wrapped element lists
 * joined on one line, the elements of dynamic sets dropped.  malloc'ed,
 * NULL when out of memory.
 */
static char *fw_nft_normalize(const char *listing)
{
	char *b = NULL, *joined = fw_nft_join(listing);
	size_t len = 0;
	bool dynamic = false, skipping = false;

	if (!joined)
		return NULL;
	for (const char *p = joined; *p;) {
		size_t n = strcspn(p, "\n");
		const char *next = p + n + (p[n] == '\n');

		if (!strncmp(p, "\tset ", 5))
			dynamic = false;
		if (!strncmp(p, "\t\tflags ", 8) && memmem(p, n, "dynamic", 7))
			dynamic = true;
		skipping = dynamic && !strncmp(p, "\t\telements = ", 13);
		if (!skipping && fw_nft_append(&b, &len, p, (size_t)(next - p)) < 0) {
			free(joined);
			free(b);
			return NULL;
		}
		p = next;
	}
	free(joined);
	return b ? b : strdup("");
}

static int fw_nft_snapshot(char **out, struct error *err)
{
	char *listing = NULL;
	bool absent;

	*out = NULL;
	if (fw_nft_run("list table " FW_NFT_TABLE, NFT_CTX_OUTPUT_STATELESS, &listing, &absent,
		       err) < 0)
		return -1;
	if (absent || !listing)
		return 0;
	*out = fw_nft_normalize(listing);
	free(listing);
	return *out ? 0 : error_set(err, "out of memory reading table %s", FW_NFT_TABLE);
}

static char *fw_nft_compile(const struct config *cfg, struct error *err)
{
	char *text = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&text, &size);
	int rc;

	if (!f) {
		error_set(err, "out of memory compiling table %s", FW_NFT_TABLE);
		return NULL;
	}
	rc = compile_nft(cfg, f, err);
	if (fclose(f) != 0 && rc == 0)
		rc = error_set(err, "out of memory compiling table %s", FW_NFT_TABLE);
	if (rc < 0) {
		free(text);
		return NULL;
	}
	return text;
}

/* Whether line (up to its newline) occurs as a whole line in text. */
static bool fw_nft_has_line(const char *text, const char *line, size_t n)
{
	for (const char *p = text; p && *p;) {
		size_t m = strcspn(p, "\n");

		if (m == n && !memcmp(p, line, n))
			return true;
		p += m + (p[m] == '\n');
	}
	return false;
}

/* The lines of from that are not in to, as op lines of out. */
static int fw_nft_plan_side(const char *from, const char *to, char op, struct plan *out,
			    struct error *err)
{
	char line[1024];

	for (const char *p = from; p && *p;) {
		size_t n = strcspn(p, "\n");

		if (n && !fw_nft_has_line(to ? to : "", p, n)) {
			size_t indent = strspn(p, "\t");

			snprintf(line, sizeof(line), "%.*s", (int)(n - indent), p + indent);
			if (plan_add_line(out, op, line, err) < 0)
				return -1;
		}
		p += n + (p[n] == '\n');
	}
	return 0;
}

/* 0 with the name when line p is "<head>NAME {" (head: "\tchain ", "\tset "), else -1. */
static int fw_nft_head(const char *p, const char *head, char name[FW_NFT_NAME_MAX])
{
	size_t h = strlen(head), n;

	if (strncmp(p, head, h) != 0)
		return -1;
	n = strcspn(p + h, " \n");
	if (n == 0 || n >= FW_NFT_NAME_MAX || strncmp(p + h + n, " {\n", 3) != 0)
		return -1;
	memcpy(name, p + h, n);
	name[n] = '\0';
	return 0;
}

/*
 * The block "\t<kind> NAME {" .. "\t}" of a table text (a snapshot or a
 * description) and its length; NULL when text has none.
 */
static const char *fw_nft_block(const char *text, const char *kind, const char *name, size_t *len)
{
	char head[FW_NFT_NAME_MAX + 16];
	int n = snprintf(head, sizeof(head), "\t%s %s {\n", kind, name);

	*len = 0;
	for (const char *p = text; p && *p && n > 0;) {
		size_t m = strcspn(p, "\n");

		if (!strncmp(p, head, (size_t)n)) {
			const char *end = strstr(p, "\n\t}\n");

			*len = end ? (size_t)(end + 4 - p) : strlen(p);
			return p;
		}
		p += m + (p[m] == '\n');
	}
	return NULL;
}

/*
 * Whether a and b hold the same sets and chains, each the same to the
 * byte, in whatever order: the kernel lists them in the order they were
 * made, so an apply that adds a set lists it after the older ones.
 */
static bool fw_nft_same_blocks(const char *a, const char *b)
{
	static const char *const kinds[] = { "set", "chain" };
	char head[16], name[FW_NFT_NAME_MAX];
	size_t count[2] = { 0, 0 };

	for (int side = 0; side < 2; side++)
		for (const char *p = side ? b : a; *p; p += strcspn(p, "\n") + (p[strcspn(p, "\n")] == '\n'))
			for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
				size_t alen, blen;
				const char *ab, *bb;

				snprintf(head, sizeof(head), "\t%s ", kinds[k]);
				if (fw_nft_head(p, head, name) != 0)
					continue;
				count[side]++;
				ab = fw_nft_block(a, kinds[k], name, &alen);
				bb = fw_nft_block(b, kinds[k], name, &blen);
				if (!ab || !bb || alen != blen || memcmp(ab, bb, alen) != 0)
					return false;
			}
	return count[0] == count[1];
}

/* The plan of going from current (NULL: no table) to desc (NULL: no table). */
static int fw_nft_diff(const char *current, const char *desc, struct plan *out, struct error *err)
{
	plan_init(out);
	if ((!current && !desc) || (current && desc && !strcmp(current, desc)))
		return 0;
	if (current && desc && fw_nft_same_blocks(current, desc))
		return 0;
	if (fw_nft_plan_side(current, desc, '-', out, err) < 0 ||
	    fw_nft_plan_side(desc, current, '+', out, err) < 0)
		return -1;
	if (plan_empty(out))	/* the same lines in another order */
		return plan_add_line(out, '+', "(the rules in a new order)", err);
	return 0;
}

/* The fingerprint of a snapshot (NULL: no table): its text, counters and dynamic elements excluded. */
static uint64_t fw_nft_fingerprint(const char *snapshot)
{
	return snapshot ? addr_hash_bytes(ADDR_HASH_SEED, snapshot, strlen(snapshot)) : 0;
}

static int fw_nft_plan(const char *desc, struct plan *out, struct error *err)
{
	char *current;
	int rc;

	plan_init(out);
	if (fw_nft_snapshot(&current, err) < 0)
		return -1;
	rc = fw_nft_diff(current, desc, out, err);
	out->base_own = fw_nft_fingerprint(current);
	free(current);
	return rc;
}

/* Append printf's output to the growing buffer *b; -1 when out of memory or longer than a line may be. */
static int fw_nft_appendf(char **b, size_t *len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int fw_nft_appendf(char **b, size_t *len, const char *fmt, ...)
{
	char line[1024];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(line))
		return -1;
	return fw_nft_append(b, len, line, (size_t)n);
}


static bool fw_nft_is_elements(const char *line)
{
	return !strncmp(line, "\t\telements = { ", 15);
}

/* Whether two set blocks declare the same set, their elements aside. */
static bool fw_nft_same_set(const char *a, size_t alen, const char *b, size_t blen)
{
	const char *aend = a + alen, *bend = b + blen;

	for (;;) {
		size_t n, m;

		if (a < aend && fw_nft_is_elements(a))
			a += strcspn(a, "\n") + 1;
		if (b < bend && fw_nft_is_elements(b))
			b += strcspn(b, "\n") + 1;
		if (a >= aend || b >= bend)
			return a >= aend && b >= bend;
		n = strcspn(a, "\n");
		m = strcspn(b, "\n");
		if (n != m || memcmp(a, b, n) != 0)
			return false;
		a += n + 1;
		b += m + 1;
	}
}

/* The elements of a set block as "a, b" (*n bytes; none: *n = 0). */
static const char *fw_nft_element_list(const char *block, size_t len, size_t *n)
{
	const char *p = memmem(block, len, "\n\t\telements = { ", 16);

	*n = 0;
	if (!p)
		return "";
	p += 16;
	*n = strcspn(p, "\n");
	if (*n >= 2 && !memcmp(p + *n - 2, " }", 2))
		*n -= 2;
	return p;
}

/* The length of the element at p of a list ending at end. */
static size_t fw_nft_element_len(const char *p, const char *end)
{
	const char *comma = memmem(p, (size_t)(end - p), ", ", 2);

	return comma ? (size_t)(comma - p) : (size_t)(end - p);
}

/*
 * Append pre, the elements of from (flen bytes) that to (tlen) lacks as
 * "a, b", then post; nothing when to has them all.
 */
static int fw_nft_missing(const char *pre, const char *from, size_t flen, const char *to,
			  size_t tlen, const char *post, char **b, size_t *len)
{
	size_t mark = *len;
	bool any = false;

	for (const char *p = from, *end = from + flen; p < end;) {
		size_t m = fw_nft_element_len(p, end);
		bool kept = false;

		for (const char *q = to, *tend = to + tlen; q < tend && !kept;) {
			size_t k = fw_nft_element_len(q, tend);

			kept = k == m && !memcmp(p, q, m);
			q += k + 2;
		}
		if (!kept && (fw_nft_append(b, len, any ? ", " : pre, strlen(any ? ", " : pre)) < 0 ||
			      fw_nft_append(b, len, p, m) < 0))
			return -1;
		any = any || !kept;
		p += m + 2;
	}
	if (any)
		return fw_nft_append(b, len, post, strlen(post));
	if (*b)
		(*b)[*len = mark] = '\0';
	return 0;
}

/* Whether apply deletes and adds set name again: desc declares it otherwise than current. */
static bool fw_nft_set_recreated(const char *current, const char *desc, const char *name)
{
	size_t clen, dlen;
	const char *c = fw_nft_block(current, "set", name, &clen);
	const char *d = fw_nft_block(desc, "set", name, &dlen);

	return c && d && !fw_nft_same_set(c, clen, d, dlen);
}

/*
 * Whether apply flushes chain name (and adds its rules again): desc has
 * other rules for it, or one of its rules names a set apply recreates.
 */
static bool fw_nft_chain_refilled(const char *current, const char *desc, const char *name)
{
	size_t clen, dlen;
	const char *c = fw_nft_block(current, "chain", name, &clen);
	const char *d = fw_nft_block(desc, "chain", name, &dlen);
	char set[FW_NFT_NAME_MAX];

	if (!c || !d)
		return false;
	if (clen != dlen || memcmp(c, d, clen) != 0)
		return true;
	for (const char *at = memchr(c, '@', clen); at; at = memchr(at + 1, '@', clen - (size_t)(at + 1 - c))) {
		size_t n = strspn(at + 1, "abcdefghijklmnopqrstuvwxyz0123456789_-");

		if (n && n < sizeof(set)) {
			memcpy(set, at + 1, n);
			set[n] = '\0';
			if (fw_nft_set_recreated(current, desc, set))
				return true;
		}
	}
	return false;
}

/* Call fn(name) for each "\t<kind> NAME {" block of text, in order, until one fails. */
static int fw_nft_each(const char *text, const char *kind,
		       int (*fn)(const char *name, const char *current, const char *desc, char **b,
				 size_t *len),
		       const char *current, const char *desc, char **b, size_t *len)
{
	char head[FW_NFT_NAME_MAX + 8], name[FW_NFT_NAME_MAX];

	snprintf(head, sizeof(head), "\t%s ", kind);
	for (const char *p = text; p && *p;) {
		size_t n = strcspn(p, "\n");

		if (!fw_nft_head(p, head, name) && fn(name, current, desc, b, len) < 0)
			return -1;
		p += n + (p[n] == '\n');
	}
	return 0;
}

/* Step 1: empty the chains that are refilled or go. */
static int fw_nft_step_flush(const char *name, const char *current, const char *desc, char **b,
			     size_t *len)
{
	size_t n;

	if (fw_nft_block(desc, "chain", name, &n) && !fw_nft_chain_refilled(current, desc, name))
		return 0;
	return fw_nft_appendf(b, len, "flush chain " FW_NFT_TABLE " %s\n", name);
}

/* Step 2: delete the chains desc no longer has (nothing jumps to them after step 1). */
static int fw_nft_step_delete(const char *name, const char *current, const char *desc, char **b,
			      size_t *len)
{
	size_t n;

	(void)current;
	if (fw_nft_block(desc, "chain", name, &n))
		return 0;
	return fw_nft_appendf(b, len, "delete chain " FW_NFT_TABLE " %s\n", name);
}

/*
 * Step 3: delete the sets desc no longer has or declares otherwise; of
 * the others, delete the elements desc no longer has (a dynamic set
 * keeps its elements: the bans in force).
 */
static int fw_nft_step_set(const char *name, const char *current, const char *desc, char **b,
			   size_t *len)
{
	char pre[FW_NFT_NAME_MAX + 64];
	size_t clen, dlen, cn, dn;
	const char *c = fw_nft_block(current, "set", name, &clen);
	const char *d = fw_nft_block(desc, "set", name, &dlen);
	const char *cl, *dl;

	if (!d || !fw_nft_same_set(c, clen, d, dlen))
		return fw_nft_appendf(b, len, "delete set " FW_NFT_TABLE " %s\n", name);
	if (memmem(c, clen, "dynamic", 7))
		return 0;
	cl = fw_nft_element_list(c, clen, &cn);
	dl = fw_nft_element_list(d, dlen, &dn);
	snprintf(pre, sizeof(pre), "delete element " FW_NFT_TABLE " %s { ", name);
	return fw_nft_missing(pre, cl, cn, dl, dn, " }\n", b, len);
}

static bool fw_nft_is_type(const char *line)
{
	return !strncmp(line, "\t\ttype ", 7);
}

static bool fw_nft_is_rule(const char *line)
{
	return !fw_nft_is_type(line);
}

/*
 * "add <kind> inet smtpguard NAME {", the lines of block (desc's
 * "\t<kind> NAME {" .. "\t}") between its first and last that drop()
 * rejects, and "}".
 */
static int fw_nft_add_block(const char *kind, const char *name, const char *block, size_t n,
			    bool (*drop)(const char *line), char **b, size_t *len)
{
	const char *end = block + n - 3;	/* its "\t}\n" */

	if (fw_nft_appendf(b, len, "add %s " FW_NFT_TABLE " %s {\n", kind, name) < 0)
		return -1;
	for (const char *p = block + strcspn(block, "\n") + 1; p < end;) {
		size_t m = strcspn(p, "\n") + 1;

		if (!drop(p) && fw_nft_append(b, len, p, m) < 0)
			return -1;
		p += m;
	}
	return fw_nft_append(b, len, "}\n", 2);
}

/* Whether apply writes the rules of chain name: it is new or refilled. */
static bool fw_nft_chain_filled(const char *current, const char *desc, const char *name)
{
	size_t n;

	return !fw_nft_block(current, "chain", name, &n) || fw_nft_chain_refilled(current, desc, name);
}

/* The add chain command of chain name when apply writes its rules, the body lines drop() rejects. */
static int fw_nft_chain_part(const char *name, const char *current, const char *desc,
			     bool (*drop)(const char *line), char **b, size_t *len)
{
	size_t n;
	const char *d = fw_nft_block(desc, "chain", name, &n);

	if (!fw_nft_chain_filled(current, desc, name))
		return 0;
	return fw_nft_add_block("chain", name, d, n, drop, b, len);
}

/*
 * Step 4: every chain whose rules apply writes, declared (a base chain
 * with its hook) before any rule may jump to it.
 */
static int fw_nft_step_declare(const char *name, const char *current, const char *desc, char **b,
			       size_t *len)
{
	return fw_nft_chain_part(name, current, desc, fw_nft_is_rule, b, len);
}

/* Step 5: the rules of those chains. */
static int fw_nft_step_fill(const char *name, const char *current, const char *desc, char **b,
			    size_t *len)
{
	return fw_nft_chain_part(name, current, desc, fw_nft_is_type, b, len);
}

/*
 * Step 6 (written before steps 4 and 5): set name declared with the
 * elements current lacks (all of a new or recreated set's), when it is
 * new, recreated or gains elements, or, with every, in any case: a
 * rule libnftables reads names only sets it knows without reading the
 * kernel's, those of the batch.
 */
static int fw_nft_add_set(const char *name, const char *current, const char *desc, bool every,
			  char **b, size_t *len)
{
	size_t clen, dlen, cn = 0, dn, alen = 0;
	const char *c = fw_nft_block(current, "set", name, &clen);
	const char *d = fw_nft_block(desc, "set", name, &dlen);
	const char *cl = "", *dl = fw_nft_element_list(d, dlen, &dn);
	bool fresh = !c || fw_nft_set_recreated(current, desc, name);
	char *adds = NULL;
	int rc = 0;

	if (!fresh && memmem(c, clen, "dynamic", 7))
		dn = 0;
	if (!fresh)
		cl = fw_nft_element_list(c, clen, &cn);
	if (fw_nft_missing("\t\telements = { ", dl, dn, cl, cn, " }\n", &adds, &alen) < 0)
		rc = -1;
	else if (fresh || every || adds)
		rc = fw_nft_add_block("set", name, d, dlen, fw_nft_is_elements, b, len);
	if (rc == 0 && adds) {
		*len -= 2;	/* before its "}\n" */
		rc = fw_nft_append(b, len, adds, alen) < 0 || fw_nft_append(b, len, "}\n", 2) < 0 ? -1 : 0;
	}
	free(adds);
	return rc;
}

static int fw_nft_step_add_set(const char *name, const char *current, const char *desc, char **b,
			       size_t *len)
{
	return fw_nft_add_set(name, current, desc, false, b, len);
}

static int fw_nft_step_add_every_set(const char *name, const char *current, const char *desc,
				     char **b, size_t *len)
{
	return fw_nft_add_set(name, current, desc, true, b, len);
}

/*
 * The batch that makes current desc changing only what differs, so the
 * counters of every other chain keep counting: flush the chains whose
 * rules change or that go, delete those that go, delete the sets that go
 * or change their declaration and the elements that go, then add the
 * new and changed sets and the elements that come, declare the new and
 * refilled chains and write their rules.  Into *b; -1 when out of memory.
 *
 * Only these forms, each naming table inet smtpguard: libnftables
 * (1.0.6) reads the chains and sets of every table of the ruleset
 * before a table block, `add rule` or `add element` (a delete of any
 * kind too), but not before `flush chain`, `add set` and `add chain`
 * with their contents.
 */
static int fw_nft_batch(const char *current, const char *desc, char **b, size_t *len)
{
	static const char head[] = "add table " FW_NFT_TABLE "\n";
	char *chains = NULL;
	size_t clen = 0;
	int rc;

	rc = fw_nft_append(b, len, head, sizeof(head) - 1) < 0 ||
	     fw_nft_each(current, "chain", fw_nft_step_flush, current, desc, b, len) < 0 ||
	     fw_nft_each(current, "chain", fw_nft_step_delete, current, desc, b, len) < 0 ||
	     fw_nft_each(current, "set", fw_nft_step_set, current, desc, b, len) < 0 ||
	     fw_nft_each(desc, "chain", fw_nft_step_declare, current, desc, &chains, &clen) < 0 ||
	     fw_nft_each(desc, "chain", fw_nft_step_fill, current, desc, &chains, &clen) < 0 ||
	     fw_nft_each(desc, "set", chains ? fw_nft_step_add_every_set : fw_nft_step_add_set,
			 current, desc, b, len) < 0 ||
	     (chains && fw_nft_append(b, len, chains, clen) < 0) ? -1 : 0;
	free(chains);
	return rc;
}

/*
 * ---- element deletions through libnftnl.  libnftables (1.0.6) lists
 * every table's chains, sets and elements before a `delete element`;
 * the kernel needs only the keys, and a batch that carries the
 * generation id its plan was read at (NFNL_BATCH_GENID) is refused,
 * whole, when anything was committed since ----
 */

/* A netlink message or answer fits (acks are capped: they do not echo the request). */
#define FW_NFT_NL_BUF 16384

struct fw_nft_nl {
	struct mnl_socket *sock;
	uint32_t seq, portid;
};

static int fw_nft_nl_open(struct fw_nft_nl *nl, struct error *err)
{
	if (fw_nft_lib_load(err) < 0)
		return -1;
	nl->seq = (uint32_t)time(NULL);
	nl->sock = lib.mnl_socket_open(NETLINK_NETFILTER);
	if (!nl->sock || lib.mnl_socket_bind(nl->sock, 0, MNL_SOCKET_AUTOPID) < 0) {
		error_set(err, "cannot open a netlink socket to nftables: %s", strerror(errno));
		if (nl->sock)
			lib.mnl_socket_close(nl->sock);
		return -1;
	}
	nl->portid = lib.mnl_socket_get_portid(nl->sock);
	lib.mnl_socket_setsockopt(nl->sock, NETLINK_CAP_ACK, &(int){ 1 }, sizeof(int));
	return 0;
}

/*
 * Read the answers up to the first ack (each request asks for one, a
 * batch only on its last message) or error: 0, or -1 with errno the
 * kernel's.
 */
static int fw_nft_nl_answer(struct fw_nft_nl *nl, mnl_cb_t cb, void *data)
{
	char reply[FW_NFT_NL_BUF];
	ssize_t n;
	int rc;

	while ((n = lib.mnl_socket_recvfrom(nl->sock, reply, sizeof(reply))) > 0)
		if ((rc = lib.mnl_cb_run(reply, (size_t)n, 0, nl->portid, cb, data)) <= 0)
			return rc;
	return -1;
}

static int fw_nft_nl_gen_cb(const struct nlmsghdr *nlh, void *data)
{
	struct nftnl_gen *gen = lib.nftnl_gen_alloc();

	if (!gen || lib.nftnl_gen_nlmsg_parse(nlh, gen) < 0) {
		lib.nftnl_gen_free(gen);
		return MNL_CB_ERROR;
	}
	*(uint32_t *)data = lib.nftnl_gen_get_u32(gen, NFTNL_GEN_ID);
	lib.nftnl_gen_free(gen);
	return MNL_CB_OK;
}

/* The ruleset's generation id now into *id. */
static int fw_nft_nl_genid(struct fw_nft_nl *nl, uint32_t *id, struct error *err)
{
	char buf[FW_NFT_NL_BUF];
	struct nlmsghdr *nlh = lib.nftnl_nlmsg_build_hdr(buf, NFT_MSG_GETGEN, AF_UNSPEC, NLM_F_ACK,
						     nl->seq++);

	if (lib.mnl_socket_sendto(nl->sock, nlh, nlh->nlmsg_len) < 0 ||
	    fw_nft_nl_answer(nl, fw_nft_nl_gen_cb, id) < 0)
		return error_set(err, "cannot read the nftables ruleset's generation: %s",
				 strerror(errno));
	return 0;
}

/*
 * An element as nft lists it ("192.0.2.5", "192.0.2.0/24", "a-b",
 * "00:02:2d:11:22:33 . 2001:db8::9") as the keys the kernel keeps: an
 * interval set's range [lo, hi] as lo and, flagged as the end, hi + 1
 * (none when hi is the last address); a concatenation's parts each
 * padded to 4 bytes, as nft's registers hold them.  -1 when it is none
 * of these.
 */
static int fw_nft_nl_keys(const char *text, bool interval, unsigned char start[32],
			  unsigned char end[32], uint32_t *len, bool *has_end)
{
	char part[2 * ADDR_TEXT_MAX + 8], *dash;
	const char *dot = strstr(text, " . ");
	struct addr lo, hi;
	unsigned char mask[16], *p = start;
	size_t n;

	memset(start, 0, 32);
	*has_end = false;
	if (dot) {
		snprintf(part, sizeof(part), "%.*s", (int)(dot - text), text);
		if (mac_parse(part, p, NULL) < 0)
			return -1;
		p += 8;
		text = dot + 3;
	}
	if (strlen(text) >= sizeof(part))
		return -1;
	memcpy(part, text, strlen(text) + 1);
	dash = strchr(part, '-');
	if (dash)
		*dash = '\0';
	if (addr_parse(part, &lo, NULL) < 0 || (dash && addr_parse(dash + 1, &hi, NULL) < 0))
		return -1;
	n = lo.family == AF_INET ? 4 : 16;
	if (!dash) {
		hi = lo;
		addr_mask(&lo, mask);
		for (size_t i = 0; i < n; i++)
			hi.bytes[i] |= (unsigned char)~mask[i];
	}
	memcpy(p, lo.bytes, n);
	*len = (uint32_t)(p - start + (ptrdiff_t)n);
	if (!interval || dot)
		return 0;
	memcpy(end, hi.bytes, n);
	for (size_t i = n; i-- > 0;)
		if (++end[i] != 0) {
			*has_end = true;
			break;
		}
	return 0;
}

/*
 * Add the keys of element text (n bytes; "KEY" or "KEY timeout Ns") to
 * set s; -1 when it cannot be read or out of memory.
 */
static int fw_nft_nl_element(struct nftnl_set *s, const char *text, size_t n, bool interval)
{
	unsigned char start[32], end[32];
	char elem[2 * ADDR_TEXT_MAX + 8];
	uint32_t len;
	bool has_end;

	const char *t;
	unsigned seconds = 0;

	snprintf(elem, sizeof(elem), "%.*s", (int)n, text);
	if ((t = strstr(elem, " timeout ")) && sscanf(t, " timeout %us", &seconds) != 1)
		return -1;
	if (t)
		elem[t - elem] = '\0';
	if (fw_nft_nl_keys(elem, interval, start, end, &len, &has_end) < 0)
		return -1;
	for (int k = 0; k < 1 + has_end; k++) {
		struct nftnl_set_elem *e = lib.nftnl_set_elem_alloc();

		if (!e || lib.nftnl_set_elem_set(e, NFTNL_SET_ELEM_KEY, k ? end : start, len) < 0) {
			lib.nftnl_set_elem_free(e);
			return -1;
		}
		if (k)
			lib.nftnl_set_elem_set_u32(e, NFTNL_SET_ELEM_FLAGS, NFT_SET_ELEM_INTERVAL_END);
		if (seconds)
			lib.nftnl_set_elem_set_u64(e, NFTNL_SET_ELEM_TIMEOUT, (uint64_t)seconds * 1000);
		lib.nftnl_set_elem_add(s, e);
	}
	return 0;
}

/*
 * One message for the line "delete element inet smtpguard SET { a, b }"
 * (DELSETELEM) or "add element inet smtpguard SET { a timeout Ns }"
 * (NEWSETELEM) into the batch; interval when current declares the set
 * so.  -1 when the line is not of that form.
 */
static int fw_nft_nl_line(struct nftnl_batch *batch, const char *line, size_t n,
			  const char *current, bool last, uint32_t seq)
{
	static const char del[] = "delete element " FW_NFT_TABLE " ", add[] = "add element " FW_NFT_TABLE " ";
	bool adding = strncmp(line, add, sizeof(add) - 1) == 0;
	char name[FW_NFT_NAME_MAX];
	const char *p = line + (adding ? sizeof(add) : sizeof(del)) - 1, *end = line + n, *block;
	size_t nlen = strcspn(p, " "), blen;
	struct nftnl_set *s;
	struct nlmsghdr *nlh;
	bool interval;
	int rc = 0;

	if ((!adding && strncmp(line, del, sizeof(del) - 1) != 0) || nlen == 0 || nlen >= sizeof(name) ||
	    strncmp(p + nlen, " { ", 3) != 0 || n < 2 || line[n - 1] != '}')
		return -1;
	memcpy(name, p, nlen);
	name[nlen] = '\0';
	block = current ? fw_nft_block(current, "set", name, &blen) : NULL;
	interval = block && memmem(block, blen, "flags interval", 14);
	if (!(s = lib.nftnl_set_alloc()))
		return -1;
	lib.nftnl_set_set_u32(s, NFTNL_SET_FAMILY, NFPROTO_INET);
	lib.nftnl_set_set_str(s, NFTNL_SET_TABLE, COMPILE_NFT_TABLE);
	lib.nftnl_set_set_str(s, NFTNL_SET_NAME, name);
	for (p += nlen + 3, end -= 2; p < end && rc == 0;) {
		size_t m = strcspn(p, ",");

		if (p + m > end)
			m = (size_t)(end - p);
		rc = fw_nft_nl_element(s, p, m, interval);
		p += m + 2;
	}
	if (rc == 0) {
		nlh = lib.nftnl_nlmsg_build_hdr(lib.nftnl_batch_buffer(batch),
					    adding ? NFT_MSG_NEWSETELEM : NFT_MSG_DELSETELEM, NFPROTO_INET,
					    (uint16_t)((adding ? NLM_F_CREATE : 0) | (last ? NLM_F_ACK : 0)), seq);
		lib.nftnl_set_elems_nlmsg_build_payload(nlh, s);
		rc = lib.nftnl_batch_update(batch);
	}
	lib.nftnl_set_free(s);
	return rc;
}

/* Send batch b (its pages in one message); -1 with errno. */
static int fw_nft_nl_send(struct fw_nft_nl *nl, struct nftnl_batch *b)
{
	int n = lib.nftnl_batch_iovec_len(b);
	struct iovec *iov = calloc((size_t)n, sizeof(*iov));
	struct sockaddr_nl to = { .nl_family = AF_NETLINK };
	struct msghdr msg = { .msg_name = &to, .msg_namelen = sizeof(to), .msg_iov = iov,
			      .msg_iovlen = (size_t)n };
	ssize_t sent;

	if (!iov)
		return -1;
	lib.nftnl_batch_iovec(b, iov, (uint32_t)n);
	sent = sendmsg(lib.mnl_socket_get_fd(nl->sock), &msg, 0);
	free(iov);
	return sent < 0 ? -1 : 0;
}

/* Whether batch (as fw_nft_batch() writes it) only deletes elements. */
static bool fw_nft_nl_deletes_only(const char *batch)
{
	static const char head[] = "add table " FW_NFT_TABLE "\n";
	const char *p = batch;
	bool any = false;

	if (!strncmp(p, head, sizeof(head) - 1))
		p += sizeof(head) - 1;
	for (; *p; p += strcspn(p, "\n") + (p[strcspn(p, "\n")] == '\n')) {
		if (strncmp(p, "delete element ", 15) != 0)
			return false;
		any = true;
	}
	return any;
}

/*
 * Send batch's "delete element" and "add element" lines as one netlink
 * batch, refused by the kernel unless the ruleset is still at
 * generation genid (ERESTART; 0: at any);
 * current (may be NULL: no interval sets) is the listing the lines were
 * made from.  0 done, 1 refused for the generation, -1 with err.
 */
static int fw_nft_nl_elements(struct fw_nft_nl *nl, const char *batch, const char *current,
			    uint32_t genid, struct error *err)
{
	struct nftnl_batch *b = lib.nftnl_batch_alloc(FW_NFT_NL_BUF, FW_NFT_NL_BUF);
	const char *p = batch;
	struct nlmsghdr *nlh;
	int rc = b ? 0 : -1;

	if (rc == 0) {
		nlh = lib.nftnl_batch_begin(lib.nftnl_batch_buffer(b), nl->seq++);
		if (genid)
			lib.mnl_attr_put_u32(nlh, NFNL_BATCH_GENID, htonl(genid));
		rc = lib.nftnl_batch_update(b);
	}
	while (rc == 0 && *p) {
		size_t n = strcspn(p, "\n");

		if (!strncmp(p, "delete element ", 15) || !strncmp(p, "add element ", 12))
			rc = fw_nft_nl_line(b, p, n, current, p[n] == '\0' || p[n + 1] == '\0', nl->seq++);
		p += n + (p[n] == '\n');
	}
	if (rc < 0) {
		lib.nftnl_batch_free(b);
		return error_set(err, "cannot build the deletion from table %s (out of memory, or an "
				      "element it cannot read)", FW_NFT_TABLE);
	}
	lib.nftnl_batch_end(lib.nftnl_batch_buffer(b), nl->seq++);
	lib.nftnl_batch_update(b);
	rc = fw_nft_nl_send(nl, b) < 0 ? -1 : fw_nft_nl_answer(nl, NULL, NULL);
	lib.nftnl_batch_free(b);
	if (rc < 0 && errno == ERESTART)
		return 1;
	if (rc < 0)
		return error_set(err, "nftables refused the change to table %s: %s", FW_NFT_TABLE,
				 strerror(errno));
	return 0;
}

/* The conflict: planned and now (NULL: no table) name the first difference when both are known. */
static int fw_nft_conflict(const char *planned, const char *now, bool known, struct error *err)
{
	char what[320] = "";
	struct plan d;

	plan_init(&d);
	if (known && fw_nft_diff(planned, now, &d, err) == 0 && d.nlines > 0)
		snprintf(what, sizeof(what), " (%c %.300s)", d.lines[0].op, d.lines[0].text);
	plan_free(&d);
	error_set(err, "table %s was changed by another writer since the plan was made%s: nothing "
		       "applied; run apply again", FW_NFT_TABLE, what);
	err->code = ERROR_CONFLICT;
	return -1;
}

/*
 * Read, plan and commit under smtpguard's lock (the xtables lock, which
 * every apply and rollback of smtpguard takes), refusing a table that is
 * not the one planned against: the caller's plan (rs->expect_own), and
 * the first read of this call, read again just before the commit.  What
 * remains is the moment between that second read and the commit, for a
 * writer that does not take the lock (`nft`).  It cannot be closed from
 * here: libnftables builds and sends the batch within
 * nft_run_cmd_from_buffer() from a cache it reads itself in that call,
 * and whatever generation check it makes (NFNL_BATCH_GENID in the batch
 * begin, a replay on ERESTART) is against that cache; its API neither
 * gives the ruleset's generation id nor takes one.  In that moment a
 * change to a chain this batch flushes or an element it deletes is lost;
 * one anywhere else survives, as the batch touches only what differs.
 */
/*
 * The commit of batch (NULL: delete the table), made against current;
 * the table is read again first and must still be current.  A batch
 * that only deletes elements goes through libnftnl, bound to the
 * generation that read was taken at: when the kernel refuses it for
 * the generation (anything committed since, in any table), the table is
 * read again and, still the same, the batch sent again, a few times.
 * libnftables' commit cannot be bound so: when the generation after it
 * is not the one before the read plus its own, another commit came in
 * between or just after, and done's note says so.
 */
static int fw_nft_commit(const char *current, const char *batch, struct plan *done,
			 struct error *err)
{
	struct fw_nft_nl nl = { 0 };
	bool direct = batch && fw_nft_nl_deletes_only(batch);
	char *now = NULL;
	uint32_t gen = 0, after = 0;
	int rc = fw_nft_nl_open(&nl, err);

	for (int tries = 0; rc == 0; tries++) {
		if (tries == 5) {
			rc = error_set(err, "the nftables ruleset kept changing while table %s was "
					    "changed: nothing applied; run apply again", FW_NFT_TABLE);
			break;
		}
		if (fw_nft_nl_genid(&nl, &gen, err) < 0 || fw_nft_snapshot(&now, err) < 0) {
			rc = -1;
			break;
		}
		if (fw_nft_fingerprint(now) != fw_nft_fingerprint(current)) {
			rc = fw_nft_conflict(current, now, true, err);
			break;
		}
		free(now);
		now = NULL;
		if (direct) {
			rc = fw_nft_nl_elements(&nl, batch, current, gen, err);
			if (rc != 1)
				break;
			rc = 0;	/* another commit came first: read again */
			continue;
		}
		rc = fw_nft_run(batch ? batch : "delete table " FW_NFT_TABLE, 0, NULL, NULL, err);
		if (rc == 0 && fw_nft_nl_genid(&nl, &after, err) == 0 && after != gen + 1)
			snprintf(done->note, sizeof(done->note),
				 "another nftables commit came while table %s was changed (ruleset "
				 "generation %" PRIu32 " to %" PRIu32 "); if it changed that table, it may "
				 "be lost: run apply --check", FW_NFT_TABLE, gen, after);
		break;
	}
	free(now);
	if (nl.sock)
		lib.mnl_socket_close(nl.sock);
	return rc;
}

static int fw_nft_apply(const struct ruleset *rs, struct plan *done, struct error *err)
{
	const char *desc = rs->whole;
	char *current = NULL, *batch = NULL;
	struct xlock lock;
	size_t len = 0;
	int rc;

	plan_init(done);
	if (!fw_has_net_admin())
		return fw_need_root(err, "change");
	if (xlock_acquire(&lock, err) < 0)
		return -1;
	rc = fw_nft_snapshot(&current, err);
	if (rc == 0 && rs->expect_set && fw_nft_fingerprint(current) != rs->expect_own)
		rc = fw_nft_conflict(NULL, NULL, false, err);
	if (rc == 0)
		rc = fw_nft_diff(current, desc, done, err);
	if (rc == 0 && !plan_empty(done)) {
		if (desc && fw_nft_batch(current, desc, &batch, &len) < 0)
			rc = error_set(err, "out of memory changing table %s", FW_NFT_TABLE);
		else
			rc = fw_nft_commit(current, desc ? batch : NULL, done, err);
	}
	xlock_release(&lock);
	if (rc < 0) {
		plan_free(done);
		plan_init(done);
	}
	free(batch);
	free(current);
	return rc;
}
/*
 * One rule line of `nft list table` into t's last chain: "counter
 * packets P bytes B" becomes "counter" in the text and P, B its
 * counters; a rule without it is marked uncounted.
 */
static int fw_nft_add_rule(struct fw_table *t, size_t chain, const char *line, size_t n)
{
	char text[1024];
	uint64_t packets = 0, bytes = 0;
	bool counted = false;
	char *c;

	snprintf(text, sizeof(text), "%.*s", (int)n, line);
	c = strstr(text, "counter packets ");
	if (c && sscanf(c, "counter packets %" SCNu64 " bytes %" SCNu64, &packets, &bytes) == 2) {
		char *rest = strstr(c + 16, " bytes ");

		rest += 7 + strspn(rest + 7, "0123456789");
		memmove(c + 7, rest, strlen(rest) + 1);
		counted = true;
	}
	if (fw_table_insert_rule(t, chain, SIZE_MAX, text, packets, bytes) < 0)
		return -1;
	t->rules[t->nrules - 1].uncounted = !counted;
	return 0;
}

/* The hooks whose chains the rule view shows: the paths a mail to or through the gateway takes. */
static bool fw_nft_hook_shown(const char *hook)
{
	return strcmp(hook, "forward") == 0 || strcmp(hook, "input") == 0;
}

/*
 * A chain's "type T hook H priority P; policy X;" line (priorities
 * listed as numbers) into chain: its hook, priority and policy; false
 * when the line is not that.
 */
static bool fw_nft_chain_type(const char *p, size_t n, struct fw_chain *chain)
{
	char line[256], *h;

	snprintf(line, sizeof(line), "%.*s", (int)n, p);
	if (strncmp(line, "\t\ttype ", 7) != 0 || !(h = strstr(line, " hook ")) ||
	    sscanf(h, " hook %15[a-z_] priority %d", chain->hook, &chain->priority) != 2)
		return false;
	if ((h = strstr(line, "policy ")))
		sscanf(h, "policy %15[a-z]", chain->policy);
	return true;
}

/*
 * Whether the ruleset's line p, "table FAMILY NAME {", opens a table
 * whose hooked chains the rule view shows (an ip, ip6 or inet table
 * other than the own one); "FAMILY NAME" into table.
 */
static bool fw_nft_table_shown(const char *p, char *table, size_t size)
{
	static const char *const families[] = { "ip", "ip6", "inet" };
	char family[8], name[FW_NFT_NAME_MAX];
	bool ip = false;

	table[0] = '\0';
	if (sscanf(p, "table %7s %63s {", family, name) != 2)
		return false;
	snprintf(table, size, "%s %.38s", family, name);	/* fits fw_chain.table */
	for (size_t i = 0; i < sizeof(families) / sizeof(families[0]); i++)
		ip = ip || strcmp(family, families[i]) == 0;
	return ip && (strcmp(family, COMPILE_NFT_FAMILY) != 0 || strcmp(name, COMPILE_NFT_TABLE) != 0);
}

/*
 * A listing into out.  own: it is the own table, and every chain is
 * read.  Else it is the ruleset, and only the base chains on the shown
 * hooks of the other tables are, each with its table's name.  -1 when
 * out of memory.
 */
static int fw_nft_parse(const char *listing, bool own, struct fw_table *out)
{
	char table[48] = "", name[FW_NFT_NAME_MAX] = "";
	bool table_shown = own, in_chain = false;
	long chain = -1;

	for (const char *p = listing; *p;) {
		size_t n = strcspn(p, "\n");

		if (!own && !strncmp(p, "table ", 6)) {
			table_shown = fw_nft_table_shown(p, table, sizeof(table));
			in_chain = false;
		} else if (p[0] == '\t' && p[1] != '\t') {
			/* a chain, set, map, flowtable or object opens: only a chain's lines are read */
			in_chain = table_shown && fw_nft_head(p, "\tchain ", name) == 0;
			chain = in_chain && own ? fw_table_add_chain(out, name, "-", 0, 0, false) : -1;
			if (in_chain && own && chain < 0)
				return -1;
		} else if (in_chain && !strncmp(p, "\t\ttype ", 7)) {
			struct fw_chain type = { .policy = "-" };

			if (fw_nft_chain_type(p, n, &type) && !own && fw_nft_hook_shown(type.hook)) {
				if ((chain = fw_table_add_chain(out, name, "-", 0, 0, false)) < 0)
					return -1;
				snprintf(type.table, sizeof(type.table), "%s", table);
			}
			if (chain >= 0) {
				struct fw_chain *c = &out->chains[chain];

				memcpy(c->hook, type.hook, sizeof(c->hook));
				memcpy(c->policy, type.policy, sizeof(c->policy));
				memcpy(c->table, type.table, sizeof(c->table));
				c->priority = type.priority;
			}
		} else if (chain >= 0 && !strncmp(p, "\t\t", 2) && strncmp(p + 2, "comment \"", 9) != 0) {
			if (fw_nft_add_rule(out, (size_t)chain, p + 2, n - 2) < 0)
				return -1;
		}
		p += n + (p[n] == '\n');
	}
	return 0;
}

/* The own table's chains and rules with counters as the table of AF_INET; AF_INET6's is empty. */
static int fw_nft_read(int family, struct fw_table *out, struct error *err)
{
	char *listing = NULL;
	bool absent;
	int rc;

	memset(out, 0, sizeof(*out));
	out->family = family;
	if (family != AF_INET)
		return 0;
	if (fw_nft_run("list table " FW_NFT_TABLE, NFT_CTX_OUTPUT_NUMERIC_PRIO, &listing, &absent,
		       err) < 0)
		return -1;
	rc = fw_nft_parse(absent ? "" : listing, true, out);
	free(listing);
	if (rc < 0) {
		fw_table_free(out);
		return error_set(err, "out of memory reading table %s", FW_NFT_TABLE);
	}
	fw_table_finish(out);
	for (size_t i = 0; i < out->nrules; i++)
		out->rules[i].own = true;
	return 0;
}

/*
 * The other tables' base chains on the forward and input hooks: one
 * listing of the ruleset, terse (no set elements), as `nft list
 * ruleset` reads it.
 */
static int fw_nft_read_others(struct fw_table *out, struct error *err)
{
	char *listing = NULL;
	int rc;

	memset(out, 0, sizeof(*out));
	out->family = AF_INET;
	if (fw_nft_run("list ruleset", NFT_CTX_OUTPUT_NUMERIC_PRIO | NFT_CTX_OUTPUT_TERSE, &listing,
		       NULL, err) < 0)
		return -1;
	rc = fw_nft_parse(listing, false, out);
	free(listing);
	if (rc < 0) {
		fw_table_free(out);
		return error_set(err, "out of memory reading the ruleset");
	}
	fw_table_finish(out);
	return 0;
}

/*
 * ---- rate-ban sets <zone>_ban4/6 and escalation sets <zone>_esc4/6:
 * dynamic, each element with its own timeout ----
 */

/* "1m29s972ms", "2h", "1d3s" (nft's time form) in milliseconds; p moves past it. */
static uint64_t fw_nft_ms(const char **p)
{
	static const struct {
		const char *unit;
		uint64_t ms;
	} units[] = { { "ms", 1 }, { "d", 86400000 }, { "h", 3600000 }, { "m", 60000 }, { "s", 1000 } };
	uint64_t total = 0;

	while (**p >= '0' && **p <= '9') {
		char *end;
		uint64_t v = strtoull(*p, &end, 10);
		size_t i = 0;

		while (i < sizeof(units) / sizeof(units[0]) &&
		       strncmp(end, units[i].unit, strlen(units[i].unit)) != 0)
			i++;
		if (i == sizeof(units) / sizeof(units[0]))
			break;
		total += v * units[i].ms;
		*p = end + strlen(units[i].unit);
	}
	return total;
}

/*
 * The mask length of set's IPv6 key, from the rule "ip6 saddr & MASK ==
 * @set" (compile_nft's rate-ban); 128 when the key is the whole address.
 */
static unsigned fw_nft_ban_prefix(const char *listing, const char *set)
{
	static const char head[] = "ip6 saddr & ";
	char mask[ADDR_TEXT_MAX], name[FW_NFT_NAME_MAX];
	struct addr a;

	for (const char *p = strstr(listing, head); p; p = strstr(p + 1, head)) {
		if (sscanf(p + sizeof(head) - 1, "%45[0-9a-f:] == @%63[a-z0-9_]", mask, name) == 2 &&
		    !strcmp(name, set) && addr_parse(mask, &a, NULL) == 0)
			return addr_mask_length(a.bytes, sizeof(a.bytes));
	}
	return 128;
}

/* The kinds of dynamic set bans lists: the rate bans, then the escalations. */
static const struct {
	const char *infix;	/* "_ban" in "wlan_ban6" */
	bool escalated;
} fw_nft_ban_kinds[] = {
	{ "_ban", false },
	{ "_esc", true },
};

/*
 * The zone, family and kind (an index of fw_nft_ban_kinds) of a rate-ban
 * or escalation set's name ("wlan_ban6", "wlan_esc4"); -1 for any other set.
 */
static int fw_nft_ban_set(const char *name, char zone[ZONE_NAME_MAX + 1], int *family,
			  size_t *kind)
{
	size_t n = strlen(name), suffix = strlen("_ban4");

	if (n <= suffix || n - suffix > ZONE_NAME_MAX || (name[n - 1] != '4' && name[n - 1] != '6'))
		return -1;
	for (*kind = 0; *kind < sizeof(fw_nft_ban_kinds) / sizeof(fw_nft_ban_kinds[0]); ++*kind)
		if (!strncmp(name + n - suffix, fw_nft_ban_kinds[*kind].infix, suffix - 1))
			break;
	if (*kind == sizeof(fw_nft_ban_kinds) / sizeof(fw_nft_ban_kinds[0]))
		return -1;
	memcpy(zone, name, n - suffix);
	zone[n - suffix] = '\0';
	*family = name[n - 1] == '6' ? AF_INET6 : AF_INET;
	return zonename_check(zone, NULL);
}

/* Append to *out one element "ADDR timeout T expires E" of a rate-ban set. */
static int fw_nft_ban_element(const char *p, size_t n, const struct ban *proto, time_t now,
			      struct ban **out, size_t *count, size_t *cap)
{
	char text[ADDR_TEXT_MAX];
	const char *t = memmem(p, n, " timeout ", 9), *e = memmem(p, n, " expires ", 9);
	uint64_t timeout, expires;
	struct ban b = *proto;
	unsigned prefix = b.addr.prefix;

	snprintf(text, sizeof(text), "%.*s", (int)strcspn(p, " ,}"), p);
	if (!t || !e || addr_parse(text, &b.addr, NULL) < 0)
		return 0;	/* not an element of ours: left out */
	if (b.addr.family == AF_INET6)
		b.addr.prefix = prefix;
	t += 9;
	e += 9;
	timeout = fw_nft_ms(&t);
	expires = fw_nft_ms(&e);
	if (!b.ban_seconds)
		b.ban_seconds = (unsigned)(timeout / 1000);
	b.seconds_left = (long)((expires + 999) / 1000);
	b.last_seen = now - (time_t)((timeout - (expires < timeout ? expires : timeout)) / 1000);
	if (*count == *cap) {
		size_t grown = *cap ? *cap * 2 : 16;
		struct ban *more = realloc(*out, grown * sizeof(*more));

		if (!more)
			return -1;
		*out = more;
		*cap = grown;
	}
	(*out)[(*count)++] = b;
	return 0;
}

/*
 * The elements of every rate-ban and escalation set in a joined listing,
 * unsorted.  An escalation's window is its element's timeout (what watch
 * wrote), a rate ban's the zone's ban_seconds.
 */
static int fw_nft_bans_parse(const char *listing, const struct config *cfg, struct ban **out,
			     size_t *n)
{
	char name[FW_NFT_NAME_MAX];
	struct ban proto = { 0 };
	bool in_ban = false;
	size_t cap = 0;
	time_t now = time(NULL);

	for (const char *p = listing; *p;) {
		size_t len = strcspn(p, "\n");
		int family = AF_INET;
		size_t kind;

		if (!fw_nft_head(p, "\tset ", name)) {
			in_ban = fw_nft_ban_set(name, proto.zone, &family, &kind) == 0;
			proto.addr.family = family;
			proto.addr.prefix = family == AF_INET6 ? fw_nft_ban_prefix(listing, name) : 32;
			proto.escalated = in_ban && fw_nft_ban_kinds[kind].escalated;
			proto.ban_seconds = proto.escalated ? 0 : bans_zone_seconds(cfg, proto.zone, 0);
		} else if (in_ban && !strncmp(p, "\t\telements = { ", 15)) {
			for (const char *el = p + 15; el < p + len && *el != '}';) {
				size_t m = strcspn(el, ",}");

				if (fw_nft_ban_element(el, m, &proto, now, out, n, &cap) < 0)
					return -1;
				el += m + (el[m] == ',');
				el += strspn(el, " ");
			}
		}
		p += len + (p[len] == '\n');
	}
	return 0;
}

/* Every element of the rate-ban and escalation sets of table inet smtpguard (none when it is absent). */
static int fw_nft_bans_read(const struct config *cfg, struct ban **out, size_t *n,
			    struct error *err)
{
	char *listing = NULL, *joined;
	bool absent;
	int rc;

	*out = NULL;
	*n = 0;
	if (fw_nft_run("list table " FW_NFT_TABLE, 0, &listing, &absent, err) < 0)
		return -1;
	if (absent)
		return 0;
	joined = fw_nft_join(listing);
	free(listing);
	rc = joined ? fw_nft_bans_parse(joined, cfg, out, n) : -1;
	free(joined);
	if (rc < 0) {
		free(*out);
		*out = NULL;
		*n = 0;
		return error_set(err, "out of memory reading the ban sets of table %s",
				 FW_NFT_TABLE);
	}
	bans_sort(*out, *n);
	return 0;
}

/* Delete the element that covers addr (its masked key) from every rate-ban and escalation set, in one netlink batch. */
static int fw_nft_unban(const struct addr *addr, struct error *err)
{
	char set[FW_NFT_NAME_MAX], key[ADDR_TEXT_MAX], cmd[FW_NFT_NAME_MAX + ADDR_TEXT_MAX + 64];
	char *batch = NULL;
	size_t len = 0;
	struct ban *bans;
	struct fw_nft_nl nl;
	size_t n;
	int removed = 0, rc = 0;

	if (fw_nft_bans_read(NULL, &bans, &n, err) < 0)
		return -1;
	for (size_t i = 0; i < n && rc == 0; i++) {
		struct addr entry = bans[i].addr;
		int k;

		if (!addr_contains(&entry, addr))
			continue;
		entry.prefix = entry.family == AF_INET6 ? 128 : 32;
		addr_format(&entry, key, sizeof(key));
		(bans[i].escalated ? compile_nft_esc_set : compile_nft_ban_set)(bans[i].zone, entry.family,
									      set, sizeof(set));
		k = snprintf(cmd, sizeof(cmd), "delete element " FW_NFT_TABLE " %s { %s }\n", set, key);
		rc = fw_nft_append(&batch, &len, cmd, (size_t)k);
		removed++;
	}
	free(bans);
	if (rc < 0)
		rc = error_set(err, "out of memory changing table %s", FW_NFT_TABLE);
	else if (batch && (rc = fw_nft_nl_open(&nl, err)) == 0) {
		rc = fw_nft_nl_elements(&nl, batch, NULL, 0, err);
		lib.mnl_socket_close(nl.sock);
	}
	free(batch);
	return rc < 0 ? -1 : removed;
}

static const struct fw_bans_ops fw_nft_bans = {
	.read = fw_nft_bans_read,
	.unban = fw_nft_unban,
};

/* An escalation: one element with its own timeout in the zone's <zone>_esc4/6 set. */
static int fw_nft_escalate(const char *zone, const struct addr *addr, unsigned seconds,
			   struct error *err)
{
	char set[FW_NFT_NAME_MAX], host[INET6_ADDRSTRLEN], cmd[256];

	compile_nft_esc_set(zone, addr->family, set, sizeof(set));
	inet_ntop(addr->family, addr->bytes, host, sizeof(host));
	struct fw_nft_nl nl;
	int rc;

	snprintf(cmd, sizeof(cmd), "add element " FW_NFT_TABLE " %s { %s timeout %us }", set, host,
		 seconds);
	if (!fw_has_net_admin())
		return fw_need_root(err, "change");
	if (fw_nft_nl_open(&nl, err) < 0)
		return -1;
	rc = fw_nft_nl_elements(&nl, cmd, NULL, 0, err);
	lib.mnl_socket_close(nl.sock);
	return rc;
}

/* Through the whole-table description; the per-family apply is never called. */
static int fw_nft_apply_family(const struct ruleset *rs, struct plan *done, struct error *err)
{
	(void)rs;
	plan_init(done);
	return error_set(err, "the nftables backend changes both families at once");
}

static const struct fw_whole_ops fw_nft_whole = {
	.compile = fw_nft_compile,
	.snapshot = fw_nft_snapshot,
	.plan = fw_nft_plan,
	.apply = fw_nft_apply,
};

const struct fw_ops fw_nft_ops = {
	.name = "nftables",
	.kernel = true,
	.read = fw_nft_read,
	.read_others = fw_nft_read_others,
	.apply = fw_nft_apply_family,
	.bans = &fw_nft_bans,
	.escalate = fw_nft_escalate,
	.whole = &fw_nft_whole,
};
