/*
 * escalate.h - whether `watch` escalates an offender (zone key escalate =
 * quarantine-smtp DURATION): the backend then adds it to the zone's
 * escalation list (struct fw_ops.escalate), whose rules drop its guarded
 * ports until the kernel expires it.  Pure: no I/O.
 */
#ifndef SMTPGUARD_ESCALATE_H
#define SMTPGUARD_ESCALATE_H

#include "config.h"
#include "hit.h"

/*
 * The seconds to escalate offender o for: its zone's escalate time, or 0
 * when the zone does not escalate, or o's address is a relay (general or
 * the zone's, names as resolved) or the IP of one of the zone's listed
 * devices: those are never escalated.
 */
unsigned escalate_decide(const struct config *cfg, const struct hit_source *o);

#endif
