# bash completion for qlens                                   -*- shell-script -*-
#
# Installed by `make install` as $(PREFIX)/share/bash-completion/completions/qlens;
# to try it from the source tree: . completions/qlens.bash
#
# Completes the commands (and files: `qlens FILE` opens the explorer on one),
# each command's options (read from `qlens COMMAND --help`, so they never go
# stale), format and dtype names after the options that take them, scheme
# words (int4/g32/asym/mse: a dtype, then modifiers after slashes) where a
# command takes a scheme, the models of eval, the lessons of lesson, and
# files elsewhere.

_qlens_commands="bits dtypes quantize info report compare convert lessons lesson eval divergence paths help"
_qlens_types="fp64 fp32 fp16 bf16 fp8_e4m3 fp8_e5m2 fp6_e2m3 fp6_e3m2 fp4_e2m1 e8m0 int8 uint8 int4 uint4 int2 uint2 nf4"
_qlens_qdtypes="int8 uint8 int4 uint4 int2 uint2 int7 uint7 int6 uint6 int5 uint5 int3 uint3 fp8_e4m3 fp8_e5m2 mxfp8 mxfp4 mxint8 nf4 q8_0 q4_0 q4_1 q5_0 q5_1 q2_k q3_k q4_k q5_k q6_k q8_k iq4_nl iq4_xs tq1_0 tq2_0 mxfp4_ggml nvfp4"
_qlens_blocks="q8_0 q4_0 q4_1 q5_0 q5_1 q2_k q3_k q4_k q5_k q6_k q8_k iq4_nl iq4_xs tq1_0 tq2_0 mxfp4_ggml nvfp4"
_qlens_modifiers="sym asym ch ch0 ch1 g32 g64 g128 minmax mse entropy percentile:99.9 percentile:99.99 scale:fp16 scale:bf16"
_qlens_calibs="minmax mse entropy percentile:99.9 percentile:99.99"
_qlens_rawtypes="F64 F32 F16 BF16 F8_E4M3 F8_E5M2 I64 I32 I16 I8 U64 U32 U16 U8 BOOL Q8_0 Q4_0"

