/*
 * fw_file.c - the file-backed fake backend (SMTPGUARD_FAKE_TABLE=PATH):
 * the filter table as iptables-save -c text.  apply() changes the text
 * exactly as the libiptc writer changes the kernel: jumps at the top of
 * their built-in chain, rebuilt own chains with [0:0] counters, new
 * chains where libiptc puts them, every other line as it was.  Writers
 * serialise on an flock of PATH.lock (PATH itself is replaced by
 * rename, so it cannot carry the lock).  Tables other than filter in the
 * file are ignored and not written back.  The IPv6 filter table is the
 * file PATH.6 (ip6tables-save text), locked by PATH.6.lock.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <unistd.h>

#include "atomicfile.h"
#include "bans.h"
#include "fw.h"
#include "plan.h"

#define FW_FILE_LINE_MAX 4096

/* The file of family's table into buf; -1 with err when SMTPGUARD_FAKE_TABLE is not set. */
static int fw_file_path(int family, char *buf, size_t size, struct error *err)
{
	const char *path = fw_fake_table();

	if (!path)
		return error_set(err, "SMTPGUARD_FAKE_TABLE is not set; set it to a file for the fake table");
	if (family != AF_INET && family != AF_INET6)
		return error_set(err, "the fake table holds IPv4 and IPv6 only; use AF_INET or AF_INET6");
	if ((size_t)snprintf(buf, size, "%s%s", path, family == AF_INET6 ? ".6" : "") >= size)
		return error_set(err, "the fake table's name %s is too long; use a shorter path", path);
	return 0;
}

/* "[p:b]" at s: the counters and the rest after it, or NULL. */
static const char *fw_file_counters(const char *s, uint64_t *p, uint64_t *b)
{
	int n = 0;

	if (sscanf(s, "[%" SCNu64 ":%" SCNu64 "]%n", p, b, &n) != 2 || n == 0)
		return NULL;
	return s + n;
}

static int fw_file_line(struct fw_table *t, char *line, const char *path, unsigned lineno,
			bool *in_filter, struct error *err)
{
	char name[64], policy[32], chain[64];
	uint64_t p = 0, b = 0;
	const char *rest = line;
	const struct fw_chain *ch;

	if (!*line || *line == '#')
		return 0;
	if (*line == '*') {
		*in_filter = strcmp(line + 1, "filter") == 0;
		return 0;
	}
	if (!*in_filter)
		return 0;
	if (strcmp(line, "COMMIT") == 0) {
		*in_filter = false;
		return 0;
	}
	if (*line == ':') {
		int n = 0;

		if (sscanf(line + 1, "%63s %31s %n", name, policy, &n) != 2 || n == 0 ||
		    !fw_file_counters(line + 1 + n, &p, &b))
			return error_at(err, path, lineno, "not a chain line (\":CHAIN POLICY [p:b]\"); "
							   "fix or delete the file");
		if (fw_table_add_chain(t, name, policy, p, b, false) < 0)
			return error_at(err, path, lineno, "chain name %s is too long; fix the file", name);
		return 0;
	}
	if (*line == '[' && !(rest = fw_file_counters(line, &p, &b)))
		return error_at(err, path, lineno, "bad counters; fix or delete the file");
	while (*rest == ' ')
		rest++;
	if (sscanf(rest, "-A %63s", chain) != 1)
		return error_at(err, path, lineno, "not an iptables-save line; fix or delete the file");
	if (!(ch = fw_table_chain(t, chain)))
		return error_at(err, path, lineno, "rule of chain %s before its \":%s\" line; fix the file",
				chain, chain);
	if (fw_table_insert_rule(t, (size_t)(ch - t->chains), SIZE_MAX, rest, p, b) < 0)
		return error_set(err, "out of memory reading the fake table");
	return 0;
}

static int fw_file_read_path(const char *path, int family, struct fw_table *out,
			     struct error *err)
{
	char line[FW_FILE_LINE_MAX];
	bool in_filter = false, seen_filter = false;
	unsigned lineno = 0;
	FILE *f;

	memset(out, 0, sizeof(*out));
	out->family = family;
	if (!(f = fopen(path, "re")) && errno != ENOENT)
		return error_set(err, "cannot read the fake table %s: %s", path, strerror(errno));
	while (f && fgets(line, sizeof(line), f)) {
		lineno++;
		if (!strchr(line, '\n') && !feof(f)) {
			fclose(f);
			fw_table_free(out);
			return error_at(err, path, lineno, "line longer than %d bytes; fix the file",
					FW_FILE_LINE_MAX - 2);
		}
		line[strcspn(line, "\n")] = '\0';
		seen_filter |= strcmp(line, "*filter") == 0;
		if (fw_file_line(out, line, path, lineno, &in_filter, err) < 0) {
			fclose(f);
			fw_table_free(out);
			return -1;
		}
	}
	if (f)
		fclose(f);
	if (!seen_filter) {
		fw_table_free(out);
		if (fw_table_init_empty(out, family) < 0)
			return error_set(err, "out of memory reading the fake table");
		return 0;
	}
	fw_table_finish(out);
	return 0;
}

