/* escape.h — the one rule for showing text that came from a file or a user.
 *
 * Tensor names, metadata, file names and words typed by the user can hold
 * anything: a newline that splits a one-line error, ESC/OSC/BEL sequences
 * that reprogram the terminal (escape injection), C1 controls, Unicode
 * bidirectional overrides that reorder what is shown, invalid UTF-8. Every
 * such string passes through ql_escape() before it reaches the terminal
 * (CLI output, error messages, the TUI) or a JSON string.
 *
 * QL_ESC_TERM: printable ASCII and valid UTF-8 pass through unchanged;
 *   \n \t \r become those two-character escapes, other C0 controls and DEL
 *   \xNN, C1 controls and the bidi/line-separator code points (U+2028,
 *   U+2029, U+200E, U+200F, U+202A-U+202E, U+2066-U+2069) \u{XXXX}, each
 *   byte of invalid UTF-8 \xNN. A backslash is left alone, so escaping
 *   twice changes nothing (messages are escaped where they are made and
 *   again where they are printed).
 * QL_ESC_JSON: what goes between the quotes of a JSON string (RFC 8259):
 *   '"' and '\\' escaped, controls as \n \r \t \b \f or \u00XX, DEL, C1 and
 *   bidi code points as \uXXXX, each byte of invalid UTF-8 as \ufffd, so
 *   the output is always valid UTF-8 JSON.
 */
#ifndef QLENS_ESCAPE_H
#define QLENS_ESCAPE_H

#include <stddef.h>
#include <stdio.h>

typedef enum ql_esc_mode { QL_ESC_TERM, QL_ESC_JSON } ql_esc_mode;

/* Escapes the NUL-terminated s into dst (cap bytes; always terminated when
 * cap > 0, never cutting an escape or a UTF-8 sequence in half). Returns
 * the length the whole escaped text needs (as snprintf): >= cap means it
 * was cut short. */
size_t ql_escape(char *dst, size_t cap, const char *s, ql_esc_mode mode);

/* Writes s escaped to f. */
void ql_escape_fputs(FILE *f, const char *s, ql_esc_mode mode);

/* Escapes s for the terminal into buf; when it does not fit, it is cut at
 * a whole escape or character and ends in "...". Returns buf. */
const char *ql_escape_short(const char *s, char *buf, size_t n);

#endif
