/* decimal.c — exact decimal expansions of doubles, and user value parsing.
 *
 * A finite double is M × 2^E with an integer M < 2^53. For E >= 0 it is the
 * integer M·2^E; for E < 0 it is M·5^k / 10^k with k = -E, so its digits are
 * the digits of the integer M·5^k with the point k places from the right.
 * Both are computed on a small big-integer in base 10^9 limbs (at most ~90
 * limbs: 5^1126 has 787 digits).
 */
#include "qlens/decimal.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define LIMB_BASE 1000000000u
#define MAX_LIMBS 128

typedef struct bignum {
	uint32_t limb[MAX_LIMBS]; /* little-endian, base 10^9 */
	int n;
} bignum;

static void big_set(bignum *b, uint64_t v)
{
	b->n = 0;
	do {
		b->limb[b->n++] = (uint32_t)(v % LIMB_BASE);
		v /= LIMB_BASE;
	} while (v);
}

/* b *= f, f < 2^32 (and limb * f + carry fits in 64 bits). */
static void big_mul(bignum *b, uint32_t f)
{
	uint64_t carry = 0;
	for (int i = 0; i < b->n; i++) {
		uint64_t p = (uint64_t)b->limb[i] * f + carry;
		b->limb[i] = (uint32_t)(p % LIMB_BASE);
		carry = p / LIMB_BASE;
	}
	while (carry && b->n < MAX_LIMBS) {
		b->limb[b->n++] = (uint32_t)(carry % LIMB_BASE);
		carry /= LIMB_BASE;
	}
}

/* Decimal digits of b, most significant first, into out (no NUL); returns count. */
static int big_digits(const bignum *b, char *out)
{
	int k = sprintf(out, "%u", b->limb[b->n - 1]);
	for (int i = b->n - 2; i >= 0; i--)
		k += sprintf(out + k, "%09u", b->limb[i]);
	return k;
}

/* The exact digits of |x| (finite, non-zero) as an integer string `digits`
 * and the number of those digits that are after the point (`frac`). */
static int exact_digits(double x, char *digits, int *frac)
{
	int e2;
	double m = frexp(fabs(x), &e2); /* |x| = m * 2^e2, m in [0.5, 1) */
	uint64_t mant = (uint64_t)ldexp(m, 53);
	int exp = e2 - 53;
	while (mant && !(mant & 1) && exp < 0) {
		mant >>= 1;
		exp++;
	}
	bignum b;
	big_set(&b, mant);
	if (exp >= 0) {
		for (; exp >= 29; exp -= 29)
			big_mul(&b, UINT32_C(1) << 29);
		big_mul(&b, UINT32_C(1) << exp);
		*frac = 0;
	} else {
		int k = -exp;
		*frac = k;
		for (; k >= 13; k -= 13)
			big_mul(&b, 1220703125u); /* 5^13 */
		uint32_t p = 1;
		while (k--)
			p *= 5;
		big_mul(&b, p);
	}
	return big_digits(&b, digits);
}

/* Copies s into buf like snprintf would; returns strlen(s). */
static size_t put(const char *s, size_t len, char *buf, size_t n)
{
	if (n) {
		size_t c = len < n - 1 ? len : n - 1;
		memcpy(buf, s, c);
		buf[c] = '\0';
	}
	return len;
}

static size_t special(double x, char *buf, size_t n)
{
	if (isnan(x))
		return put("nan", 3, buf, n);
	return signbit(x) ? put("-inf", 4, buf, n) : put("inf", 3, buf, n);
}

/* Lays out digits[0..len) with `frac` of them after the point, padding with
 * zeros to `want` fraction digits (want >= frac; -1: exactly frac). */
