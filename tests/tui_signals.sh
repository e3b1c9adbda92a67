#!/bin/sh
# tui_signals.sh — the explorer in a real terminal (tmux) against every
# signal whose default action kills, and a 100 KB paste into its ':' prompt.
#
# Signals: each default-fatal one (SIGQUIT, SIGILL, SIGTRAP, SIGABRT,
# SIGBUS, SIGFPE, SIGUSR1, SIGSEGV, SIGUSR2, SIGPIPE, SIGALRM, SIGSTKFLT,
# SIGXCPU, SIGXFSZ, SIGVTALRM, SIGPROF, SIGIO, SIGPWR, SIGSYS, two
# real-time ones) sent from outside: the terminal is given back (alternate
# screen off, mouse reporting off, cursor shown) and the shell sees 128 +
# the signal.
# A long ':' command: Ctrl-C stops it, SIGTERM and SIGHUP end qlens at once.
# Ctrl-L at the ':' prompt redraws, Ctrl-Z suspends qlens, the line kept.
# Paste: 100,000 bytes at the ':' prompt (a command, then spaces): the line
# is cut at the stated limit with a notice, the command still runs on
# Enter, Esc and q still work, and the explorer spent under 100 ms of its
# own time on all of it (QLENS_TUI_STATS).
# Skips (exit 0) when tmux is missing. Linux signal numbers.
set -u

if ! command -v tmux >/dev/null 2>&1; then
	echo "tui_signals: tmux not found; skipped"
	exit 0
