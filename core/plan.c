/*
 * plan.c - what apply would change: the own chains of a table against a
 * ruleset, compared as iptables-save text (rule_format_save of each
 * desired rule against fw_rule.text).  Pure; see include/plan.h.
 *
 * A chain whose rule list differs is rebuilt whole (flushed and refilled,
 * which is what the writers do), but the lines list only the rules that
 * differ: the common head and tail are left out.
 */
#include <stdlib.h>
#include <sys/socket.h>
#include <string.h>

#include "plan.h"

void plan_init(struct plan *p)
{
	memset(p, 0, sizeof(*p));
}

void plan_free(struct plan *p)
{
	for (size_t i = 0; i < p->nlines; i++)
		free(p->lines[i].text);
	free(p->lines);
	free(p->rebuild);
	free(p->drop);
	plan_init(p);
}

bool plan_empty(const struct plan *p)
{
	return !p->nlines && !p->nrebuild && !p->ndrop && !p->jumps_change;
}

int plan_add_line(struct plan *p, char op, const char *text, struct error *err)
{
	char *copy;

	if (p->nlines == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 16;
		struct plan_line *lines = realloc(p->lines, cap * sizeof(*lines));

		if (!lines)
			return error_set(err, "out of memory computing the plan");
		p->lines = lines;
		p->cap = cap;
	}
	if (!(copy = strdup(text)))
		return error_set(err, "out of memory computing the plan");
	p->lines[p->nlines++] = (struct plan_line){ .op = op, .text = copy };
	return 0;
}

static int plan_add_name(char (**names)[CHAIN_NAME_MAX + 1], size_t *n, const char *name,
			 struct error *err)
{
	char(*grown)[CHAIN_NAME_MAX + 1] = realloc(*names, (*n + 1) * sizeof(**names));

	if (!grown)
		return error_set(err, "out of memory computing the plan");
	*names = grown;
	snprintf(grown[*n], sizeof(grown[*n]), "%s", name);
	(*n)++;
	return 0;
}

/* The desired rules of one chain as text (owned array of owned strings). */
struct plan_texts {
	char **v;
	size_t n;
};

static void plan_texts_free(struct plan_texts *t)
{
	for (size_t i = 0; i < t->n; i++)
		free(t->v[i]);
	free(t->v);
	t->v = NULL;
	t->n = 0;
}

static int plan_texts_of(const struct ruleset *rs, const char *chain, struct plan_texts *out,
			 struct error *err)
{
	char buf[RULE_TEXT_MAX];

	out->v = NULL;
	out->n = 0;
	for (size_t i = 0; i < rs->nrules; i++) {
		const struct rule *r = &rs->rules[i];
		char **v;

		if (strcmp(r->chain, chain) != 0)
			continue;
		if (rule_format_save(r, buf, sizeof(buf)) < 0) {
			plan_texts_free(out);
			return error_set(err, "a rule of chain %s is longer than %d characters; "
					      "shorten the zone's lists", chain, RULE_TEXT_MAX);
		}
		v = realloc(out->v, (out->n + 1) * sizeof(*v));
		if (!v || !(v[out->n] = strdup(buf))) {
			if (v)
				out->v = v;
			plan_texts_free(out);
			return error_set(err, "out of memory computing the plan");
		}
		out->v = v;
		out->n++;
	}
	return 0;
}

static bool plan_ruleset_has_chain(const struct ruleset *rs, const char *name)
{
	for (size_t i = 0; i < rs->nchains; i++)
		if (strcmp(rs->chains[i], name) == 0)
			return true;
	return false;
}

/* One own chain: created, rebuilt (lines for the differing middle) or unchanged. */
static int plan_chain(struct plan *p, const struct fw_table *cur, const struct ruleset *rs,
		      const char *name, struct error *err)
{
	const struct fw_chain *ch = fw_table_chain(cur, name);
	struct plan_texts want;
	size_t head = 0, tail = 0, have = ch ? ch->count : 0;
	int rc = 0;

	if (plan_texts_of(rs, name, &want, err) < 0)
		return -1;
	if (ch) {
		const struct fw_rule *r = &cur->rules[ch->first];

		while (head < have && head < want.n && strcmp(r[head].text, want.v[head]) == 0)
			head++;
		while (tail < have - head && tail < want.n - head &&
		       strcmp(r[have - 1 - tail].text, want.v[want.n - 1 - tail]) == 0)
			tail++;
		if (head == have && head == want.n)
			goto out;
		for (size_t i = head; rc == 0 && i < have - tail; i++)
			rc = plan_add_line(p, '-', r[i].text, err);
	} else {
		rc = plan_add_line(p, ':', name, err);
	}
	for (size_t i = head; rc == 0 && i < want.n - tail; i++)
		rc = plan_add_line(p, '+', want.v[i], err);
	if (rc == 0)
		rc = plan_add_name(&p->rebuild, &p->nrebuild, name, err);
out:
	plan_texts_free(&want);
	return rc;
}

/*
 * The jumps of one built-in chain: in step when its own rules are
 * exactly the desired jumps, in order, as its first rules.
 */
