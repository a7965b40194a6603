# prom.sh - what the metrics tests share (sourced): the Prometheus text's grammar.
# shellcheck shell=sh

# Every line of FILE a comment or a sample of the grammar the brief fixes; at least one sample.
prom_parses() { # prom_parses FILE
	[ "$(grep -v '^#' "$1" | grep -cEv '^smtpguard_[a-z_]+(\{[^}]*\})? [0-9.e+-]+$')" = 0 ] &&
		grep -qE '^smtpguard_' "$1"
}
