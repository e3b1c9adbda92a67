/* signals.c — the explorer gives the terminal back on every fatal signal.
 *
 * SIGINT, SIGTERM and SIGHUP are quit requests: app.c's handler sets a flag
 * and the loop leaves curses normally. Every other signal whose default
 * action ends the process (SIGQUIT, SIGILL, SIGTRAP, SIGABRT, SIGBUS,
 * SIGFPE, SIGUSR1, SIGSEGV, SIGUSR2, SIGPIPE, SIGALRM, SIGSTKFLT, SIGXCPU,
 * SIGXFSZ, SIGVTALRM, SIGPROF, SIGIO, SIGPWR, SIGSYS and the real-time
 * signals) would leave the terminal on the alternate screen, raw, with
 * mouse reporting on and the cursor hidden. Here each of them:
 *
 *   1. writes the terminal's own "leave" sequences (rmcup, cnorm, sgr0,
 *      rmkx from terminfo, mouse reporting off), prepared when the
 *      explorer started, with write(2);
 *   2. puts back the tty modes the shell had (tcsetattr);
 *   3. removes temporary outputs (qlens/cleanup.h) and, for a SIGBUS in a
 *      mapped file, prints the one-line message and exits 1
 *      (ql_map_guard_message);
 *   4. dies of the signal as it would have (default action, re-raised),
 *      so the shell sees the same status.
 *
 * Only async-signal-safe calls in the handler: no endwin(), no stdio.
 * A signal that was ignored when qlens started stays ignored.
 *
 * While a command runs from the prompt the loop cannot act on SIGINT,
 * SIGTERM or SIGHUP; ql_tui_signals_quit_request (below) does instead.
 */
#include "tui_impl.h"

#include <signal.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include <term.h>

#include "qlens/cleanup.h"
#include "qlens/io.h"

static struct termios saved_tty;
static volatile sig_atomic_t have_tty;
static char leave_seq[512];
static size_t leave_len;

static const int fatal_signals[] = {
	SIGQUIT, SIGILL, SIGTRAP, SIGABRT, SIGBUS, SIGFPE, SIGUSR1, SIGSEGV, SIGUSR2, SIGPIPE,
	SIGALRM,
#ifdef SIGSTKFLT
	SIGSTKFLT,
#endif
	SIGXCPU, SIGXFSZ, SIGVTALRM, SIGPROF,
#ifdef SIGIO
	SIGIO,
#endif
#ifdef SIGPWR
	SIGPWR,
#endif
	SIGSYS,
};
#define N_FIXED ((int)(sizeof fatal_signals / sizeof fatal_signals[0]))
#define N_MAX (N_FIXED + 64)

static int installed[N_MAX];
static struct sigaction old_actions[N_MAX];
static int n_installed;

static void add_seq(const char *s)
{
	if (!s || s == (char *)-1)
		return;
	size_t n = strlen(s);
	if (leave_len + n < sizeof leave_seq) {
		memcpy(leave_seq + leave_len, s, n);
		leave_len += n;
	}
}

/* The leave sequences and the shell's tty modes, from a handler. */
static void give_back_terminal(void)
{
	if (leave_len) {
		ssize_t w = write(STDOUT_FILENO, leave_seq, leave_len);
		(void)w;
	}
	if (have_tty)
		tcsetattr(STDIN_FILENO, TCSADRAIN, &saved_tty);
}

static void on_fatal(int sig, siginfo_t *info, void *uctx)
{
	(void)uctx;
	give_back_terminal();
	ql_cleanup_run();
	if (sig == SIGBUS && info && ql_map_guard_message(info->si_addr))
		_exit(1);
	signal(sig, SIG_DFL);
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, sig);
	sigprocmask(SIG_UNBLOCK, &set, NULL);
	raise(sig);
	/* A fault (SIGSEGV from a bad access) re-runs the instruction and dies
	 * there; a signal whose default is to continue cannot be in the list. */
	_exit(128 + sig);
}

/* A command run from the explorer (ql_app_run_captured) holds the loop
 * that acts on the quit flag until it returns, which can be minutes: while
 * it runs, the first SIGINT (Ctrl-C: the tty sends it then) asks it to stop
 * and any other quit signal, or a second SIGINT, leaves at once, as a fatal
 * signal does, with 128 + the signal (no handler waits for the command). */
static volatile int command_cancel;
static volatile sig_atomic_t command_running;

const volatile int *ql_tui_command_begin(void)
{
	command_cancel = 0;
	command_running = 1;
	return &command_cancel;
}

bool ql_tui_command_end(void)
{
	command_running = 0;
	return command_cancel != 0;
}

bool ql_tui_signals_quit_request(int sig)
{
	if (!command_running)
		return false;
	if (sig == SIGINT && !command_cancel) {
		command_cancel = 1;
		return true;
	}
	give_back_terminal();
	ql_cleanup_run();
	_exit(128 + sig);
}

void ql_tui_signals_save_tty(void)
{
	have_tty = tcgetattr(STDIN_FILENO, &saved_tty) == 0;
}

void ql_tui_signals_install(void)
{
	/* The sequences that undo what curses set up, from the terminal's own
	 * description (curses has loaded it: newterm came first). */
	leave_len = 0;
	add_seq(tigetstr("sgr0"));
	add_seq(tigetstr("cnorm"));
	add_seq(tigetstr("rmkx"));
	const char *kmous = tigetstr("kmous");
	if (kmous && kmous != (char *)-1 && kmous[0])
		add_seq("\033[?1006l\033[?1003l\033[?1002l\033[?1000l");
	add_seq(tigetstr("rmcup"));

	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = on_fatal;
	sa.sa_flags = SA_SIGINFO | SA_RESETHAND | SA_NODEFER;
	sigemptyset(&sa.sa_mask);
	int sigs[N_MAX], n = 0;
	for (int i = 0; i < N_FIXED; i++)
		sigs[n++] = fatal_signals[i];
#if defined(SIGRTMIN) && defined(SIGRTMAX)
	for (int s = SIGRTMIN; s <= SIGRTMAX && n < N_MAX; s++)
		sigs[n++] = s;
#endif
	n_installed = 0;
	for (int i = 0; i < n; i++) {
		struct sigaction old;
		if (sigaction(sigs[i], NULL, &old) != 0 || old.sa_handler == SIG_IGN)
			continue;
		if (sigaction(sigs[i], &sa, &old_actions[n_installed]) == 0)
			installed[n_installed++] = sigs[i];
	}
}

void ql_tui_signals_remove(void)
{
	for (int i = 0; i < n_installed; i++)
		sigaction(installed[i], &old_actions[i], NULL);
	n_installed = 0;
	leave_len = 0;
}
