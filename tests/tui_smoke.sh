#!/bin/sh
# tui_smoke.sh — the real qlens binary in a real terminal (tmux), briefly.
#
# The screens are tested in-process by test_tui.c; this only checks what
# needs a terminal: the program starts full-screen, answers keys (also the
# escape sequences TERM does not describe), follows a resize, leaves on q,
# SIGTERM and Ctrl-C with the terminal given back (alternate screen off,
# mouse reporting off) and the right exit status, and refuses TERM=dumb.
# It runs on a private tmux server and skips (exit 0) when tmux is missing.
set -u

if ! command -v tmux >/dev/null 2>&1; then
	echo "tui_smoke: tmux not found; skipped"
	exit 0
fi
BIN=${QLENS_BIN:-build/qlens}
case $BIN in /*) ;; *) BIN=$(pwd)/$BIN ;; esac
[ -x "$BIN" ] || { echo "tui_smoke: $BIN is missing"; exit 1; }

TMP=$(mktemp -d /tmp/qlens-smoke.XXXXXX) || exit 1
n=0
T=true
fail=0
cleanup() {
	$T kill-server >/dev/null 2>&1
	rm -rf "$TMP"
}
trap cleanup EXIT INT TERM

# Runs qlens ARGS in a new 80x24 session (TERM=$SMOKE_TERM, default
# xterm-256color); its exit status lands in $TMP/rc.
start() {
	rm -f "$TMP/rc"
	$T kill-server >/dev/null 2>&1
	n=$((n + 1))
	T="tmux -L qlens-smoke-$$-$n -f /dev/null"
	$T new-session -d -s q -x 80 -y 24 \
		"cd $(pwd) && env TERM=${SMOKE_TERM:-xterm-256color} LANG=${SMOKE_LANG:-C.UTF-8} XDG_STATE_HOME=$TMP INPUTRC=/dev/null \
		 $BIN $*; echo \$? > $TMP/rc; sleep 60" || return 1
	$T set-option -t q remain-on-exit on >/dev/null 2>&1
}

screen() { $T capture-pane -t q -p; }

# Waits up to 5 s for text on the screen.
wait_for() {
	i=0
	while [ $i -lt 50 ]; do
		screen | grep -qF -- "$1" && return 0
		sleep 0.1
		i=$((i + 1))
	done
	echo "tui_smoke: '$1' never appeared; the screen was:"
	screen
	fail=1
	return 1
}

wait_rc() {
	i=0
	while [ $i -lt 50 ] && [ ! -s "$TMP/rc" ]; do
		sleep 0.1
		i=$((i + 1))
	done
	rc=$(cat "$TMP/rc" 2>/dev/null)
	if [ "$rc" != "$1" ]; then
		echo "tui_smoke: exit status '$rc', expected $1"
		fail=1
	fi
}

# After qlens left: no alternate screen, no mouse reporting, cursor shown.
check_restored() {
	alt=$($T display-message -p -t q '#{alternate_on}')
	mouse=$($T display-message -p -t q '#{mouse_any_flag}#{mouse_button_flag}#{mouse_standard_flag}')
	curs=$($T display-message -p -t q '#{cursor_flag}')
	if [ "$alt" != 0 ] || [ "$mouse" != 000 ] || [ "$curs" != 1 ]; then
		echo "tui_smoke: terminal not restored ($1): alternate=$alt mouse=$mouse cursor=$curs"
		fail=1
	fi
}

# A newcomer's path: home, bit explorer, flip, step, a command, recall it,
# the format table, too small and back, quit. (qlens runs in the source
# tree, so the explorer finds assets/samples.)
start || { echo "tui_smoke: tmux cannot start a session here; skipped"; exit 0; }
wait_for "Bit explorer"
# the course is listed first: End, then up past "Open a file", the
# evaluation, the quantization explorer and the format table to the bit
# explorer
$T send-keys -t q G k k k k Enter
wait_for "0.333251953125"
$T send-keys -t q Space
wait_for "-0.333251953125"
$T send-keys -t q Space +
wait_for "0.33349609375"
$T send-keys -t q : 'bits 0.1' Enter
wait_for "0.0999755859375"
$T send-keys -t q : Up
wait_for ":bits 0.1"
$T send-keys -t q Escape q j Enter
wait_for "Format table"
wait_for "65504"
$T resize-window -t q -x 60 -y 20
wait_for "Terminal too small"
$T resize-window -t q -x 80 -y 24
wait_for "65504"
$T send-keys -t q q q
wait_rc 0
check_restored "q"

# The quantization explorer from the shell, with the CLI's scheme: the
# figures come, b takes int4 to int3 (one bit fewer), q leaves with status 0.
# hand12's SQNR at int4 is PyTorch's (tests/golden/quant_tui.txt).
sq=$(awk -F'\t' '$1 == "hand12_sqnr" { print $2 }' tests/golden/quant_tui.txt)
[ -n "$sq" ] || { echo "tui_smoke: no hand12_sqnr in tests/golden/quant_tui.txt"; fail=1; }
start quantize assets/samples/hand12.npy --dtype int4 --tui
wait_for "SQNR $sq dB"
wait_for "qmin -7  qmax 7"
$T send-keys -t q b
wait_for "qmin -3  qmax 3"
wait_for "was $sq"
$T send-keys -t q q
wait_rc 0
check_restored "quantize --tui"

# SIGTERM: the terminal restored, status 128+15.
start bits 0.1 --tui
wait_for "0.0999755859375"
pid=$($T display-message -p -t q '#{pane_pid}')
# the pane runs sh, whose one child is qlens
kill -TERM $(pgrep -P "$pid") 2>/dev/null
wait_rc 143
check_restored "SIGTERM"

# Keys the terminal type has no sequence for: tmux sends xterm's (ESC [ 5 ~
# for PgUp, ESC [ 1 ~ / ESC [ 4 ~ for Home / End) whatever TERM says, and
# vt100 describes none of them, vt220 calls two of them Find and Select,
# xterm's own Home and End are ESC O H / ESC O F. They page and jump (a
# presentation clicker sends PgUp/PgDn), unknown ones (F5 on vt100,
# Shift-F5, Ctrl-Up) do nothing, and only Esc goes back. They were Esc:
# PgUp left a lesson, End quit from home.
for term in vt100 vt220 xterm-256color; do
	rm -rf "$TMP/qlens/lessons"
	SMOKE_TERM=$term start lesson 2
	wait_for "step 1/9" || continue
	$T send-keys -t q NPage
	wait_for "step 2/9"
	$T send-keys -t q PPage
	wait_for "step 1/9"
	$T send-keys -t q End
	wait_for "step 9/9"
	$T send-keys -t q F5 S-F5 C-Up PPage
	wait_for "step 8/9"
	$T send-keys -t q Home
	wait_for "step 1/9"
	$T send-keys -t q g
	wait_for "go to step:"
	$T send-keys -t q 5 Home 0 Enter
	wait_for "step 5/9"
	$T send-keys -t q Escape
	wait_rc 0
	# home: End reaches the last entry, Home the first; PgUp in a lesson
	# stays there
	SMOKE_TERM=$term start
	wait_for "Bit explorer"
	$T send-keys -t q End
	wait_for "▸ Open a file"
	$T send-keys -t q Home
	wait_for "▸ 0  Why quantize"
	$T send-keys -t q Enter PPage NPage
	wait_for "step 2/8"
	$T send-keys -t q Escape Escape
	wait_rc 0
done

# TERM=dumb cannot move the cursor: refused, not drawn as lines run together.
SMOKE_TERM=dumb start
wait_for "needs a terminal that can move the cursor"
wait_rc 1

# Ctrl-C quits at once; under LANG=C everything is ASCII.
SMOKE_LANG=C start
wait_for "Bit explorer"
if screen | LC_ALL=C grep -q '[^ -~]'; then
	echo "tui_smoke: non-ASCII on the screen under LANG=C:"
	screen
	fail=1
fi
$T send-keys -t q C-c
wait_rc 0
check_restored "Ctrl-C"

[ $fail -eq 0 ] && echo "tui_smoke: ok"
exit $fail
