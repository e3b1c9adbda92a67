/* keys.c — the action table: every user action, its keys and its help.
 *
 * QL_ACTIONS (tui_impl.h) is the one list. From it come the ql_action enum,
 * this table, the key lookup, the '?' help overlay and the status-bar hints
 * (both drawn by app.c). Adding an action means adding one line there.
 *
 * Also here: the escape sequences of keys that the terminal type does not
 * describe (ql_key_sequence), read by app.c and burst.c.
 */
#include "tui_impl.h"

#include <stdio.h>
#include <string.h>

const ql_action_info ql_action_table[QL_ACT_COUNT] = {
	[QL_ACT_NONE] = {"NONE", 0, {0, 0, 0}, NULL, NULL},
#define QL_ACT_INFO(id, sc, k1, k2, k3, hnt, hlp) \
	[QL_ACT_##id] = {#id, (sc), {(k1), (k2), (k3)}, (hnt), (hlp)},
	QL_ACTIONS(QL_ACT_INFO)
#undef QL_ACT_INFO
};

static ql_action find_in(unsigned scope, int key)
{
	for (int a = 1; a < QL_ACT_COUNT; a++) {
		const ql_action_info *ai = &ql_action_table[a];
		if (!(ai->scope & scope))
			continue;
		for (int k = 0; k < 3; k++)
			if (ai->keys[k] && ai->keys[k] == key)
				return (ql_action)a;
	}
	return QL_ACT_NONE;
}

ql_action ql_action_for_key(unsigned scope, int key)
{
	/* The screen's own keys win over the shared ones (Space flips a bit in
	 * the bit explorer and pages elsewhere). */
	ql_action a = find_in(scope & ~(unsigned)(QL_SC_GLOBAL | QL_SC_NAV), key);
	if (a == QL_ACT_NONE)
		a = find_in(QL_SC_GLOBAL | QL_SC_NAV, key);
	return a;
}

const char *ql_key_label(int key, bool utf8, char *buf, size_t n)
{
	static const struct {
		int key;
		const char *u, *a;
	} names[] = {
		{KEY_UP, "↑", "Up"}, {KEY_DOWN, "↓", "Down"}, {KEY_LEFT, "←", "Left"},
		{KEY_RIGHT, "→", "Right"}, {KEY_NPAGE, "PgDn", "PgDn"}, {KEY_PPAGE, "PgUp", "PgUp"},
		{KEY_HOME, "Home", "Home"}, {KEY_END, "End", "End"}, {KEY_ENTER, "Enter", "Enter"},
		{'\n', "Enter", "Enter"}, {'\r', "Enter", "Enter"}, {27, "Esc", "Esc"},
		{' ', "Space", "Space"}, {'\t', "Tab", "Tab"}, {KEY_BACKSPACE, "Bksp", "Bksp"},
		{KEY_BTAB, "S-Tab", "S-Tab"},
	};
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (names[i].key == key) {
			snprintf(buf, n, "%s", utf8 ? names[i].u : names[i].a);
			return buf;
		}
	if (key >= KEY_F(1) && key <= KEY_F(12))
		snprintf(buf, n, "F%d", key - KEY_F0);
	else if (key > 0 && key < 32)
		snprintf(buf, n, "Ctrl-%c", key + '@');
	else if (key > 32 && key < 127)
		snprintf(buf, n, "%c", key);
	else
		snprintf(buf, n, "key %d", key);
	return buf;
}

/* The key of CSI final `final` with first parameter `p` (ESC [ p ; m final;
 * a modifier m is ignored: Ctrl-Up is Up), or ERR. xterm, rxvt, the Linux
 * console and screen/tmux between them send all of these. */
static int csi_key(int p, int final)
{
	switch (final) {
	case 'A': return KEY_UP;
	case 'B': return KEY_DOWN;
	case 'C': return KEY_RIGHT;
	case 'D': return KEY_LEFT;
	case 'H': return KEY_HOME;
	case 'F': return KEY_END;
	case 'Z': return KEY_BTAB;
	case 'P': case 'Q': case 'R': case 'S': return KEY_F(1 + final - 'P');
	case '~':
		switch (p) {
		case 1: case 7: return KEY_HOME;
		case 4: case 8: return KEY_END;
		case 2: return KEY_IC;
		case 3: return KEY_DC;
		case 5: return KEY_PPAGE;
		case 6: return KEY_NPAGE;
		case 11: case 12: case 13: case 14: case 15: return KEY_F(p - 10);
		case 17: case 18: case 19: case 20: case 21: return KEY_F(p - 11);
		case 23: case 24: return KEY_F(p - 12);
		}
	}
	return ERR;
}

/* The key of SS3 final `final` (ESC O final: cursor keys in application
 * mode, vt100's F1-F4, the keypad's Enter), or ERR. */
static int ss3_key(int final)
{
	return final == 'M' ? KEY_ENTER : csi_key(0, final);
}

int ql_key_sequence(const int *seq, int n, int *key)
{
	*key = ERR;
	if (n < 1)
		return -1;
	if (seq[0] == 'O') {
		if (n < 2)
			return -1;
		if (seq[1] < 0x40 || seq[1] > 0x7E)
			return 0;
		*key = ss3_key(seq[1]);
		return 2;
	}
	if (seq[0] != '[')
		return 0;
	/* ESC [ parameters (0x30-0x3F) intermediates (0x20-0x2F) final (0x40-0x7E) */
	int i = 1, p = 0;
	bool first = true, plain = true;
	for (; i < n && seq[i] >= 0x30 && seq[i] <= 0x3F; i++) {
		if (seq[i] >= '0' && seq[i] <= '9') {
			if (first && p < 1000)
				p = p * 10 + (seq[i] - '0');
		} else if (seq[i] == ';') {
			first = false;
		} else {
			plain = false; /* a private marker: ESC [ < mouse, ESC [ ? replies */
		}
	}
	for (; i < n && seq[i] >= 0x20 && seq[i] <= 0x2F; i++)
		plain = false;
	if (i == n)
		return n >= QL_KEY_SEQ_MAX ? n : -1; /* too long to be a key: dropped */
	int final = seq[i];
	if (final < 0x40 || final > 0x7E)
		return 0;
	if (i == 1 && final == '[') { /* the Linux console's F1-F5: ESC [ [ A */
		if (n < 3)
			return -1;
		if (seq[2] >= 'A' && seq[2] <= 'E')
			*key = KEY_F(1 + seq[2] - 'A');
		return 3;
	}
	if (i == 1 && final == 'M') /* an X10 mouse report: ESC [ M and 3 bytes */
		return n < 5 ? -1 : 5;
	if (plain)
		*key = csi_key(p, final);
	return i + 1;
}