static int plan_jumps(struct plan *p, const struct fw_table *cur, const struct ruleset *rs,
		      const char *name, struct error *err)
{
	const struct fw_chain *ch = fw_table_chain(cur, name);
	struct plan_texts want;
	size_t nown = 0;
	bool same = true;
	int rc = 0;

	if (plan_texts_of(rs, name, &want, err) < 0)
		return -1;
	for (size_t i = 0; ch && i < ch->count; i++) {
		const struct fw_rule *r = &cur->rules[ch->first + i];

		if (!r->own)
			continue;
		if (nown != i || nown >= want.n || strcmp(r->text, want.v[nown]) != 0)
			same = false;
		nown++;
	}
	if (same && nown == want.n)
		goto out;
	p->jumps_change = true;
	for (size_t i = 0; ch && rc == 0 && i < ch->count; i++)
		if (cur->rules[ch->first + i].own)
			rc = plan_add_line(p, '-', cur->rules[ch->first + i].text, err);
	for (size_t i = 0; rc == 0 && i < want.n; i++)
		rc = plan_add_line(p, '+', want.v[i], err);
out:
	plan_texts_free(&want);
	return rc;
}

/* Built-in chains that hold or should hold jumps: those of the table, then any the ruleset names. */
static bool plan_jump_chain_seen(const struct fw_table *cur, const struct ruleset *rs, size_t upto,
				 const char *name)
{
	for (size_t c = 0; c < cur->nchains; c++)
		if (strcmp(cur->chains[c].name, name) == 0)
			return true;
	for (size_t i = 0; i < upto; i++)
		if (strcmp(rs->rules[i].chain, name) == 0)
			return true;
	return false;
}

/* A rule that is not smtpguard's but jumps (or goes) to chain name, or NULL. */
static const struct fw_rule *plan_foreign_jump(const struct fw_table *t, const char *name)
{
	char target[CHAIN_NAME_MAX + 4];

	for (size_t i = 0; i < t->nrules; i++) {
		if (t->rules[i].own)
			continue;
		fw_rule_target(t->rules[i].text, target, sizeof(target));
		if (strcmp(target, name) == 0)
			return &t->rules[i];
	}
	return NULL;
}

/* Dropping own chain ch: refused while a rule of someone else still jumps to it. */
static int plan_drop(struct plan *p, const struct fw_table *cur, const struct fw_chain *ch,
		     struct error *err)
{
	const struct fw_rule *foreign = plan_foreign_jump(cur, ch->name);

	if (foreign)
		return error_set(err, "the %s rule '%.200s' is not smtpguard's but jumps to its chain "
				      "%s, which this change deletes; delete that rule or point it "
				      "elsewhere, then try again; the %s firewall was left unchanged",
				 cur->family == AF_INET6 ? "IPv6" : "IPv4", foreign->text, ch->name,
				 cur->family == AF_INET6 ? "IPv6" : "IPv4");
	for (size_t i = ch->first; i < ch->first + ch->count; i++)
		if (plan_add_line(p, '-', cur->rules[i].text, err) < 0)
			return -1;
	if (plan_add_line(p, 'X', ch->name, err) < 0 ||
	    plan_add_name(&p->drop, &p->ndrop, ch->name, err) < 0)
		return -1;
	return 0;
}

int plan_compute(const struct fw_table *current, const struct ruleset *desired, struct plan *out,
		 struct error *err)
{
	out->base_own = current->own_fingerprint;
	if (desired->expect_set && desired->expect_own != current->own_fingerprint) {
		error_set(err, "smtpguard's rules changed since this plan was shown (another smtpguard, "
			       "or a hand edit); nothing was applied: review the new plan");
		err->code = ERROR_CONFLICT;
		return -1;
	}
	for (size_t i = 0; i < desired->nchains; i++)
		if (plan_chain(out, current, desired, desired->chains[i], err) < 0)
			return -1;
	for (size_t c = 0; c < current->nchains; c++) {
		const struct fw_chain *ch = &current->chains[c];

		if (strcmp(ch->policy, "-") != 0 &&
		    plan_jumps(out, current, desired, ch->name, err) < 0)
			return -1;
	}
	for (size_t i = 0; i < desired->nrules; i++) {
		const char *name = desired->rules[i].chain;

		if (!chain_is_own(name) && !plan_jump_chain_seen(current, desired, i, name) &&
		    plan_jumps(out, current, desired, name, err) < 0)
			return -1;
	}
	for (size_t c = 0; c < current->nchains; c++) {
		const struct fw_chain *ch = &current->chains[c];

		if (chain_is_own(ch->name) && !plan_ruleset_has_chain(desired, ch->name) &&
		    plan_drop(out, current, ch, err) < 0)
			return -1;
	}
	return 0;
}

static const char *plan_plural(size_t n)
{
	return n == 1 ? "" : "s";
}

int plan_write(const struct plan *p, FILE *out)
{
	static const char *const prefixes[128] = {
		['+'] = "+ ",
		['-'] = "- ",
		[':'] = "+ -N ",
		['X'] = "- -X ",
	};
	size_t added = 0, removed = 0, created = 0, deleted = 0;

	for (size_t i = 0; i < p->nlines; i++) {
		const struct plan_line *l = &p->lines[i];

		fprintf(out, "%s%s\n", prefixes[(unsigned char)l->op & 127], l->text);
		added += l->op == '+';
		removed += l->op == '-';
		created += l->op == ':';
		deleted += l->op == 'X';
	}
	fprintf(out, "%zu rule%s added, %zu removed, %zu chain%s created, %zu deleted\n", added,
		plan_plural(added), removed, created, plan_plural(created), deleted);
	return ferror(out) ? -1 : 0;
}
