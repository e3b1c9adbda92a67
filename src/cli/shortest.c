/* shortest.c — a double's shortest %g text, found by exact arithmetic
 * (qlens/jsonw.h: ql_shortest_g).
 *
 * What it must print, byte for byte: "%.*g" of v with the least p in 1..17
 * whose text strtod reads back as v (the definition the tests check it
 * against). That used to be found by trying p's with snprintf and strtod,
 * 2 µs a number; --json of a tensor's group scales writes millions.
 *
 * Here, with a = |v| = M·2^e (M the 53-bit significand, e its exponent):
 *
 *   - The decimals that read back as a are those in [a - lo, a + hi], where
 *     hi = 2^(e-1) is half the gap to the next double up and lo the same,
 *     or 2^(e-2) at a power of two (the gap below is half as wide); the
 *     ends count when M is even (strtod breaks the tie to even).
 *   - In units of u = 2^(e-2): a = 4M, hi = 2, lo = 2 or 1. With
 *     E10 = floor(log10 a) and s = 16 - E10, N = a·10^s lies in
 *     [10^16, 10^17): a's first 17 digits are floor(N). Everything is kept
 *     as integers over one denominator: N = X/Y with X = 4M·Fn, Y = Fd,
 *     where Fn/Fd = 2^(e-2)·10^s (powers of 2 and 5 on either side).
 *   - One exact division gives Q = floor(N) and R = X mod Y; two more give
 *     how far above and below Q a 17-digit decimal may be and still read
 *     back (A and B, in units of the 17th digit, the ends' ties included
 *     or not). Then for each p the correctly rounded p-digit decimal
 *     (%.*g's: half to even on the exact value) is Q rounded at digit p,
 *     which reads back iff it lies in [Q - B, Q + A]: integer arithmetic
 *     on 17-digit numbers, no more big ones.
 *
 * The big integers are at most 5^339·2^57 or so (about 850 bits): 32-bit
 * limbs, schoolbook, with each quotient first estimated in long double and
 * then corrected exactly.
 */
#include "qlens/jsonw.h"

#include <math.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define LIMBS 40 /* 1280 bits */

typedef struct big {
	int n; /* limbs in use, no leading zero limbs */
	uint32_t d[LIMBS];
} big;

static void big_set(big *a, uint64_t v)
{
	a->n = 0;
	while (v) {
		a->d[a->n++] = (uint32_t)v;
		v >>= 32;
	}
}

static void big_mul_small(big *a, uint32_t m)
{
	uint64_t carry = 0;
	for (int i = 0; i < a->n; i++) {
		uint64_t t = (uint64_t)a->d[i] * m + carry;
		a->d[i] = (uint32_t)t;
		carry = t >> 32;
	}
	if (carry)
		a->d[a->n++] = (uint32_t)carry;
}

/* 5^0 .. 5^27 (5^27 < 2^63) */
static const uint64_t POW5[28] = {
	1,
	5,
	25,
	125,
	625,
	3125,
	15625,
	78125,
	390625,
	1953125,
	9765625,
	48828125,
	244140625,
	1220703125,
	6103515625,
	30517578125,
	152587890625,
	762939453125,
	3814697265625,
	19073486328125,
	95367431640625,
	476837158203125,
	2384185791015625,
	11920928955078125,
	59604644775390625,
	298023223876953125,
	1490116119384765625,
	7450580596923828125,
};

static void big_mul_pow5(big *a, int k)
{
	for (; k >= 13; k -= 13)
		big_mul_small(a, (uint32_t)POW5[13]); /* 5^13 < 2^32 */
	if (k)
		big_mul_small(a, (uint32_t)POW5[k]);
}

static void big_shl(big *a, int k)
{
	if (!a->n)
		return;
	int w = k / 32, b = k % 32;
	if (b) {
		uint32_t carry = 0;
		for (int i = 0; i < a->n; i++) {
			uint32_t t = a->d[i];
			a->d[i] = t << b | carry;
			carry = t >> (32 - b);
		}
		if (carry)
			a->d[a->n++] = carry;
	}
	if (w) {
		memmove(a->d + w, a->d, (size_t)a->n * sizeof a->d[0]);
		memset(a->d, 0, (size_t)w * sizeof a->d[0]);
		a->n += w;
	}
}

static int big_cmp(const big *a, const big *b)
{
	if (a->n != b->n)
		return a->n < b->n ? -1 : 1;
	for (int i = a->n - 1; i >= 0; i--)
		if (a->d[i] != b->d[i])
			return a->d[i] < b->d[i] ? -1 : 1;
	return 0;
}

static void big_trim(big *a)
{
	while (a->n && !a->d[a->n - 1])
		a->n--;
}

