/*
 * ruleparse.h - the inverse of rule_format_save(): read smtpguard's own
 * rules back from iptables-save text into the IR.
 *
 * Only the grammar smtpguard writes is understood (the matches and
 * targets of include/rule.h).  A rule outside it - an own chain edited
 * by hand - is an error naming the rule, so a snapshot that cannot be
 * restored exactly is refused instead of restored wrongly.  Used to
 * snapshot the own chains before a change, so that rollback goes
 * through the same commit path as every apply.
 */
#ifndef SMTPGUARD_RULEPARSE_H
#define SMTPGUARD_RULEPARSE_H

#include "error.h"
#include "fw.h"
#include "rule.h"

/* Parse one "-A CHAIN ..." line of family into *out. */
int rule_parse_save(const char *line, int family, struct rule *out, struct error *err);

/*
 * The own chains and jumps of table as a ruleset (rs initialised by the
 * caller): the chains in table order, the jumps first, then each own
 * chain's rules.
 */
int ruleset_from_table(const struct fw_table *table, struct ruleset *rs, struct error *err);

#endif
