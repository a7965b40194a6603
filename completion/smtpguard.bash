# smtpguard.bash - bash completion for smtpguard(8): subcommands, their
# options and values, files after -c/-o, and for `unban` the hosts in the
# rate-ban and escalation lists of the zones named in the config's [zone
# NAME] headers (xt_recent's lists, or what `smtpguard bans` lists).
# Needs only bash (no bash-completion helpers); installed as
# $(PREFIX)/share/bash-completion/completions/smtpguard.
# shellcheck shell=bash

_smtpguard_commands="console apply confirm status export remove hits bans unban report watch metrics"
_smtpguard_globals="-c --config -d -h --help -V --version"
# Where the kernel shows the rate-ban lists; tests point it elsewhere.
: "${_smtpguard_recent_dir:=/proc/net/xt_recent}"

# The config the command line names (-c FILE, --config FILE, --config=FILE), or the default.
_smtpguard_config()
{
	local i word config=/etc/smtpguard/smtpguard.conf
	for ((i = 1; i < ${#COMP_WORDS[@]}; i++)); do
		word=${COMP_WORDS[i]}
		if [[ $word == -c || $word == --config ]] && ((i + 1 < COMP_CWORD)); then
			if [[ ${COMP_WORDS[i + 1]} == = ]]; then
				config=${COMP_WORDS[i + 2]}
			else
				config=${COMP_WORDS[i + 1]}
			fi
		elif [[ $word == --config=?* ]]; then
			config=${word#--config=}
		fi
	done
	[[ $config == \~/* ]] && config=$HOME/${config#\~/}
	printf '%s\n' "$config"
}

# The zone names of a config: its [zone NAME] headers.
_smtpguard_zones()
{
	[[ -r $1 ]] || return 0
	sed -n 's/^[[:space:]]*\[[[:space:]]*zone[[:space:]]\{1,\}\([a-z0-9_-]\{1,12\}\)[[:space:]]*\].*/\1/p' "$1"
}

# The hosts in the rate-ban and escalation lists of the config's zones (readable by root only):
# xt_recent's lists of both families where the legacy backend keeps them, else what `smtpguard
# bans` lists (the nftables sets; the command being completed is run with the same config).
_smtpguard_banned()
{
	local zone list config found=
	config=$(_smtpguard_config)
	for zone in $(_smtpguard_zones "$config"); do
		for list in "$_smtpguard_recent_dir/SMTPGUARD-$zone" "$_smtpguard_recent_dir/SMTPGUARD-$zone"-*; do
			[[ -r $list ]] || continue
			found=1
			sed -n 's/^src=\([^ ]*\) .*/\1/p' "$list"
		done
	done
	[[ -n $found ]] && return 0
	"${COMP_WORDS[0]}" -c "$config" bans 2>/dev/null | awk 'NR > 1 && $2 ~ /[.:]/ { print $2 }'
}

_smtpguard()
{
	local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD - 1]}
	local cmd="" i word opts

	# --opt=VALUE arrives as "--opt" "=" "VALUE": complete the value of --opt.
	if [[ $cur == = ]]; then
		prev=${COMP_WORDS[COMP_CWORD - 1]}
		cur=
	elif [[ $prev == = ]] && ((COMP_CWORD >= 2)); then
		prev=${COMP_WORDS[COMP_CWORD - 2]}
	fi

	for ((i = 1; i < COMP_CWORD; i++)); do
		word=${COMP_WORDS[i]}
		case $word in
		-c | --config | -d | -o | --output | --format | --family | --confirm | --date)
			((i++))
			[[ ${COMP_WORDS[i]} == = ]] && ((i++))
			;;
		-*) ;;
		*)
			cmd=$word
			break
			;;
		esac
	done

	case $prev in
	-c | --config | -o | --output)
		mapfile -t COMPREPLY < <(compgen -f -- "$cur")
		compopt -o filenames 2>/dev/null
		return 0
		;;
	-d | --confirm | --date)
		COMPREPLY=()
		return 0
		;;
	--family)
		mapfile -t COMPREPLY < <(compgen -W "4 6" -- "$cur")
		return 0
		;;
	--format)
		case $cmd in
		export) opts="restore sh nft" ;;
		report) opts="text csv json" ;;
		*) opts= ;;
		esac
		mapfile -t COMPREPLY < <(compgen -W "$opts" -- "$cur")
		return 0
		;;
	esac

	case $cmd in
	"") opts="$_smtpguard_commands $_smtpguard_globals" ;;
	console) opts="-d --no-color --no-mouse --readonly" ;;
	apply) opts="--dry-run --check --confirm" ;;
	status | bans) opts="--json" ;;
	export) opts="--format --family -o --output" ;;
	hits) opts="--follow --json" ;;
	report) opts="--date --yesterday --format" ;;
	unban)
		if [[ $cur != -* ]]; then
			mapfile -t COMPREPLY < <(compgen -W "$(_smtpguard_banned)" -- "$cur")
			return 0
		fi
		opts=
		;;
	*) opts= ;;
	esac
	if [[ $cmd == report && $cur != -* ]]; then
		mapfile -t COMPREPLY < <(compgen -f -- "$cur")
		compopt -o filenames 2>/dev/null
		return 0
	fi
	[[ -n $cmd ]] && opts="$opts -c --config"
	mapfile -t COMPREPLY < <(compgen -W "$opts" -- "$cur")
	return 0
}

complete -F _smtpguard smtpguard
