/* decimal.h — exact decimal text of a double, and parsing of user values.
 *
 * Every finite double is m × 2^e, which has a finite decimal expansion. These
 * functions print it with every digit (ql_decimal_exact) or rounded correctly
 * to a fixed number of digits after the point (ql_decimal_fixed, the same
 * text as Python's format(x, '.60f'); trailing zeros are kept).
 *
 * The arithmetic is done on big integers here, not by the C library, so the
 * result does not depend on the platform's printf.
 */
#ifndef QLENS_DECIMAL_H
#define QLENS_DECIMAL_H

#include <stddef.h>
#include "qlens/error.h"

/* The longest exact expansion of a double: 1074 digits after the point for
 * subnormals, 309 before it for the largest values, a sign and a point. */
#define QL_DECIMAL_MAX 1400

/* Every digit of x: "0.333333333333333314829616256247390992939472198486328125",
 * "-0", "1", "inf", "-inf", "nan". Writes at most n bytes (NUL included) and
 * returns the length the full text needs (like snprintf). */
size_t ql_decimal_exact(double x, char *buf, size_t n);

/* x with exactly `digits` digits after the point (0..1100), rounded half to
 * even from the exact value. Same return convention. */
size_t ql_decimal_fixed(double x, int digits, char *buf, size_t n);

/* The shortest decimal that reads back as the same double ("0.1", "1e-07"). */
size_t ql_decimal_short(double x, char *buf, size_t n);

/* Parses a user value: a decimal or scientific number ("0.1", "-2.5e-3"), a
 * fraction ("1/3", "-22/7": numerator and denominator each read as a double,
 * then divided once, so 1/3 is the double nearest to one third), a hex float
 * ("0x1.8p-2"), "inf", "-inf", "nan". Surrounding spaces are allowed.
 * Returns 0, or -1 with a message like "'abc' is not a number". */
int ql_parse_value(const char *text, double *out, ql_error *err);

#endif
