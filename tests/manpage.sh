#!/bin/sh
# manpage.sh — docs/qlens.1 renders without warnings and says what it must:
# every command `qlens --help` lists, the environment variables qlens reads
# (found in the sources by getenv), and the exit statuses 0, 1, 2.
# Skipped (exit 0) when man is missing. Run by `make test`.
set -u
command -v man >/dev/null 2>&1 || { echo "manpage: no man; skipped"; exit 0; }
Q=${QLENS_BIN:-build/qlens}
P=docs/qlens.1
fails=0; passes=0
ok() { passes=$((passes+1)); }
bad() { echo "FAIL: $*"; fails=$((fails+1)); }
W=$(mktemp -d /tmp/qlens-man.XXXXXX)
trap 'rm -rf "$W"' EXIT

MANWIDTH=80 man --warnings -l "$P" >"$W/page" 2>"$W/warn"
[ -s "$W/page" ] && ok || bad "man -l $P printed nothing"
[ -s "$W/warn" ] && { bad "warnings:"; cat "$W/warn"; } || ok

section() { sed -n "/^$1\$/,/^[A-Z][A-Z ]*\$/p" "$W/page" | sed '1d;$d'; }
section COMMANDS >"$W/commands"
for c in $("$Q" --help | sed -n '/^Commands:/,/^$/p' | awk 'NF > 1 {print $1}'); do
	grep -qE "^       $c( |\$)" "$W/commands" && ok || bad "command $c is not in COMMANDS"
done
# qlens FILE, which the usage lists beside the commands
if "$Q" --help | grep -q '^ *qlens FILE'; then
	grep -qE "^       FILE( |\$)" "$W/commands" && ok || bad "qlens FILE is not in COMMANDS"
	sed -n '/^SYNOPSIS$/,/^DESCRIPTION$/p' "$W/page" | grep -q 'qlens FILE' && ok ||
		bad "qlens FILE is not in SYNOPSIS"
fi
# the shared options name the commands that take them, and those do
for o in --tensor --threads; do
	cmds=$(sed -n '/^   Options of the file commands$/,/^[A-Z]/p' "$W/page" |
		sed -n "/^       .*$o /,/^\$/p" | tr -c 'a-z\n' ' ' | tr ' ' '\n' |
		grep -xE 'quantize|report|compare|convert|info|eval|divergence' | sort -u)
	[ -n "$cmds" ] && ok || bad "$o names no command in Options of the file commands"
	for c in $cmds; do
		"$Q" "$c" "$o" 1 --help >/dev/null 2>&1 && ok || bad "$o is listed for $c, which refuses it"
	done
done
section ENVIRONMENT >"$W/env"
for v in $(grep -rhoE 'getenv\("[A-Z_]+"\)' src | sed 's/getenv("//; s/")//' | sort -u) QLENS_DATADIR; do
	case $v in QLENS_TUI_*|TERM) continue ;; esac # test hooks; TERM is listed with LANG
	grep -q "$v" "$W/env" && ok || bad "environment variable $v is not in ENVIRONMENT"
done
section "EXIT STATUS" >"$W/exit"
for s in 0 1 2; do
	grep -qE "^       $s " "$W/exit" && ok || bad "exit status $s is not in EXIT STATUS"
done
echo "manpage: $passes passed, $fails failed"
[ "$fails" -eq 0 ]