static int fw_file_read(int family, struct fw_table *out, struct error *err)
{
	char path[4096];

	if (fw_file_path(family, path, sizeof(path), err) < 0)
		return -1;
	return fw_file_read_path(path, family, out, err);
}

/* Make t's own chains and jumps those of rs, as plan p says. */
static int fw_file_splice(struct fw_table *t, const struct ruleset *rs, const struct plan *p,
			  struct error *err)
{
	char text[RULE_TEXT_MAX];

	if (p->jumps_change) {
		for (size_t c = 0; c < t->nchains; c++)
			for (size_t i = t->chains[c].count; i-- > 0;)
				if (strcmp(t->chains[c].policy, "-") != 0 &&
				    t->rules[t->chains[c].first + i].own)
					fw_table_delete_rule(t, c, i);
		for (size_t c = 0; c < t->nchains; c++) {
			size_t pos = 0;

			for (size_t i = 0; i < rs->nrules; i++) {
				const struct rule *r = &rs->rules[i];

				if (strcmp(r->chain, t->chains[c].name) != 0 || chain_is_own(r->chain))
					continue;
				if (rule_format_save(r, text, sizeof(text)) < 0 ||
				    fw_table_insert_rule(t, c, pos++, text, 0, 0) < 0)
					return error_set(err, "cannot add a jump to %s in the fake table",
							 r->chain);
			}
		}
	}
	for (size_t i = 0; i < p->nrebuild; i++) {
		const struct fw_chain *ch = fw_table_chain(t, p->rebuild[i]);
		long c = ch ? ch - t->chains : fw_table_add_chain(t, p->rebuild[i], "-", 0, 0, true);

		if (c < 0 || !t->chains)
			return error_set(err, "cannot create chain %s in the fake table", p->rebuild[i]);
		while (t->chains[c].count)
			fw_table_delete_rule(t, (size_t)c, 0);
		for (size_t r = 0; r < rs->nrules; r++) {
			if (strcmp(rs->rules[r].chain, p->rebuild[i]) != 0)
				continue;
			if (rule_format_save(&rs->rules[r], text, sizeof(text)) < 0 ||
			    fw_table_insert_rule(t, (size_t)c, SIZE_MAX, text, 0, 0) < 0)
				return error_set(err, "cannot add a rule to %s in the fake table",
						 p->rebuild[i]);
		}
	}
	for (size_t i = 0; i < p->ndrop; i++) {
		const struct fw_chain *ch = fw_table_chain(t, p->drop[i]);

		if (ch)
			fw_table_delete_chain(t, (size_t)(ch - t->chains));
	}
	fw_table_finish(t);
	return 0;
}

static int fw_file_apply(const struct ruleset *rs, struct plan *done, struct error *err)
{
	char path[4096];
	struct fw_table t;
	struct plan p;
	struct atomicfile af;
	char *lockpath = NULL;
	int lock, rc = -1;

	if (fw_file_path(rs->family, path, sizeof(path), err) < 0)
		return -1;
	if (asprintf(&lockpath, "%s.lock", path) < 0)
		return error_set(err, "out of memory locking the fake table");
	lock = open(lockpath, O_CREAT | O_RDWR | O_CLOEXEC, 0600);
	if (lock < 0 || flock(lock, LOCK_EX) < 0) {
		error_set(err, "cannot lock the fake table with %s: %s", lockpath, strerror(errno));
		if (lock >= 0)
			close(lock);
		free(lockpath);
		return -1;
	}
	free(lockpath);
	plan_init(&p);
	if (fw_file_read_path(path, rs->family, &t, err) < 0)
		goto unlock;
	if (plan_compute(&t, rs, &p, err) < 0)
		goto out;
	if (!plan_empty(&p)) {
		if (fw_file_splice(&t, rs, &p, err) < 0 || atomicfile_open(&af, path, err) < 0)
			goto out;
		if (fw_table_write_save(&t, true, af.fp) < 0) {
			atomicfile_abort(&af);
			error_set(err, "cannot write the fake table %s", path);
			goto out;
		}
		if (atomicfile_commit(&af, err) < 0)
			goto out;
	}
	rc = 0;
out:
	fw_table_free(&t);
unlock:
	close(lock);
	if (rc == 0 && done) {
		plan_free(done);
		*done = p;
	} else {
		plan_free(&p);
	}
	return rc;
}

/* A stand-in for iptables-legacy: its rateban rules fill the same xt_recent lists. */
const struct fw_ops fw_file_ops = {
	.name = "file",
	.kernel = false,
	.read = fw_file_read,
	.apply = fw_file_apply,
	.bans = &bans_xt_recent,
	.escalate = bans_xt_recent_escalate,
};
