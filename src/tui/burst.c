/* burst.c — reading a paste in blocks (see ql_burst in tui_impl.h).
 *
 * curses reads the terminal one byte per read(), two system calls a key,
 * so 100 KB pasted into the ':' prompt took a second of system calls. While
 * the prompt is open, app.c reads what is already waiting on the terminal
 * here, in one read() of up to 4 KB, hands the printable bytes straight to
 * the prompt, and takes every other byte back through read_key() as a key:
 * Enter, Tab, Backspace, a lone Esc, and the cursor keys' escape sequences
 * (CSI/SS3: arrows, Home, End, Delete, Insert, PageUp/Down), decoded here
 * by ql_key_sequence (keys.c) because curses would not decode bytes it did
 * not read itself. An unknown sequence is dropped whole.
 */
#include "tui_impl.h"

#include <sys/ioctl.h>
#include <unistd.h>

bool ql_burst_pending(const ql_burst *b)
{
	return b->pos < b->len;
}

/* Appends what is waiting on fd (without blocking). */
static bool fill_more(ql_burst *b, int fd)
{
	int avail = 0;
	if (ioctl(fd, FIONREAD, &avail) != 0 || avail <= 0)
		return false;
	if (b->pos == b->len)
		b->pos = b->len = 0;
	int room = (int)sizeof b->buf - b->len;
	if (room <= 0)
		return false;
	ssize_t n = read(fd, b->buf + b->len, (size_t)(avail < room ? avail : room));
	if (n <= 0)
		return false;
	b->len += (int)n;
	return true;
}

bool ql_burst_fill(ql_burst *b, int fd)
{
	return fill_more(b, fd) && ql_burst_pending(b);
}

int ql_burst_printable(ql_burst *b)
{
	if (b->pos >= b->len)
		return -1;
	unsigned char c = b->buf[b->pos];
	if (c < 0x20 || c == 0x7F)
		return -1;
	b->pos++;
	return c;
}

/* The byte at pos + k, reading more from fd if the block ends there. */
static int at(ql_burst *b, int fd, int k)
{
	if (b->pos + k >= b->len && !(b->pos + k < (int)sizeof b->buf && fill_more(b, fd)))
		return -1;
	return b->pos + k < b->len ? b->buf[b->pos + k] : -1;
}

int ql_burst_key(ql_burst *b, int fd)
{
	while (b->pos < b->len) {
		unsigned char c = b->buf[b->pos];
		if (c != 27) {
			b->pos++;
			return c;
		}
		/* ESC [ params final, ESC O final ... (ql_key_sequence) */
		int seq[QL_KEY_SEQ_MAX], n = 0, key, used, ch;
		while ((used = ql_key_sequence(seq, n, &key)) < 0 && (ch = at(b, fd, n + 1)) >= 0)
			seq[n++] = ch;
		if (used <= 0) { /* a lone Esc, or a sequence cut off: Esc */
			b->pos++;
			return 27;
		}
		b->pos += 1 + used;
		if (key != ERR)
			return key;
		/* an unknown sequence (a mouse report, Shift-F5): dropped */
	}
	return ERR;
}
