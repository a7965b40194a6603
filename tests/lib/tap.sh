# tap.sh - TAP helpers for shell tests (sourced).  ok/fail print one
# line each; done_testing prints the plan and sets the exit status.
# shellcheck shell=sh

TAP_N=0
TAP_FAILED=0

ok() { # ok "description"
	TAP_N=$((TAP_N + 1))
	echo "ok $TAP_N - $1"
}

fail() { # fail "description" ["detail"...]
	TAP_N=$((TAP_N + 1))
	TAP_FAILED=$((TAP_FAILED + 1))
	echo "not ok $TAP_N - $1"
	shift
	for d in "$@"; do
		printf '%s\n' "$d" | sed 's/^/#   /'
	done
}

check() { # check "description" command... : ok when the command succeeds
	desc=$1
	shift
	if "$@" >/dev/null 2>&1; then ok "$desc"; else fail "$desc" "command failed: $*"; fi
}

is() { # is "got" "want" "description"
	if [ "$1" = "$2" ]; then ok "$3"; else fail "$3" "got:  $1" "want: $2"; fi
}

diag() { printf '%s\n' "$*" | sed 's/^/# /'; }

done_testing() {
	echo "1..$TAP_N"
	[ "$TAP_FAILED" = 0 ]
}

# A check not run here (this backend, this machine): a TAP skip, counted as skipped, never passed.
skip() { # skip "description" "reason"
	TAP_N=$((TAP_N + 1))
	echo "ok $TAP_N - $1 # SKIP $2"
}