static size_t layout(bool neg, const char *digits, int len, int frac, int want, char *buf, size_t n)
{
	char out[QL_DECIMAL_MAX + 64];
	size_t k = 0;
	if (neg)
		out[k++] = '-';
	int int_len = len - frac;
	if (int_len <= 0) {
		out[k++] = '0';
	} else {
		memcpy(out + k, digits, (size_t)int_len);
		k += (size_t)int_len;
	}
	int fdigits = want < 0 ? frac : want;
	if (fdigits > 0) {
		out[k++] = '.';
		for (int i = 0; i < fdigits; i++) {
			int pos = len - frac + i; /* index in digits of this fraction digit */
			out[k++] = i < frac ? (pos >= 0 ? digits[pos] : '0') : '0';
		}
	}
	return put(out, k, buf, n);
}

size_t ql_decimal_exact(double x, char *buf, size_t n)
{
	if (!isfinite(x))
		return special(x, buf, n);
	if (x == 0)
		return signbit(x) ? put("-0", 2, buf, n) : put("0", 1, buf, n);
	char digits[QL_DECIMAL_MAX];
	int frac;
	int len = exact_digits(x, digits, &frac);
	/* drop trailing zeros of the fraction (there are none: M is odd) */
	return layout(signbit(x), digits, len, frac, -1, buf, n);
}

size_t ql_decimal_fixed(double x, int digits_after, char *buf, size_t n)
{
	if (!isfinite(x))
		return special(x, buf, n);
	if (digits_after < 0)
		digits_after = 0;
	if (digits_after > 1100)
		digits_after = 1100;
	if (x == 0) {
		static const char zeros[] = "0";
		return layout(signbit(x), zeros, 1, 0, digits_after, buf, n);
	}
	char d[QL_DECIMAL_MAX + 2];
	int frac;
	int len = exact_digits(x, d + 1, &frac);
	d[0] = '0'; /* room for a carry */
	char *digits = d;
	len += 1;
	if (frac > digits_after) {
		/* Round half to even at digits_after: look at the dropped digits. */
		int keep = len - (frac - digits_after); /* digits kept */
		int first = keep < 0 ? '0' : digits[keep];
		bool rest_nonzero = false;
		for (int i = (keep < 0 ? 0 : keep + 1); i < len; i++)
			if (digits[i] != '0')
				rest_nonzero = true;
		if (keep < 0) {
			/* every kept digit is zero; the value is below half a unit */
			first = '0';
			rest_nonzero = true;
			keep = 0;
		}
		bool last_odd = keep > 0 && ((digits[keep - 1] - '0') & 1);
		bool up = first > '5' || (first == '5' && (rest_nonzero || last_odd));
		len = keep;
		frac = digits_after;
		if (up) {
			int i = len - 1;
			while (i >= 0 && digits[i] == '9')
				digits[i--] = '0';
			if (i >= 0)
				digits[i]++;
		}
		if (len < frac + 1) { /* all digits were fraction digits: pad leading zeros */
			char tmp[QL_DECIMAL_MAX + 2];
			int pad = frac + 1 - len;
			memset(tmp, '0', (size_t)pad);
			memcpy(tmp + pad, digits, (size_t)len);
			memcpy(d, tmp, (size_t)(len + pad));
			digits = d;
			len += pad;
		}
	}
	/* strip leading zeros of the integer part (keep one) */
	while (len - frac > 1 && digits[0] == '0') {
		digits++;
		len--;
	}
	return layout(signbit(x), digits, len, frac, digits_after, buf, n);
}

/* The p-digit decimal just above |x|, in %g's exponent layout, if it reads
 * back as x. Only powers of two need it: the gap below 2^k is half the gap
 * above, so the nearest p-digit decimal can read back as the double below
 * while the next one up reads back as x (2^-24 is 5.960464477539063e-08;
 * %.16g gives ...062e-08, another double). For every power of two where
 * this happens, %g uses the exponent layout. */