/* a += b */
static void big_add(big *a, const big *b)
{
	uint64_t carry = 0;
	int n = a->n > b->n ? a->n : b->n;
	for (int i = 0; i < n; i++) {
		uint64_t t = carry + (i < a->n ? a->d[i] : 0) + (i < b->n ? b->d[i] : 0);
		a->d[i] = (uint32_t)t;
		carry = t >> 32;
	}
	a->n = n;
	if (carry)
		a->d[a->n++] = (uint32_t)carry;
}

/* a -= b, a >= b */
static void big_sub(big *a, const big *b)
{
	int64_t borrow = 0;
	for (int i = 0; i < a->n; i++) {
		int64_t t = (int64_t)a->d[i] - (i < b->n ? b->d[i] : 0) - borrow;
		borrow = t < 0;
		a->d[i] = (uint32_t)(t + (borrow ? ((int64_t)1 << 32) : 0));
	}
	big_trim(a);
}

/* r = a·m */
static void big_mul_u64(big *r, const big *a, uint64_t m)
{
	uint32_t ml = (uint32_t)m, mh = (uint32_t)(m >> 32);
	memset(r->d, 0, (size_t)(a->n + 2) * sizeof r->d[0]);
	for (int pass = 0; pass < 2; pass++) {
		uint32_t f = pass ? mh : ml;
		uint64_t carry = 0;
		int i = 0;
		for (; i < a->n; i++) {
			uint64_t t = (uint64_t)a->d[i] * f + r->d[i + pass] + carry;
			r->d[i + pass] = (uint32_t)t;
			carry = t >> 32;
		}
		for (int k = i + pass; carry; k++) {
			uint64_t t = (uint64_t)r->d[k] + carry;
			r->d[k] = (uint32_t)t;
			carry = t >> 32;
		}
	}
	r->n = a->n + 2;
	big_trim(r);
}

/* q = floor(z / y) given an estimate q0 within a few units (q < 2^63),
 * z is left holding z mod y. */
static uint64_t big_divmod(big *z, const big *y, uint64_t q0)
{
	big p;
	big_mul_u64(&p, y, q0);
	while (big_cmp(&p, z) > 0) { /* too big: q0 - 1 */
		q0--;
		big_sub(&p, y);
	}
	big_sub(z, &p);
	while (big_cmp(z, y) >= 0) {
		q0++;
		big_sub(z, y);
	}
	return q0;
}

/* 10^k for k in [-P10, P10] in long double, for the estimates (powl
 * per number cost more than the rest together). */
#define P10 360
static long double pow10l_tab[2 * P10 + 1];
static pthread_once_t pow10l_once = PTHREAD_ONCE_INIT;

static void pow10l_init(void)
{
	for (int k = -P10; k <= P10; k++)
		pow10l_tab[k + P10] = powl(10.0L, (long double)k);
}

/* 10^k (|k| <= P10 always here: |s| <= 17 + 324) */
static long double p10(int k)
{
	return pow10l_tab[k + P10];
}

/* An estimate of floor(x) within one or two, clamped to [0, 2^62]:
 * rounded to nearest (llrintl keeps the FPU's mode; a truncating
 * conversion would switch it twice, which cost more than the rest). */
static uint64_t est(long double x)
{
	if (!(x > 0))
		return 0;
	if (x > 4611686018427387904.0L)
		return UINT64_C(4611686018427387904);
	long long q = llrintl(x);
	return q > 0 ? (uint64_t)q : 0;
}

static const uint64_t POW10[18] = {1,
				   10,
				   100,
				   1000,
				   10000,
				   100000,
				   1000000,
				   10000000,
				   100000000,
				   1000000000,
				   10000000000,
				   100000000000,
				   1000000000000,
				   10000000000000,
				   100000000000000,
				   1000000000000000,
				   10000000000000000,
				   100000000000000000};

/* The 17 digits of a: Q = floor(a·10^(16 - E10)) in [10^16, 10^17), with
 * E10 = floor(log10 a), and the window [Q - B, Q + A] of 17-digit
 * decimals (in units of the 17th digit) that read back as a; rnd17 the
 * sign of frac(N) - 1/2 (how Q itself rounds at 17 digits) and exact
 * whether N is an integer. */
typedef struct digits17 {
	uint64_t Q;
	int E10;
	int64_t A, B;
	int rnd17;
	int exact;
	int sym; /* the interval is as wide below a as above (not a power of two) */
} digits17;