fi
BIN=${QLENS_BIN:-build/qlens}
case $BIN in /*) ;; *) BIN=$(pwd)/$BIN ;; esac
[ -x "$BIN" ] || { echo "tui_signals: $BIN is missing"; exit 1; }

TMP=$(mktemp -d /tmp/qlens-tuisig.XXXXXX) || exit 1
n=0
T=true
fail=0
cleanup() {
	$T kill-server >/dev/null 2>&1
	rm -rf "$TMP"
}
trap cleanup EXIT INT TERM

start() {
	rm -f "$TMP/rc" "$TMP/stats"
	$T kill-server >/dev/null 2>&1
	n=$((n + 1))
	T="tmux -L qlens-tuisig-$$-$n -f /dev/null"
	$T new-session -d -s q -x 80 -y 24 \
		"env TERM=xterm-256color LANG=C.UTF-8 XDG_STATE_HOME=$TMP INPUTRC=/dev/null \
		 QLENS_TUI_STATS=1 ASAN_OPTIONS=detect_leaks=0 $BIN $* 2>$TMP/stats; \
		 echo \$? > $TMP/rc; sleep 60" || return 1
}

screen() { $T capture-pane -t q -p; }

wait_for() { # TEXT WHAT
	i=0
	while [ $i -lt 100 ]; do
		screen | grep -qF -- "$1" && return 0
		sleep 0.1
		i=$((i + 1))
	done
	echo "tui_signals: '$1' never appeared ($2); the screen was:"
	screen
	fail=1
	return 1
}

wait_rc() { # WANT WHAT
	i=0
	while [ $i -lt 100 ] && [ ! -s "$TMP/rc" ]; do
		sleep 0.1
		i=$((i + 1))
	done
	rc=$(cat "$TMP/rc" 2>/dev/null)
	if [ "$rc" != "$1" ]; then
		echo "tui_signals: $2: exit status '$rc', expected $1"
		fail=1
	fi
}

check_restored() {
	alt=$($T display-message -p -t q '#{alternate_on}')
	mouse=$($T display-message -p -t q '#{mouse_any_flag}#{mouse_button_flag}#{mouse_standard_flag}')
	curs=$($T display-message -p -t q '#{cursor_flag}')
	if [ "$alt" != 0 ] || [ "$mouse" != 000 ] || [ "$curs" != 1 ]; then
		echo "tui_signals: terminal not restored ($1): alternate=$alt mouse=$mouse cursor=$curs"
		fail=1
	fi
}

qlens_pid() {
	pid=$($T display-message -p -t q '#{pane_pid}')
	pgrep -P "$pid" | head -1
}

# The number of a signal name (dash's kill -l only maps numbers to names).
signum() {
	[ "$1" = STKFLT ] && [ "$(uname -s)" = Linux ] && { echo 16; return 0; }
	k=1
	while [ $k -lt 65 ]; do
		[ "$(kill -l $k 2>/dev/null)" = "$1" ] && { echo $k; return 0; }
		k=$((k + 1))
	done
	return 1
}

if [ "${TUI_SIGNALS_ONLY_PASTE:-}" = "" ]; then
	sigs="QUIT ILL TRAP ABRT BUS FPE USR1 SEGV USR2 PIPE ALRM STKFLT XCPU XFSZ VTALRM PROF IO PWR SYS"
	rt1=$(( $(kill -l RTMIN 2>/dev/null || echo 34) + 1 ))
	rt2=$(( $(kill -l RTMAX 2>/dev/null || echo 64) - 1 ))
	start || { echo "tui_signals: tmux cannot start a session here; skipped"; exit 0; }
	tested=0
	for s in $sigs $rt1 $rt2; do
		case $s in
		[0-9]*) num=$s ;;
		*) num=$(signum "$s") || { echo "tui_signals: no SIG$s here"; continue; } ;;
		esac
		start bits 0.1 --tui
		wait_for "0.0999755859375" "SIG$s" || continue
		$T send-keys -t q j # the cursor moved: curses is mid-session
		kill -"$num" "$(qlens_pid)"
		wait_rc $((128 + num)) "SIG$s"
		check_restored "SIG$s"
		tested=$((tested + 1))
	done
	if [ $tested -lt 19 ]; then
		echo "tui_signals: only $tested signals tested"
		fail=1
	fi
fi

start || { echo "tui_signals: tmux cannot start a session here; skipped"; exit 0; }
wait_for "Bit explorer" "paste"
{ printf 'bits 0.1'; head -c 99992 /dev/zero | tr '\0' ' '; } > "$TMP/paste"
[ "$(wc -c < "$TMP/paste")" -eq 100000 ] || { echo "tui_signals: paste file size"; fail=1; }
$T send-keys -t q :
wait_for ":" "paste prompt"
$T load-buffer -b p "$TMP/paste"
$T paste-buffer -b p -t q
wait_for "line too long: at most 4096 bytes" "paste notice"
$T send-keys -t q Enter
wait_for "0.0999755859375" "the pasted command's output"
$T send-keys -t q Escape
sleep 0.3
$T send-keys -t q q
wait_rc 0 "quit after the paste"
check_restored "after the paste"
if [ -s "$TMP/stats" ]; then
	# "qlens: first frame F ms; K keys, M ms mean, X ms max per key, T ms in all"
	total=$(awk '/in all/ { for (i = 1; i <= NF; i++) if ($i == "in" && $(i + 1) == "all") t = $(i - 2) } END { print t + 0 }' "$TMP/stats")
	echo "tui_signals: 100000 bytes pasted, run, Esc, q: $total ms of the explorer's time"
	if awk "BEGIN { exit !($total >= 100) }"; then
		echo "tui_signals: the paste took $total ms (want < 100 ms)"
		fail=1
	fi
else
	echo "tui_signals: no statistics from the paste run"
	fail=1
fi

# A command at the ':' prompt that runs for minutes (the entropy search on
# 524,288 groups of 32): the status line says it runs and that Ctrl-C stops
# it; Ctrl-C stops it in seconds (not when it ends) and the explorer goes
# on; SIGTERM or SIGHUP meanwhile ends qlens at once (the loop that acts on
# them is waiting for the command) with the terminal given back.
if [ "${TUI_SIGNALS_ONLY_PASTE:-}" = "" ]; then
	head -c 16777216 /dev/urandom > "$TMP/big.i8"
	long=":quantize $TMP/big.i8 --raw I8 --shape 4096x4096 --dtype int4 --group 32 --calib entropy"
	start || { echo "tui_signals: tmux cannot start a session here; skipped"; exit 0; }
	wait_for "Bit explorer" "long command"
	$T send-keys -t q "$long" Enter
	if wait_for "Ctrl-C stops it" "a long command's note"; then
		$T send-keys -t q C-c
		wait_for "tensor 'big': cancelled" "Ctrl-C during a long command"
		$T send-keys -t q ":bits 0.1" Enter
		wait_for "0.0999755859375" "a command after a stopped one"
		$T send-keys -t q q
		sleep 0.3
		$T send-keys -t q q
		wait_rc 0 "quit after a stopped command"
		check_restored "after a stopped command"
	fi
	for s in TERM HUP; do
		start
		wait_for "Bit explorer" "SIG$s during a long command"
		$T send-keys -t q "$long" Enter
		wait_for "Ctrl-C stops it" "SIG$s during a long command" || continue
		kill -"$s" "$(qlens_pid)"
		wait_rc $((128 + $(signum "$s"))) "SIG$s during a long command"
		check_restored "SIG$s during a long command"
	done
fi

# Ctrl-L redraws and Ctrl-Z suspends qlens with the ':' prompt open too
# (the help lists them under "Everywhere"; readline ignored them), and fg
# brings it back with the line still there. qlens is started from an interactive shell here: a
# stop signal to a process group without job control is discarded.
$T kill-server >/dev/null 2>&1
n=$((n + 1))
T="tmux -L qlens-tuisig-$$-$n -f /dev/null"
if $T new-session -d -s q -x 80 -y 24 "env PS1='$ ' ENV=/dev/null sh -i"; then
	$T send-keys -t q "env TERM=xterm-256color LANG=C.UTF-8 XDG_STATE_HOME=$TMP INPUTRC=/dev/null ASAN_OPTIONS=detect_leaks=0 $BIN" Enter
	if wait_for "Bit explorer" "Ctrl-Z at the prompt"; then
		$T send-keys -t q ":bits 0.1"
		wait_for ":bits 0.1" "the line before Ctrl-Z"
		# Ctrl-L there redraws (text written over the screen goes)
		printf 'SCRIBBLED-OVER' > "$($T display-message -p -t q '#{pane_tty}')"
		wait_for "SCRIBBLED-OVER" "text written over the screen"
		$T send-keys -t q C-l
		i=0
		while [ $i -lt 50 ] && screen | grep -qF "SCRIBBLED-OVER"; do
			sleep 0.1
			i=$((i + 1))
		done
		if screen | grep -qF "SCRIBBLED-OVER"; then
			echo "tui_signals: Ctrl-L at the ':' prompt did not redraw"
			fail=1
		fi
		wait_for ":bits 0.1" "the line after Ctrl-L"
		$T send-keys -t q C-z
		if wait_for "Stopped" "Ctrl-Z at the ':' prompt"; then
			$T send-keys -t q "fg" Enter
			wait_for ":bits 0.1" "the line after fg"
			$T send-keys -t q Enter
			wait_for "0.0999755859375" "the line run after fg"
			$T send-keys -t q q
			sleep 0.3
			$T send-keys -t q q
			sleep 0.3
			$T send-keys -t q 'echo "fg: $?"' Enter # fg's status is the job's
			wait_for "fg: 0" "quit after Ctrl-Z and fg"
			check_restored "after Ctrl-Z and fg"
		fi
	fi
fi

[ $fail -eq 0 ] && echo "tui_signals: ok"
exit $fail
