/* keys.c — the action table: every user action, its keys and its help.
 *
 * QL_ACTIONS (tui_impl.h) is the one list. From it come the ql_action enum,
 * this table, the key lookup, the '?' help overlay and the status-bar hints
 * (both drawn by app.c). Adding an action means adding one line there.
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