static bool short_above(double x, int p, char *out, size_t n)
{
	char e[48], dig[24];
	snprintf(e, sizeof e, "%.*e", p - 1, fabs(x));
	char *ep = strchr(e, 'e');
	int x10 = atoi(ep + 1), nd = 0, i;
	if (x10 >= -4 && x10 < p)
		return false;
	for (const char *q = e; q < ep; q++)
		if (*q != '.')
			dig[nd++] = *q;
	for (i = nd - 1; i >= 0 && dig[i] == '9'; i--)
		dig[i] = '0';
	if (i < 0)
		return false;
	dig[i]++;
	while (nd > 1 && dig[nd - 1] == '0')
		nd--;
	dig[nd] = '\0';
	snprintf(out, n, "%s%c%s%se%c%02d", signbit(x) ? "-" : "", dig[0], nd > 1 ? "." : "",
		 dig + 1, x10 < 0 ? '-' : '+', abs(x10));
	return strtod(out, NULL) == x;
}

size_t ql_decimal_short(double x, char *buf, size_t n)
{
	if (!isfinite(x))
		return special(x, buf, n);
	char tmp[64];
	int e2;
	bool pow2 = x != 0 && fabs(frexp(x, &e2)) == 0.5;
	for (int p = 1; p <= 17; p++) {
		snprintf(tmp, sizeof tmp, "%.*g", p, x);
		if (strtod(tmp, NULL) == x)
			break;
		if (pow2 && short_above(x, p, tmp, sizeof tmp))
			break;
	}
	return put(tmp, strlen(tmp), buf, n);
}

/* Reads one number (the whole of [s, end)); false if it is not one. Any
 * length is read, as Python's float() reads it: a number longer than the
 * stack buffer (a pasted expansion with many more digits than a double
 * holds) is copied to the heap. */
static bool read_number(const char *s, size_t len, double *out)
{
	char small[2 * QL_DECIMAL_MAX]; /* room for any double's exact expansion */
	if (len == 0)
		return false;
	char *tmp = len < sizeof small ? small : malloc(len + 1);
	if (!tmp)
		return false;
	memcpy(tmp, s, len);
	tmp[len] = '\0';
	const char *p = tmp;
	bool neg = false, ok = true;
	if (*p == '+' || *p == '-')
		neg = *p++ == '-';
	if (strcasecmp(p, "inf") == 0 || strcasecmp(p, "infinity") == 0) {
		*out = neg ? -INFINITY : INFINITY;
	} else if (strcasecmp(p, "nan") == 0) {
		*out = neg ? -NAN : NAN;
	} else if (!(isdigit((unsigned char)*p) || (*p == '.' && isdigit((unsigned char)p[1])))) {
		/* strtod also takes "infinity", "nan(...)", leading spaces: not here */
		ok = false;
	} else {
		char *end;
		errno = 0;
		double v = strtod(p, &end);
		if (*end != '\0')
			ok = false;
		else
			*out = neg ? -v : v;
	}
	if (tmp != small)
		free(tmp);
	return ok;
}

int ql_parse_value(const char *text, double *out, ql_error *err)
{
	const char *s = text;
	while (isspace((unsigned char)*s))
		s++;
	size_t len = strlen(s);
	while (len && isspace((unsigned char)s[len - 1]))
		len--;
	if (len == 0)
		return ql_error_set(err, "'%s' is not a number (it is empty)", text);
	const char *slash = memchr(s, '/', len);
	if (slash) {
		double num, den;
		if (!read_number(s, (size_t)(slash - s), &num) ||
		    !read_number(slash + 1, len - (size_t)(slash - s) - 1, &den))
			return ql_error_set(err, "'%s' is not a number or a fraction like 1/3", text);
		if (den == 0)
			return ql_error_set(err, "'%s': the denominator is zero", text);
		*out = num / den;
		return 0;
	}
	if (!read_number(s, len, out))
		return ql_error_set(err,
				    "'%s' is not a number (try 0.1, -2.5e-3, 1/3, 0x1.8p-2, inf or nan)",
				    text);
	return 0;
}