/* make_digits's arithmetic in 128 bits, where a·10^s is 4M·5^s / 2^k
 * (s in 0..27, k in 0..127: a from about 1e-11 to 1e16, nearly every
 * number qlens writes), the divisions then being shifts. Returns 0 with
 * o's Q, A, B, rnd17 and exact filled (o->Q is 0 where it does not
 * apply: make_digits then does it with big integers), or +1 / -1 when
 * Q >= 10^17 / Q < 10^16 (E10 was one too small / large). */
static int small_digits(uint64_t M, int g, int s, int lo_units, int ends, digits17 *o)
{
	o->Q = 0;
#ifndef __SIZEOF_INT128__
	(void)M, (void)g, (void)s, (void)lo_units, (void)ends;
	return 0; /* no 128-bit integers: big ones throughout */
#else
	typedef unsigned __int128 u128;
	int k = -(g + s);
	if (s < 0 || s > 27 || k < 1 || k > 127)
		return 0;
	u128 Fn = POW5[s];
	u128 X = (u128)(4 * M) * Fn, mask = ((u128)1 << k) - 1;
	u128 Q = X >> k, R = X & mask;
	if (Q >= POW10[17])
		return 1;
	if (Q < POW10[16])
		return -1;
	o->Q = (uint64_t)Q;
	o->exact = R == 0;
	u128 half = (u128)1 << (k - 1);
	o->rnd17 = R > half ? 1 : R < half ? -1 : 0;
	u128 Z = 2 * Fn + R;
	o->A = (int64_t)(Z >> k) - ((Z & mask) == 0 && !ends);
	u128 L = (u128)lo_units * Fn;
	if (L < R)
		o->B = -1;
	else
		o->B = (int64_t)((L - R) >> k) - (((L - R) & mask) == 0 && !ends);
	return 0;
#endif
}

static void make_digits(double a, digits17 *o)
{
	uint64_t bits;
	memcpy(&bits, &a, sizeof bits);
	int E = (int)(bits >> 52 & 0x7ff);
	uint64_t F = bits & ((UINT64_C(1) << 52) - 1);
	uint64_t M = E ? F | UINT64_C(1) << 52 : F;
	int e = E ? E - 1075 : -1074;
	int lo_units = (F == 0 && E > 1) ? 1 : 2; /* lo = 2^(e-2) at a power of two */
	int ends = (M & 1) == 0;                  /* ties to even: the ends read back */
	int g = e - 2;                            /* the unit: 2^g */
	int E10 = (int)floor(log10(a));
	o->sym = lo_units == 2;
	for (;;) {
		int s = 16 - E10;
		int r = small_digits(M, g, s, lo_units, ends, o);
		if (r > 0) {
			E10++;
			continue;
		}
		if (r < 0) {
			E10--;
			continue;
		}
		if (o->Q) {
			o->E10 = E10;
			return;
		}
		big Fn, Fd, X, Y;
		big_set(&Fn, 1);
		big_set(&Fd, 1);
		if (s >= 0)
			big_mul_pow5(&Fn, s);
		else
			big_mul_pow5(&Fd, -s);
		if (g + s >= 0)
			big_shl(&Fn, g + s);
		else
			big_shl(&Fd, -(g + s));
		big_mul_u64(&X, &Fn, 4 * M);
		Y = Fd;
		long double N = (long double)a * p10(s);
		uint64_t Q = big_divmod(&X, &Y, est(N)); /* X is now R */
		if (Q >= POW10[17]) {
			E10++;
			continue;
		}
		if (Q < POW10[16]) {
			E10--;
			continue;
		}
		o->Q = Q;
		o->E10 = E10;
		o->exact = X.n == 0;
		big twoR = X;
		big_shl(&twoR, 1);
		int c = big_cmp(&twoR, &Y);
		o->rnd17 = c;
		/* per unit of the 17th digit, hi = 2·Fn/Fd and lo = lo_units·Fn/Fd:
		 * the largest k >= 1 with k - f <= hi (k - f < hi when the ends do
		 * not count), f = R/Y, is floor((2Fn + R)/Y) (less one if exact
		 * and the end does not count); below, k >= 0 with k + f <= lo. */
		long double u = N / (long double)(4 * M); /* Fn/Fd, as N = 4M·Fn/Fd */
		big Z = Fn;
		big_shl(&Z, 1);
		big_add(&Z, &X);
		uint64_t A = big_divmod(&Z, &Y, est(2 * u));
		if (Z.n == 0 && !ends)
			A--;
		o->A = (int64_t)A;
		big L = Fn;
		if (lo_units == 2)
			big_shl(&L, 1);
		if (big_cmp(&L, &X) < 0) {
			o->B = -1; /* lo - f in (-1, 0): not even Q itself */
		} else {
			big_sub(&L, &X);
			uint64_t B = big_divmod(&L, &Y, est(lo_units * u));
			o->B = (int64_t)B - (L.n == 0 && !ends ? 1 : 0);
		}
		return;
	}
}

