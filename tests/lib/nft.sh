# nft.sh - nftables fixtures for the namespace tests (after netns.sh).

# A typical administrator's table in the gateway namespace: inet filter, a
# forward chain that accepts port 25 (smtpguard's drop must still win).
nft_load_foreign() {
	gw nft -f - <<'FOREIGN'
table inet filter {
	chain forward {
		type filter hook forward priority filter; policy accept;
		tcp dport 25 counter accept
	}
}
FOREIGN
}

# Skip the whole test (TAP plan 1..0) when there is no nft to set up and read the oracle.
nft_require() {
	command -v nft >/dev/null 2>&1 || { echo "1..0 # SKIP no nft (apt-get install nftables)"; exit 0; }
}

# The start of an nft namespace test with SMTP: root, nft, the topology and its servers (or exit).
nft_ns_setup() {
	ns_require_root
	nft_require
	ns_setup || { fail "topology"; done_testing; exit 1; }
	ns_start_servers || { fail "SMTP servers"; done_testing; exit 1; }
}
