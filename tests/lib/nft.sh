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