# Scheme words for the current word: a dtype, or after "DTYPE/...", the
# word so far plus one more modifier.
_qlens_scheme_words()
{
	local cur=$1 head w out="" IFS=$' \t\n'
	if [[ $cur == */* ]]; then
		head=${cur%/*}
		for w in $_qlens_modifiers; do out="$out $head/$w"; done
	else
		out=$_qlens_qdtypes
	fi
	compgen -W "$out" -- "$cur"
}

# The same for comma-separated lists (--schemes int8,int4/g32,...).
_qlens_scheme_list()
{
	local cur=$1 pre="" last=$1 w IFS=$' \t\n'
	if [[ $cur == *,* ]]; then
		pre=${cur%,*},
		last=${cur##*,}
	fi
	for w in $(_qlens_scheme_words "$last"); do printf '%s\n' "$pre$w"; done
}

# The lessons: numbers and names of the .lesson files where qlens finds
# its lessons (qlens paths), and .lesson files.
_qlens_lessons()
{
	local qlens=$1 cur=$2 dir f n out="" IFS=$' \t\n'
	dir=$("$qlens" paths 2>/dev/null | sed -n 's/^lessons  *//p')
	for f in "$dir"/*.lesson; do
		[[ -f $f ]] || continue
		n=${f##*/}
		n=${n%.lesson}
		out="$out $n ${n#*-}"
		[[ ${n%%-*} =~ ^[0-9]+$ ]] && out="$out $((10#${n%%-*}))"
	done
	compgen -W "$out" -- "$cur"
	compgen -f -X '!*.lesson' -- "$cur"
}

# A comma-separated list of the names in $2 (default: the formats).
_qlens_type_list()
{
	local cur=$1 names=${2:-$_qlens_types} pre="" last=$1 w IFS=$' \t\n'
	if [[ $cur == *,* ]]; then
		pre=${cur%,*},
		last=${cur##*,}
	fi
	for w in $(compgen -W "$names" -- "$last"); do printf '%s\n' "$pre$w"; done
}

_qlens()
{
	local cur prev words cword
	if declare -F _init_completion >/dev/null 2>&1; then
		_init_completion -n =: || return
	else
		cur=${COMP_WORDS[COMP_CWORD]}
		prev=${COMP_WORDS[COMP_CWORD-1]}
		words=("${COMP_WORDS[@]}")
		cword=$COMP_CWORD
	fi
	local qlens=${words[0]}
	local IFS=$'\n'

	# the command: the first word after qlens that is not an option
	local cmd="" i nargs=0
	for ((i = 1; i < cword; i++)); do
		if [[ ${words[i]} != -* ]]; then cmd=${words[i]}; break; fi
	done
	if [[ -z $cmd ]]; then
		if [[ $cur == -* ]]; then
			COMPREPLY=($(compgen -W $'--help\n--version' -- "$cur"))
		else
			COMPREPLY=($(compgen -W "${_qlens_commands// /$'\n'}" -- "$cur"))
			# qlens FILE: files too, when the word looks like a path or
			# starts no command
			if [[ $cur == */* || $cur == *.* || ${#COMPREPLY[@]} -eq 0 ]]; then
				COMPREPLY+=($(compgen -f -- "$cur")); compopt -o filenames 2>/dev/null
			fi
		fi
		return
	fi
	if [[ " $_qlens_commands " != *" $cmd "* ]]; then # qlens FILE [--tensor NAME]
		[[ $cur == -* ]] && COMPREPLY=($(compgen -W $'--tensor\n--help' -- "$cur"))
		return
	fi

	# in bits and dtypes, -t is --types and -d --digits (elsewhere --tensor, --dtype)
	if [[ $cmd == bits || $cmd == dtypes ]]; then
		case $prev in -t) prev=--types ;; -d) prev=--digits ;; esac
	fi
	case $prev in
	--types) # dtypes --blocks --types names block formats
		if [[ $cmd == dtypes && $'\n'"${words[*]}"$'\n' == *$'\n--blocks\n'* ]]; then # IFS is \n
			COMPREPLY=($(_qlens_type_list "$cur" "$_qlens_blocks"))
		else
			COMPREPLY=($(_qlens_type_list "$cur"))
		fi
		return ;;
	--type) COMPREPLY=($(compgen -W "${_qlens_types// /$'\n'}" -- "$cur")); return ;;
	--to) COMPREPLY=($(compgen -W $'fp32\nfp16\nbf16\nfp8_e4m3\nfp8_e5m2' -- "$cur")); return ;;
	-d|--dtype) COMPREPLY=($(compgen -W "${_qlens_qdtypes// /$'\n'}" -- "$cur")); return ;;
	-s|--scheme) COMPREPLY=($(_qlens_scheme_words "$cur")); compopt -o nospace 2>/dev/null; return ;;
	--schemes) COMPREPLY=($(_qlens_scheme_list "$cur")); compopt -o nospace 2>/dev/null; return ;;
	--calib) COMPREPLY=($(compgen -W "${_qlens_calibs// /$'\n'}" -- "$cur")); return ;;
	--sort) COMPREPLY=($(compgen -W $'name\nerror\nsize' -- "$cur")); return ;;
	--int) COMPREPLY=($(compgen -W $'cast\nround' -- "$cur")); return ;;
	--raw) COMPREPLY=($(compgen -W "${_qlens_rawtypes// /$'\n'}" -- "$cur")); return ;;
	--digits) COMPREPLY=($(compgen -W $'exact\n20\n60' -- "$cur")); return ;;
	--scale-dtype) COMPREPLY=($(compgen -W $'fp32\nfp16\nbf16' -- "$cur")); return ;;
	--act) COMPREPLY=($(compgen -W $'none\nint8-dynamic\nint8-static' -- "$cur")); return ;;
	-t|--tensor|--shape|--axis|--group|--scale|--zero-point|--threads|--hex|--keep|--width)
		return ;; # a value only the user knows
	-o|--output|--labels) COMPREPLY=($(compgen -f -- "$cur")); compopt -o filenames 2>/dev/null; return ;;
	esac

	if [[ $cur == -* ]]; then
		local opts
		# the option column only: the lines that start with an option, up to
		# the gap before their text (the text names other commands' options:
		# "qlens dtypes --blocks", "written by -o")
		opts=$("$qlens" "$cmd" --help 2>/dev/null | sed -n 's/^  *\(-[^ ].*\)/\1/p' |
			sed 's/   .*//' | grep -oE -- '(^|[ ,])--?[a-zA-Z][a-zA-Z0-9-]*' |
			sed 's/^[ ,]*//' | sort -u)
		COMPREPLY=($(compgen -W "$opts"$'\n--help' -- "$cur"))
		return
	fi

	# positional words after the command: FILE first, then a scheme
	for ((i = i + 1; i < cword; i++)); do
		case ${words[i]} in
		-t|--tensor|--shape|--axis|--group|--scale|--zero-point|--threads|--hex|--types|--type|\
		--to|-d|--dtype|-s|--scheme|--schemes|--calib|--sort|--int|--raw|--digits|-o|--output|\
		--scale-dtype|--act|--keep|--width|--labels)
			((i++)) ;;
		-*) ;;
		*) ((nargs++)) ;;
		esac
	done
	case $cmd in
	help) COMPREPLY=($(compgen -W "${_qlens_commands// /$'\n'}" -- "$cur")) ;;
	bits|dtypes|paths|lessons) ;;
	lesson) ((nargs == 0)) && COMPREPLY=($(_qlens_lessons "$qlens" "$cur")) ;;
	eval)
		if ((nargs == 0)); then # a built-in model or a model directory
			COMPREPLY=($(compgen -W $'digits\nchars' -- "$cur") $(compgen -d -- "$cur"))
		elif ((nargs == 1)); then
			COMPREPLY=($(_qlens_scheme_words "$cur")); compopt -o nospace 2>/dev/null
		fi ;;
	quantize|report|compare)
		if ((nargs == 0)); then
			COMPREPLY=($(compgen -f -- "$cur")); compopt -o filenames 2>/dev/null
		elif ((nargs == 1)); then
			COMPREPLY=($(_qlens_scheme_words "$cur")); compopt -o nospace 2>/dev/null
		fi ;;
	*) COMPREPLY=($(compgen -f -- "$cur")); compopt -o filenames 2>/dev/null ;;
	esac
}
complete -F _qlens qlens
