#!/bin/sh
# tests/compile/run.sh - golden files of the compiler, rootless (TAP).
#
# NAME.conf -> `smtpguard export --format restore` must equal NAME.rules
# byte for byte, and the sh export of the same config must be valid sh
# with one -A command per own rule.  fail-NAME.conf must be refused with
# exit code 2 and an error holding the text of fail-NAME.err.  NAME.rules6
# must equal `smtpguard export --family 6` of NAME.conf, NAME.nft the
# nftables backend's table (`smtpguard export --format nft`).
# tests/ns/render.sh proves the .rules files are what the kernel prints,
# tests/ns/nft_render.sh the .nft files.
cd "$(dirname "$0")/../.." || exit 1
. tests/lib/tap.sh

SMTPGUARD=${SMTPGUARD:-./smtpguard}
dir=tests/compile
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT

if [ ! -x "$SMTPGUARD" ]; then
	fail "smtpguard is built" "no $SMTPGUARD: run make first"
	done_testing
	exit
fi

for conf in "$dir"/*.conf; do
	name=$(basename "$conf" .conf)
	case $name in fail-*) continue ;; esac
	if ! "$SMTPGUARD" -c "$conf" export --format restore >"$tmp/$name.rules" 2>"$tmp/$name.err"; then
		fail "$name: export --format restore" "$(cat "$tmp/$name.err")"
		continue
	fi
	if cmp -s "$tmp/$name.rules" "$dir/$name.rules"; then
		ok "$name: export --format restore equals $name.rules"
	else
		fail "$name: export --format restore equals $name.rules" \
			"$(diff -u "$dir/$name.rules" "$tmp/$name.rules")"
	fi
	if ! "$SMTPGUARD" -c "$conf" export --format sh >"$tmp/$name.sh" 2>"$tmp/$name.err"; then
		fail "$name: export --format sh" "$(cat "$tmp/$name.err")"
		continue
	fi
	check "$name: sh export is valid sh" sh -n "$tmp/$name.sh"
	is "$(grep -c '^iptables-legacy -w -A ' "$tmp/$name.sh")" "$(grep -c '^-A ' "$dir/$name.rules")" \
		"$name: sh export appends as many rules as the restore file"
done

for rules in "$dir"/*.rules6; do
	name=$(basename "$rules" .rules6)
	if "$SMTPGUARD" -c "$dir/$name.conf" export --family 6 >"$tmp/$name.rules6" 2>"$tmp/$name.err" &&
		cmp -s "$tmp/$name.rules6" "$rules"; then
		ok "$name: export --family 6 equals $name.rules6"
	else
		fail "$name: export --family 6 equals $name.rules6" "$(cat "$tmp/$name.err")" \
			"$(diff -u "$rules" "$tmp/$name.rules6")"
	fi
done

for want in "$dir"/*.nft; do
	name=$(basename "$want" .nft)
	if "$SMTPGUARD" -c "$dir/$name.conf" export --format nft >"$tmp/$name.nft" 2>"$tmp/$name.err" &&
		cmp -s "$tmp/$name.nft" "$want"; then
		ok "$name: export --format nft equals $name.nft"
	else
		fail "$name: export --format nft equals $name.nft" "$(cat "$tmp/$name.err")" \
			"$(diff -u "$want" "$tmp/$name.nft")"
	fi
done

for conf in "$dir"/fail-*.conf; do
	name=$(basename "$conf" .conf)
	for format in restore nft; do
		"$SMTPGUARD" -c "$conf" export --format $format >"$tmp/out" 2>"$tmp/err"
		rc=$?
		want=$(cat "$dir/$name.err")
		if [ "$rc" = 2 ] && grep -qF -- "$want" "$tmp/err" && [ ! -s "$tmp/out" ]; then
			ok "$name: $format: refused with exit 2 and the expected error"
		else
			fail "$name: $format: refused with exit 2 and the expected error" "exit $rc" \
				"stderr: $(cat "$tmp/err")" "want: $want"
		fi
	done
done
done_testing