/* Writes the p digits of T (T < 10^p, or T == 10^p: the exponent then
 * goes up) with exponent X as "%.*g" would, trailing zeros removed. */
static int format_g(char *out, int neg, uint64_t T, int p, int X)
{
	char dig[20];
	if (T == POW10[p]) {
		T = POW10[p - 1];
		X++;
	}
	for (int i = p - 1; i >= 0; i--) {
		dig[i] = (char)('0' + T % 10);
		T /= 10;
	}
	int nd = p;
	while (nd > 1 && dig[nd - 1] == '0')
		nd--;
	char *o = out;
	if (neg)
		*o++ = '-';
	if (X < -4 || X >= p) {
		*o++ = dig[0];
		if (nd > 1) {
			*o++ = '.';
			memcpy(o, dig + 1, (size_t)(nd - 1));
			o += nd - 1;
		}
		*o++ = 'e';
		*o++ = X < 0 ? '-' : '+';
		int ax = X < 0 ? -X : X;
		if (ax >= 100)
			*o++ = (char)('0' + ax / 100);
		*o++ = (char)('0' + ax / 10 % 10);
		*o++ = (char)('0' + ax % 10);
	} else if (X >= 0) {
		/* X + 1 digits before the point (X < p <= nd or zeros to pad) */
		for (int i = 0; i <= X; i++)
			*o++ = i < nd ? dig[i] : '0';
		if (nd > X + 1) {
			*o++ = '.';
			memcpy(o, dig + X + 1, (size_t)(nd - X - 1));
			o += nd - X - 1;
		}
	} else {
		*o++ = '0';
		*o++ = '.';
		for (int i = 0; i < -X - 1; i++)
			*o++ = '0';
		memcpy(o, dig, (size_t)nd);
		o += nd;
	}
	*o = '\0';
	return (int)(o - out);
}

/* Whether a's correctly rounded p-digit decimal (%.*g's: half to even on
 * the exact value) reads back as a; its p digits into *q (10^p if it
 * rounded up to the next power of ten). */
static bool reads_back(const digits17 *d, const uint64_t *tail, const uint64_t *quo, int p,
		       uint64_t *q)
{
	int k = 17 - p;
	uint64_t unit = POW10[k], T = d->Q - tail[k];
	bool up;
	if (k == 0)
		up = d->rnd17 > 0 || (d->rnd17 == 0 && (d->Q & 1));
	else if (tail[k] != unit / 2)
		up = tail[k] > unit / 2;
	else /* the tail is exactly half only if nothing follows */
		up = !d->exact || (quo[k] & 1);
	if (up)
		T += unit;
	*q = quo[k] + up;
	int64_t diff = (int64_t)T - (int64_t)d->Q;
	return diff > 0 ? diff <= d->A : -diff <= d->B;
}

int ql_shortest_g(double v, char *out)
{
	if (!isfinite(v)) {
		strcpy(out, "null");
		return 4;
	}
	if (v == 0) {
		/* "-0" would read back as the integer 0 */
		strcpy(out, signbit(v) ? "-0.0" : "0");
		return signbit(v) ? 4 : 1;
	}
	pthread_once(&pow10l_once, pow10l_init);
	digits17 d;
	make_digits(fabs(v), &d);
	/* tail[k] = Q mod 10^k and quo[k] = Q / 10^k, by constant divisions */
	uint64_t tail[18], quo[18];
	tail[0] = 0;
	quo[0] = d.Q;
	for (int k = 1; k <= 17; k++) {
		quo[k] = quo[k - 1] / 10;
		tail[k] = tail[k - 1] + (quo[k - 1] % 10) * POW10[k - 1];
	}
	/* Where the interval is symmetric, p digits that read back mean
	 * p + 1 do too (the nearest (p+1)-digit decimal is at least as near
	 * a): count down from 17 while they do. At a power of two the
	 * interval below is narrower and that fails; count up from 1. */
	int best = 0;
	uint64_t bestq = 0;
	for (int i = 0; i < 17; i++) {
		int p = d.sym ? 17 - i : 1 + i;
		uint64_t q;
		bool ok = reads_back(&d, tail, quo, p, &q);
		if (ok) {
			best = p;
			bestq = q;
		}
		if (ok != (bool)d.sym)
			break;
	}
	if (best)
		return format_g(out, signbit(v) != 0, bestq, best, d.E10);
	/* not reached: 17 digits always read back */
	return snprintf(out, 32, "%.17g", v);
}
