/* test_format.c — the number-format core (format.h) against independent
 * references.
 *
 * Every check compares qlens with something that does not share its code:
 *   - PyTorch's casts and decodes (the files in tests/golden/, made by
 *     tests/golden/gen_format.py with torch 1.13);
 *   - the OCP OFP8 / OCP MX v1.0 spec formulas (tests/golden/smallfmt.txt,
 *     and again here, written from the spec's field layouts in spec_value());
 *   - the compiler's _Float16 (libgcc's soft-float conversions) for fp16;
 *   - bit-level round-to-nearest-even on fp32 bits for bf16;
 *   - glibc's nextafter/nextafterf for fp32/fp64 neighbours.
 *
 * fp32 -> fp16/bf16 is swept over a stride of the 2^32 fp32 patterns (a few
 * million) plus every tie of both formats; with QLENS_EXHAUSTIVE=1 (that is
 * `make test-exhaustive`) it sweeps all 2^32.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qlens/decimal.h"
#include "qlens/format.h"

#include "half_ref.h"
#include "testutil.h"

/* --- helpers ---------------------------------------------------------------- */

static float f32_of(uint32_t u)
{
	float f;
	memcpy(&f, &u, sizeof f);
	return f;
}

static uint32_t bits_f32(float f)
{
	uint32_t u;
	memcpy(&u, &f, sizeof u);
	return u;
}

static uint64_t bits_f64(double d)
{
	uint64_t u;
	memcpy(&u, &d, sizeof u);
	return u;
}

static double f64_of(uint64_t u)
{
	double d;
	memcpy(&d, &u, sizeof d);
	return d;
}

/* Equal as stored values: same bits (so -0 != +0), or both NaN with the
 * same sign. */
static bool same_value(double a, double b)
{
	if (isnan(a) || isnan(b))
		return isnan(a) && isnan(b) && !signbit(a) == !signbit(b);
	return bits_f64(a) == bits_f64(b);
}

static bool exhaustive(void)
{
	const char *e = getenv("QLENS_EXHAUSTIVE");
	return e && strcmp(e, "1") == 0;
}


static ql_type type_named(const char *name)
{
	ql_type t;
	if (!ql_type_from_name(name, &t))
		fail_msg("unknown type name '%s'", name);
	return t;
}

static ql_class class_named(const char *name)
{
	static const struct {
		const char *name;
		ql_class c;
	} map[] = {
		{"zero", QL_CLASS_ZERO}, {"subnormal", QL_CLASS_SUBNORMAL},
		{"normal", QL_CLASS_NORMAL}, {"inf", QL_CLASS_INF}, {"nan", QL_CLASS_NAN},
		{"integer", QL_CLASS_INTEGER}, {"level", QL_CLASS_LEVEL},
	};
	for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
		if (strcmp(name, map[i].name) == 0)
			return map[i].c;
	fail_msg("unknown class '%s'", name);
	return QL_CLASS_NAN;
}

/* --- the float formats, as the specs define them ----------------------------- */

enum { SPEC_NAN_NONE, SPEC_NAN_IEEE, SPEC_NAN_FN };

typedef struct spec {
	ql_type t;
	int e, m, bias;
	int nan;
	bool inf;
	ql_overflow ovf;
} spec;

/* IEEE 754 (fp16), Google's bfloat16, OCP OFP8 rev 1.0 (e4m3fn, e5m2), OCP
 * MX v1.0 (fp6 e2m3 / e3m2, fp4 e2m1). */
static const spec float_specs[] = {
	{QL_FP16, 5, 10, 15, SPEC_NAN_IEEE, true, QL_OVERFLOW_INF},
	{QL_BF16, 8, 7, 127, SPEC_NAN_IEEE, true, QL_OVERFLOW_INF},
	{QL_FP8_E4M3, 4, 3, 7, SPEC_NAN_FN, false, QL_OVERFLOW_NAN},
	{QL_FP8_E5M2, 5, 2, 15, SPEC_NAN_IEEE, true, QL_OVERFLOW_INF},
	{QL_FP6_E2M3, 2, 3, 1, SPEC_NAN_NONE, false, QL_OVERFLOW_SATURATE},
	{QL_FP6_E3M2, 3, 2, 3, SPEC_NAN_NONE, false, QL_OVERFLOW_SATURATE},
	{QL_FP4_E2M1, 2, 1, 1, SPEC_NAN_NONE, false, QL_OVERFLOW_SATURATE},
};
#define N_FLOAT_SPECS (sizeof float_specs / sizeof float_specs[0])

static int spec_bits(const spec *sp)
{
	return 1 + sp->e + sp->m;
}

/* The value of a code by the spec's formula: (-1)^s * 2^(e-bias) * 1.m for
 * normal codes, (-1)^s * 2^(1-bias) * 0.m for e = 0. */
static double spec_value(const spec *sp, uint32_t code, ql_class *cls)
{
	unsigned s = (code >> (sp->e + sp->m)) & 1u;
	unsigned e = (code >> sp->m) & ((1u << sp->e) - 1);
	unsigned m = code & ((1u << sp->m) - 1);
	unsigned emax = (1u << sp->e) - 1, mmax = (1u << sp->m) - 1;
	double v;
	ql_class c;
	if ((sp->nan == SPEC_NAN_IEEE && e == emax && m != 0) ||
	    (sp->nan == SPEC_NAN_FN && e == emax && m == mmax)) {
		if (cls)
			*cls = QL_CLASS_NAN;
		return copysign(NAN, s ? -1.0 : 1.0);
	}
	if (sp->inf && e == emax) {
		v = INFINITY;
		c = QL_CLASS_INF;
	} else if (e == 0) {
		v = ldexp((double)m, 1 - sp->bias - sp->m);
		c = m ? QL_CLASS_SUBNORMAL : QL_CLASS_ZERO;
	} else {
		v = ldexp((double)(m + (1u << sp->m)), (int)e - sp->bias - sp->m);
		c = QL_CLASS_NORMAL;
	}
	if (cls)
		*cls = c;
	return s ? -v : v;
}

static const spec *spec_of(ql_type t)
{
	for (size_t i = 0; i < N_FLOAT_SPECS; i++)
		if (float_specs[i].t == t)
			return &float_specs[i];
	return NULL;
}

/* fp16 through the compiler (half_ref.h): it rounds to nearest even, keeps a
 * NaN's sign and top payload bits and sets the quiet bit. */
static uint16_t ref_fp16(uint32_t u)
{
	return half_ref_from_f32(f32_of(u));
}

static double ref_fp16_decode(uint16_t c)
{
	return (double)half_ref_to_f32(c);
}

/* bf16 by bit arithmetic: add 0x7fff plus the kept LSB and drop 16 bits
 * (ties to even; carries into the exponent, and to inf, by themselves). A
 * NaN keeps its sign and top payload, quieted. */
static uint16_t ref_bf16(uint32_t u)
{
	if ((u & 0x7F800000u) == 0x7F800000u && (u & 0x007FFFFFu))
		return (uint16_t)((u >> 16) | 0x0040u);
	return (uint16_t)((u + 0x7FFFu + ((u >> 16) & 1u)) >> 16);
}

/* --- the table and the names ------------------------------------------------- */

static void test_table(void **state)
{
	static const char *const names[QL_TYPE_COUNT] = {
		"fp64", "fp32", "fp16", "bf16", "fp8_e4m3", "fp8_e5m2", "fp6_e2m3", "fp6_e3m2",
		"fp4_e2m1", "e8m0", "int8", "uint8", "int4", "uint4", "int2", "uint2", "nf4",
	};
	static const int bits[QL_TYPE_COUNT] = {64, 32, 16, 16, 8, 8, 6, 6, 4, 8, 8, 8, 4, 4, 2, 2, 4};
	for (int t = 0; t < QL_TYPE_COUNT; t++) {
		const ql_format *f = ql_format_of((ql_type)t);
		assert_string_equal(f->name, names[t]);
		assert_int_equal(f->bits, bits[t]);
		assert_non_null(f->title);
		assert_non_null(f->overflow_rule);
		assert_true(type_named(names[t]) == (ql_type)t);
		if (f->kind == QL_KIND_FLOAT)
			assert_int_equal(f->sign_bits + f->exp_bits + f->man_bits, f->bits);
	}
	/* the specs' parameters */
	for (size_t i = 0; i < N_FLOAT_SPECS; i++) {
		const spec *sp = &float_specs[i];
		const ql_format *f = ql_format_of(sp->t);
		assert_int_equal(f->kind, QL_KIND_FLOAT);
		assert_int_equal(f->sign_bits, 1);
		assert_int_equal(f->exp_bits, sp->e);
		assert_int_equal(f->man_bits, sp->m);
		assert_int_equal(f->bias, sp->bias);
		assert_int_equal(f->has_inf, sp->inf);
		assert_int_equal(f->overflow, sp->ovf);
		assert_int_equal(f->nan, sp->nan == SPEC_NAN_IEEE ? QL_NAN_IEEE
					 : sp->nan == SPEC_NAN_FN ? QL_NAN_FN : QL_NAN_NONE);
	}
	assert_int_equal(ql_formats[QL_FP32].exp_bits, 8);
	assert_int_equal(ql_formats[QL_FP32].bias, 127);
	assert_int_equal(ql_formats[QL_FP64].exp_bits, 11);
	assert_int_equal(ql_formats[QL_FP64].bias, 1023);
	assert_int_equal(ql_formats[QL_E8M0].kind, QL_KIND_SCALE);
	assert_int_equal(ql_formats[QL_E8M0].bias, 127);
	assert_int_equal(ql_formats[QL_E8M0].nan, QL_NAN_ALL1);
	assert_int_equal(ql_formats[QL_NF4].kind, QL_KIND_CODEBOOK);
	assert_ptr_equal(ql_formats[QL_NF4].levels, ql_nf4_levels);
	static const struct {
		ql_type t;
		int64_t lo, hi;
	} ints[] = {
		{QL_INT8, -128, 127}, {QL_UINT8, 0, 255}, {QL_INT4, -8, 7},
		{QL_UINT4, 0, 15},    {QL_INT2, -2, 1},   {QL_UINT2, 0, 3},
	};
	for (size_t i = 0; i < sizeof ints / sizeof ints[0]; i++) {
		assert_int_equal(ql_formats[ints[i].t].kind, QL_KIND_INT);
		assert_int_equal(ql_formats[ints[i].t].imin, ints[i].lo);
		assert_int_equal(ql_formats[ints[i].t].imax, ints[i].hi);
	}
	assert_string_equal(ql_formats[QL_FP16].torch_name, "torch.float16");
	assert_string_equal(ql_formats[QL_BF16].torch_name, "torch.bfloat16");
	assert_true(ql_code_mask(QL_FP64) == ~UINT64_C(0));
	assert_true(ql_code_mask(QL_FP6_E2M3) == 0x3F);
}

static void test_names(void **state)
{
	static const struct {
		const char *name;
		ql_type t;
	} aliases[] = {
		{"half", QL_FP16}, {"float16", QL_FP16}, {"bfloat16", QL_BF16},
		{"e4m3", QL_FP8_E4M3}, {"float32", QL_FP32}, {"double", QL_FP64},
		{"FP16", QL_FP16}, {"e5m2", QL_FP8_E5M2},
	};
	for (size_t i = 0; i < sizeof aliases / sizeof aliases[0]; i++)
		assert_true(type_named(aliases[i].name) == aliases[i].t);
	ql_type t;
	assert_false(ql_type_from_name("fp7", &t));
	assert_false(ql_type_from_name("", &t));
	assert_false(ql_type_from_name("fp16 ", &t));

	ql_type out[8];
	const char *bad = NULL;
	size_t bad_len = 0;
	assert_int_equal(ql_type_list("fp32,fp16,bf16,int8", out, 8, &bad, &bad_len), 4);
	assert_true(out[0] == QL_FP32 && out[1] == QL_FP16 && out[2] == QL_BF16 && out[3] == QL_INT8);
	assert_int_equal(ql_type_list("nf4", out, 8, &bad, &bad_len), 1);
	assert_true(out[0] == QL_NF4);

	const char *list = "fp32,xx,fp16";
	assert_int_equal(ql_type_list(list, out, 8, &bad, &bad_len), -1);
	assert_ptr_equal(bad, list + 5);
	assert_int_equal(bad_len, 2);
	assert_int_equal(ql_type_list("fp32,", out, 8, &bad, &bad_len), -1);
	assert_int_equal(bad_len, 0);
	assert_int_equal(ql_type_list("", out, 8, &bad, &bad_len), -1);
	assert_int_equal(ql_type_list(",fp32", out, 8, &bad, &bad_len), -1);
	/* more entries than room: -2, so the commands can say "too many" (a
	 * 69th valid name used to be reported as an unknown type) */
	assert_int_equal(ql_type_list("fp32,fp16,bf16", out, 2, &bad, &bad_len), -2);
	/* a name longer than any buffer is just a bad name */
	char longname[300];
	memset(longname, 'a', sizeof longname - 1);
	longname[sizeof longname - 1] = '\0';
	assert_int_equal(ql_type_list(longname, out, 8, &bad, &bad_len), -1);
	assert_int_equal(bad_len, sizeof longname - 1);
}

/* --- decoding ---------------------------------------------------------------- */

/* Every code of every format of 8 bits or fewer against the spec table made
 * by gen_format.py, with its class. */
static void test_decode_small_golden(void **state)
{
	FILE *f = tu_golden_open("smallfmt.txt");
	char line[256], name[32], val[64], cls[32];
	unsigned code;
	int count[QL_TYPE_COUNT] = {0};
	while (tu_golden_line(f, line, sizeof line)) {
		assert_int_equal(sscanf(line, "%31s %x %63s %31s", name, &code, val, cls), 4);
		ql_type t = type_named(name);
		double want = strtod(val, NULL);
		double got = ql_decode(t, code);
		if (!same_value(got, want))
			fail_msg("%s code %#x: decoded %a, spec says %s", name, code, got, val);
		if (ql_classify(t, code) != class_named(cls))
			fail_msg("%s code %#x: class %s, spec says %s", name, code,
				 ql_class_name(ql_classify(t, code)), cls);
		count[t]++;
	}
	fclose(f);
	for (int t = 0; t < QL_TYPE_COUNT; t++) {
		int b = ql_formats[t].bits;
		assert_int_equal(count[t], b <= 8 ? 1 << b : 0);
	}
}

/* The same codes from their fields by formula, written here, and the
 * fields themselves. */
static void test_decode_small_formula(void **state)
{
	for (size_t i = 0; i < N_FLOAT_SPECS; i++) {
		const spec *sp = &float_specs[i];
		uint32_t n = 1u << spec_bits(sp);
		for (uint32_t c = 0; c < n; c++) {
			ql_class cls;
			double want = spec_value(sp, c, &cls);
			double got = ql_decode(sp->t, c);
			if (!same_value(got, want))
				fail_msg("%s code %#x: %a, formula %a", ql_formats[sp->t].name, c, got, want);
			assert_int_equal(ql_classify(sp->t, c), cls);
			unsigned s;
			uint64_t e, m;
			ql_fields(sp->t, c, &s, &e, &m);
			assert_int_equal(s, (c >> (sp->e + sp->m)) & 1);
			assert_int_equal(e, (c >> sp->m) & ((1u << sp->e) - 1));
			assert_int_equal(m, c & ((1u << sp->m) - 1));
			/* bits outside the width are ignored */
			assert_true(same_value(ql_decode(sp->t, c | (UINT64_C(0xA5) << spec_bits(sp))), want));
		}
	}
	/* e8m0: 2^(e - 127), 0xFF = NaN */
	for (uint32_t c = 0; c < 256; c++) {
		double got = ql_decode(QL_E8M0, c);
		if (c == 0xFF) {
			assert_true(isnan(got));
			assert_int_equal(ql_classify(QL_E8M0, c), QL_CLASS_NAN);
		} else {
			assert_true(got == ldexp(1.0, (int)c - 127));
			assert_int_equal(ql_classify(QL_E8M0, c), QL_CLASS_NORMAL);
		}
		unsigned s;
		uint64_t e, m;
		ql_fields(QL_E8M0, c, &s, &e, &m);
		assert_true(s == 0 && e == c && m == 0);
	}
	/* integers: two's complement or unsigned */
	static const struct {
		ql_type t;
		int bits;
		bool sgn;
	} ints[] = {
		{QL_INT8, 8, true}, {QL_UINT8, 8, false}, {QL_INT4, 4, true},
		{QL_UINT4, 4, false}, {QL_INT2, 2, true}, {QL_UINT2, 2, false},
	};
	for (size_t i = 0; i < sizeof ints / sizeof ints[0]; i++) {
		for (int c = 0; c < 1 << ints[i].bits; c++) {
			int v = ints[i].sgn && c >= 1 << (ints[i].bits - 1) ? c - (1 << ints[i].bits) : c;
			assert_true(ql_decode(ints[i].t, (uint64_t)c) == (double)v);
			assert_int_equal(ql_classify(ints[i].t, (uint64_t)c),
					 v ? QL_CLASS_INTEGER : QL_CLASS_ZERO);
			unsigned s;
			uint64_t e, m;
			ql_fields(ints[i].t, (uint64_t)c, &s, &e, &m);
			assert_true(s == 0 && e == 0 && m == (uint64_t)c);
		}
	}
	/* int8 codes are what C's int8_t holds */
	for (int v = -128; v < 128; v++)
		assert_true(ql_decode(QL_INT8, (uint8_t)(int8_t)v) == v);
	/* nf4: strictly increasing in [-1, 1], code 7 is 0, ends are -1 and 1,
	 * and the table is the exported one */
	for (int c = 0; c < 16; c++) {
		assert_true(ql_decode(QL_NF4, (uint64_t)c) == (double)ql_nf4_levels[c]);
		if (c)
			assert_true(ql_nf4_levels[c] > ql_nf4_levels[c - 1]);
	}
	assert_true(ql_nf4_levels[0] == -1.0f && ql_nf4_levels[7] == 0.0f && ql_nf4_levels[15] == 1.0f);
}

static uint64_t fnv_add(uint64_t h, uint32_t u)
{
	for (int k = 0; k < 4; k++) {
		h ^= (u >> (8 * k)) & 0xFF;
		h *= UINT64_C(0x100000001B3);
	}
	return h;
}

/* Every fp16 and bf16 code against PyTorch's decode (hash of the whole
 * table, and the listed subset exactly). */
static void test_decode16_golden(void **state)
{
	uint64_t hash[2] = {UINT64_C(0xCBF29CE484222325), UINT64_C(0xCBF29CE484222325)};
	const ql_type types[2] = {QL_FP16, QL_BF16};
	for (int k = 0; k < 2; k++) {
		for (uint32_t c = 0; c < 65536; c++) {
			double d = ql_decode(types[k], c);
			uint32_t u = bits_f32((float)d); /* exact: every value is a float */
			if (isnan(d))
				u = (u & 0x80000000u) | 0x7FC00000u;
			else
				assert_true((double)(float)d == d);
			hash[k] = fnv_add(hash[k], u);
		}
	}
	FILE *f = tu_golden_open("decode16.txt");
	char line[256], name[32];
	unsigned long long want_hash;
	unsigned code, want;
	int hashes = 0, rows = 0;
	while (tu_golden_line(f, line, sizeof line)) {
		if (sscanf(line, "fnv %31s %llx", name, &want_hash) == 2) {
			ql_type t = type_named(name);
			if (hash[t == QL_BF16] != want_hash)
				fail_msg("%s: decode table hash %016llx, torch's %016llx", name,
					 (unsigned long long)hash[t == QL_BF16], want_hash);
			hashes++;
			continue;
		}
		assert_int_equal(sscanf(line, "%31s %x %x", name, &code, &want), 3);
		ql_type t = type_named(name);
		double got = ql_decode(t, code);
		if (!same_value(got, (double)f32_of(want)))
			fail_msg("%s code %04x: %a, torch %a", name, code, got, (double)f32_of(want));
		rows++;
	}
	fclose(f);
	assert_int_equal(hashes, 2);
	assert_true(rows > 5000);
}

/* Every fp16 code by formula and through _Float16; every bf16 code by formula
 * and as the top half of an fp32. */
static void test_decode16_formula(void **state)
{
	const spec *h = spec_of(QL_FP16), *b = spec_of(QL_BF16);
	for (uint32_t c = 0; c < 65536; c++) {
		ql_class cls;
		double want = spec_value(h, c, &cls);
		double got = ql_decode(QL_FP16, c);
		if (!same_value(got, want) || !same_value(got, ref_fp16_decode((uint16_t)c)))
			fail_msg("fp16 %04x: %a, formula %a, _Float16 %a", c, got, want,
				 ref_fp16_decode((uint16_t)c));
		assert_int_equal(ql_classify(QL_FP16, c), cls);

		want = spec_value(b, c, &cls);
		got = ql_decode(QL_BF16, c);
		if (!same_value(got, want) || !same_value(got, (double)f32_of(c << 16)))
			fail_msg("bf16 %04x: %a, formula %a", c, got, want);
		assert_int_equal(ql_classify(QL_BF16, c), cls);
	}
	/* fp32 and fp64 decode to themselves (sampled) */
	uint64_t x = 0x9E3779B97F4A7C15u;
	for (int i = 0; i < 200000; i++) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		uint32_t u = (uint32_t)x;
		assert_true(same_value(ql_decode(QL_FP32, u), (double)f32_of(u)));
		assert_true(same_value(ql_decode(QL_FP64, x), f64_of(x)));
		if (!isnan(f64_of(x)))
			assert_true(bits_f64(ql_decode(QL_FP64, x)) == x);
	}
	unsigned s;
	uint64_t e, m;
	ql_fields(QL_FP32, bits_f32(1.0f / 3), &s, &e, &m);
	assert_true(s == 0 && e == 125 && m == 0x2AAAAB);
	ql_fields(QL_FP64, bits_f64(-2.0), &s, &e, &m);
	assert_true(s == 1 && e == 1024 && m == 0);
}

/* --- fp32 -> fp16 / bf16 ----------------------------------------------------- */

/* PyTorch's casts of ~10,000 chosen fp32 values. */
static void test_encode16_golden(void **state)
{
	FILE *f = tu_golden_open("fp32_to_16.txt");
	char line[256];
	unsigned u, h, b;
	int rows = 0;
	while (tu_golden_line(f, line, sizeof line)) {
		assert_int_equal(sscanf(line, "%x %x %x", &u, &h, &b), 3);
		double x = (double)f32_of(u);
		unsigned st;
		uint64_t gh = ql_encode(QL_FP16, x, QL_ROUND_NEAREST_EVEN, &st);
		uint64_t gb = ql_encode(QL_BF16, x, QL_ROUND_NEAREST_EVEN, &st);
		if (isnan(x)) {
			/* torch canonicalises NaN; compare NaN-ness only */
			assert_int_equal(ql_classify(QL_FP16, gh), QL_CLASS_NAN);
			assert_int_equal(ql_classify(QL_BF16, gb), QL_CLASS_NAN);
		} else {
			if (gh != h)
				fail_msg("fp32 %08x -> fp16 %04llx, torch %04x", u, (unsigned long long)gh, h);
			if (gb != b)
				fail_msg("fp32 %08x -> bf16 %04llx, torch %04x", u, (unsigned long long)gb, b);
		}
		assert_true(ql_cast(QL_FP16, x, NULL) == gh);
		assert_true(ql_cast(QL_BF16, x, NULL) == gb);
		rows++;
	}
	fclose(f);
	assert_true(rows > 9000);
}

/* One fp32 pattern through both formats, against the references, with the
 * status bits checked against their definitions. */
static void check_one_f32(uint32_t u)
{
	double x = (double)f32_of(u);
	bool nan_in = isnan(x);
	for (int k = 0; k < 2; k++) {
		ql_type t = k ? QL_BF16 : QL_FP16;
		unsigned st = 0xFFu;
		uint64_t got = ql_encode(t, x, QL_ROUND_NEAREST_EVEN, &st);
		uint16_t want = k ? ref_bf16(u) : ref_fp16(u);
		if (got != want)
			fail_msg("fp32 %08x -> %s %04llx, reference %04x", u, ql_formats[t].name,
				 (unsigned long long)got, want);
		double v = ql_decode(t, got);
		bool inexact = !nan_in && v != x;
		bool overflow = !nan_in && isinf(v) && !isinf(x);
		bool underflow = v == 0 && x != 0;
		if (!!(st & QL_ST_INEXACT) != inexact || !!(st & QL_ST_OVERFLOW) != overflow ||
		    !!(st & QL_ST_UNDERFLOW) != underflow || (st & QL_ST_INVALID))
			fail_msg("fp32 %08x -> %s: status %#x", u, ql_formats[t].name, st);
	}
}

/* A dense stride through all fp32 patterns (every exponent, both signs, NaN
 * payloads), and every tie and tie neighbour of both formats. */
static void test_encode16_sweep(void **state)
{
	uint64_t stride = exhaustive() ? 1 : 1021; /* prime: every low-bit pattern */
	for (uint64_t u = 0; u < UINT64_C(1) << 32; u += stride)
		check_one_f32((uint32_t)u);
	check_one_f32(0xFFFFFFFFu);
	/* fp16 ties: halfway between every pair of neighbouring fp16 values
	 * (including max -> 65536, the overflow tie), as fp32, and one ulp to
	 * either side */
	for (uint32_t c = 0; c < 0x7C00; c++) {
		double lo = ref_fp16_decode((uint16_t)c);
		double hi = c == 0x7BFF ? 65536.0 : ref_fp16_decode((uint16_t)(c + 1));
		float mid = (float)((lo + hi) / 2);
		assert_true((double)mid == (lo + hi) / 2);
		for (int d = -1; d <= 1; d++) {
			uint32_t m = bits_f32(mid) + (uint32_t)d;
			check_one_f32(m);
			check_one_f32(m | 0x80000000u);
		}
	}
	/* bf16 ties: low 16 bits 0x8000, every kept pattern */
	for (uint32_t c = 0; c < 0x7F80; c++) {
		for (int d = -1; d <= 1; d++) {
			uint32_t m = (c << 16 | 0x8000u) + (uint32_t)d;
			check_one_f32(m);
			check_one_f32(m | 0x80000000u);
		}
	}
}

/* Rounding toward zero: bf16 is the top 16 bits; fp16 is the RNE result
 * stepped back toward zero when it rounded away. */
static void test_encode16_toward_zero(void **state)
{
	uint64_t stride = exhaustive() ? 1 : 4099;
	for (uint64_t uu = 0; uu < UINT64_C(1) << 32; uu += stride) {
		uint32_t u = (uint32_t)uu;
		double x = (double)f32_of(u);
		if (isnan(x))
			continue;
		uint64_t b = ql_encode(QL_BF16, x, QL_ROUND_TOWARD_ZERO, NULL);
		if (b != u >> 16)
			fail_msg("fp32 %08x -> bf16 (toward zero) %04llx, want %04x", u,
				 (unsigned long long)b, u >> 16);
		uint16_t h = ref_fp16(u);
		if (!isinf(x) && fabs(ref_fp16_decode(h)) > fabs(x))
			h--; /* one step back toward zero (also inf -> max) */
		uint64_t g = ql_encode(QL_FP16, x, QL_ROUND_TOWARD_ZERO, NULL);
		if (g != h)
			fail_msg("fp32 %08x -> fp16 (toward zero) %04llx, want %04x", u,
				 (unsigned long long)g, h);
	}
	/* the notes' bf16 example: 1/3 is 0.333984375 rounded, 0.33203125 truncated */
	assert_true(ql_decode(QL_BF16, ql_encode(QL_BF16, 1.0 / 3, QL_ROUND_NEAREST_EVEN, NULL)) ==
		    0.333984375);
	assert_true(ql_decode(QL_BF16, ql_encode(QL_BF16, 1.0 / 3, QL_ROUND_TOWARD_ZERO, NULL)) ==
		    0.33203125);
	assert_true(ql_encode(QL_BF16, 1.0 / 3, QL_ROUND_NEAREST_EVEN, NULL) == 0x3EAB);
	assert_true(ql_encode(QL_BF16, 1.0 / 3, QL_ROUND_TOWARD_ZERO, NULL) == 0x3EAA);
	assert_true(ql_cast(QL_BF16, 1.0 / 3, NULL) == 0x3EAB);
}

/* Doubles that are not fp32 values: one rounding from the double, not two. */
static void test_encode_from_double(void **state)
{
	/* 1 + 2^-11 + 2^-40 is above the fp16 tie 1 + 2^-11: rounds up; via an
	 * fp32 it would be the exact tie and round to even (down) */
	double x = 1.0 + ldexp(1, -11) + ldexp(1, -40);
	assert_true(ql_encode(QL_FP16, x, QL_ROUND_NEAREST_EVEN, NULL) == 0x3C01);
	assert_true(ql_encode(QL_FP16, 1.0 + ldexp(1, -11), QL_ROUND_NEAREST_EVEN, NULL) == 0x3C00);
	assert_true(ql_encode(QL_FP32, 1.0 + ldexp(1, -24) + ldexp(1, -50), QL_ROUND_NEAREST_EVEN,
			      NULL) == 0x3F800001);
	assert_true(ql_encode(QL_FP32, 1.0 / 3, QL_ROUND_NEAREST_EVEN, NULL) == bits_f32(1.0f / 3));
	/* fp32 against the C cast for random doubles of every magnitude */
	uint64_t s = 0x2545F4914F6CDD1Du;
	for (int i = 0; i < 300000; i++) {
		s ^= s << 13, s ^= s >> 7, s ^= s << 17;
		double d = f64_of(s);
		if (i & 1) /* concentrate on the fp32 range */
			d = ldexp(f64_of((s & 0x800FFFFFFFFFFFFFu) | 0x3FF0000000000000u),
				  (int)(s >> 52 & 0xFF) - 150);
		unsigned st;
		uint64_t got = ql_encode(QL_FP32, d, QL_ROUND_NEAREST_EVEN, &st);
		if (isnan(d)) {
			assert_int_equal(ql_classify(QL_FP32, got), QL_CLASS_NAN);
			continue;
		}
		if (got != bits_f32((float)d))
			fail_msg("fp64 %a -> fp32 %08llx, C cast %08x", d, (unsigned long long)got,
				 bits_f32((float)d));
		assert_int_equal(!!(st & QL_ST_INEXACT), (double)(float)d != d);
		/* fp16 from a double against fp16 from its fp32 when the double is
		 * an fp32 value */
		if ((double)(float)d == d)
			assert_true(ql_encode(QL_FP16, d, QL_ROUND_NEAREST_EVEN, NULL) ==
				    ref_fp16(bits_f32((float)d)));
	}
	/* fp64 stores a double as it is */
	assert_true(ql_encode(QL_FP64, 1.0 / 3, QL_ROUND_NEAREST_EVEN, NULL) == bits_f64(1.0 / 3));
	assert_true(ql_encode(QL_FP64, -0.0, QL_ROUND_NEAREST_EVEN, NULL) == bits_f64(-0.0));
}

/* --- the small float formats ------------------------------------------------- */

/* For every format: exact values, ties (to the even code), the values either
 * side of each tie, underflow to ±0, overflow by the format's rule, inf and
 * NaN inputs. All from the spec formula, not from qlens. */
static void test_encode_small_floats(void **state)
{
	for (size_t i = 0; i < N_FLOAT_SPECS; i++) {
		const spec *sp = &float_specs[i];
		ql_type t = sp->t;
		const char *nm = ql_formats[t].name;
		uint32_t sbit = 1u << (sp->e + sp->m);
		/* largest finite positive code */
		uint32_t cmax = sbit - 1;
		while (!isfinite(spec_value(sp, cmax, NULL)))
			cmax--;
		double vmax = spec_value(sp, cmax, NULL);
		unsigned st;
		for (uint32_t c = 0; c <= cmax; c++) {
			double lo = spec_value(sp, c, NULL);
			for (int neg = 0; neg < 2; neg++) {
				double sg = neg ? -1 : 1;
				uint32_t sc = neg ? sbit : 0;
				uint64_t got = ql_encode(t, sg * lo, QL_ROUND_NEAREST_EVEN, &st);
				if (got != (c | sc) || st != 0)
					fail_msg("%s: %a -> %#llx status %#x, want %#x", nm, sg * lo,
						 (unsigned long long)got, st, c | sc);
				assert_true(ql_encode(t, sg * lo, QL_ROUND_TOWARD_ZERO, NULL) == (c | sc));
				if (c == cmax)
					continue;
				double hi = spec_value(sp, c + 1, NULL);
				double mid = (lo + hi) / 2;
				uint32_t even = (c & 1) ? c + 1 : c;
				got = ql_encode(t, sg * mid, QL_ROUND_NEAREST_EVEN, &st);
				if (got != (even | sc))
					fail_msg("%s: tie %a -> %#llx, want %#x", nm, sg * mid,
						 (unsigned long long)got, even | sc);
				assert_true(st & QL_ST_INEXACT);
				assert_int_equal(!!(st & QL_ST_UNDERFLOW), even == 0);
				assert_true(ql_encode(t, sg * nextafter(mid, 0), QL_ROUND_NEAREST_EVEN,
						      NULL) == (c | sc));
				assert_true(ql_encode(t, sg * nextafter(mid, INFINITY),
						      QL_ROUND_NEAREST_EVEN, NULL) == ((c + 1) | sc));
				/* toward zero: everything below the next value is this one */
				assert_true(ql_encode(t, sg * nextafter(hi, 0), QL_ROUND_TOWARD_ZERO,
						      NULL) == (c | sc));
				assert_true(ql_encode(t, sg * mid, QL_ROUND_TOWARD_ZERO, NULL) == (c | sc));
			}
		}
		/* underflow: below half the smallest subnormal is ±0 */
		double vmin = spec_value(sp, 1, NULL);
		assert_true(ql_encode(t, vmin / 4, QL_ROUND_NEAREST_EVEN, &st) == 0);
		assert_int_equal(st, QL_ST_INEXACT | QL_ST_UNDERFLOW);
		assert_true(ql_encode(t, -vmin / 4, QL_ROUND_NEAREST_EVEN, &st) == sbit);
		assert_true(ql_encode(t, 5e-324, QL_ROUND_NEAREST_EVEN, &st) == 0);
		assert_true(st & QL_ST_UNDERFLOW);
		assert_true(ql_encode(t, -0.0, QL_ROUND_NEAREST_EVEN, &st) == sbit);
		assert_int_equal(st, 0);
		assert_true(ql_encode(t, 0.0, QL_ROUND_NEAREST_EVEN, &st) == 0);

		/* overflow: the would-be next value above max is max + ulp(max);
		 * the tie between them has max's code odd (mantissa all ones)
		 * except in e4m3fn, whose max mantissa is 110 */
		int top_e = (int)((cmax >> sp->m) & ((1u << sp->e) - 1));
		double ulp = ldexp(1.0, top_e - sp->bias - sp->m);
		double tie = vmax + ulp / 2;
		uint64_t inf_code = (uint64_t)((1u << sp->e) - 1) << sp->m;
		for (int neg = 0; neg < 2; neg++) {
			double sg = neg ? -1 : 1;
			uint32_t sc = neg ? sbit : 0;
			uint64_t below = ql_encode(t, sg * nextafter(tie, 0), QL_ROUND_NEAREST_EVEN, &st);
			assert_true(below == (cmax | sc));
			assert_int_equal(st, QL_ST_INEXACT);
			uint64_t at = ql_encode(t, sg * tie, QL_ROUND_NEAREST_EVEN, &st);
			uint64_t above = ql_encode(t, sg * nextafter(tie, INFINITY), QL_ROUND_NEAREST_EVEN, NULL);
			uint64_t huge = ql_encode(t, sg * 1e300, QL_ROUND_NEAREST_EVEN, NULL);
			switch (sp->ovf) {
			case QL_OVERFLOW_INF:
				assert_true(at == (inf_code | sc));
				assert_int_equal(st, QL_ST_INEXACT | QL_ST_OVERFLOW);
				assert_true(above == (inf_code | sc) && huge == (inf_code | sc));
				break;
			case QL_OVERFLOW_NAN: /* e4m3fn: 464 -> 448 (tie to even), above -> NaN */
				assert_true(at == (cmax | sc));
				assert_int_equal(st, QL_ST_INEXACT);
				assert_true(above == ((cmax + 1) | sc) && huge == ((cmax + 1) | sc));
				assert_int_equal(ql_classify(t, above), QL_CLASS_NAN);
				break;
			case QL_OVERFLOW_SATURATE:
				assert_true(at == (cmax | sc) && above == (cmax | sc) && huge == (cmax | sc));
				assert_true(st & QL_ST_OVERFLOW);
				break;
			}
			/* toward zero never overflows past max */
			assert_true(ql_encode(t, sg * 1e300, QL_ROUND_TOWARD_ZERO, &st) == (cmax | sc));
			assert_true(st & QL_ST_OVERFLOW);

			/* infinities */
			uint64_t ci = ql_encode(t, sg * INFINITY, QL_ROUND_NEAREST_EVEN, &st);
			if (sp->inf) {
				assert_true(ci == (inf_code | sc));
			} else if (sp->ovf == QL_OVERFLOW_NAN) {
				/* PyTorch: float8_e4m3fn(±inf) is NaN (0x7f / 0xff) */
				assert_true(ci == ((cmax + 1) | sc));
				assert_true(st & QL_ST_INVALID);
			} else {
				assert_true(ci == (cmax | sc));
				assert_true(st & QL_ST_INVALID);
			}
			/* NaN */
			uint64_t cn = ql_encode(t, copysign(NAN, sg), QL_ROUND_NEAREST_EVEN, &st);
			if (sp->nan != SPEC_NAN_NONE) {
				assert_int_equal(ql_classify(t, cn), QL_CLASS_NAN);
				assert_true((cn & sbit) == sc);
				assert_int_equal(st & QL_ST_INVALID, 0);
			} else {
				assert_true(st & QL_ST_INVALID);
				assert_true(isfinite(ql_decode(t, cn)));
			}
		}
	}
	/* the rules by name */
	unsigned st;
	assert_true(ql_decode(QL_FP8_E4M3, ql_encode(QL_FP8_E4M3, 464, QL_ROUND_NEAREST_EVEN, &st)) == 448);
	assert_true(isnan(ql_decode(QL_FP8_E4M3, ql_encode(QL_FP8_E4M3, 465, QL_ROUND_NEAREST_EVEN, &st))));
	assert_true(st & QL_ST_OVERFLOW);
	assert_true(ql_encode(QL_FP8_E4M3, 465, QL_ROUND_NEAREST_EVEN, NULL) == 0x7F);
	assert_true(ql_encode(QL_FP8_E4M3, -465, QL_ROUND_NEAREST_EVEN, NULL) == 0xFF);
	assert_true(ql_encode(QL_FP8_E4M3, INFINITY, QL_ROUND_NEAREST_EVEN, NULL) == 0x7F);
	assert_true(ql_encode(QL_FP8_E5M2, 61439, QL_ROUND_NEAREST_EVEN, NULL) == 0x7B);
	assert_true(ql_encode(QL_FP8_E5M2, 61440, QL_ROUND_NEAREST_EVEN, NULL) == 0x7C);
	assert_true(ql_decode(QL_FP6_E2M3, ql_encode(QL_FP6_E2M3, 25, QL_ROUND_NEAREST_EVEN, NULL)) == 7.5);
	assert_true(ql_decode(QL_FP6_E3M2, ql_encode(QL_FP6_E3M2, 25, QL_ROUND_NEAREST_EVEN, NULL)) == 24);
	assert_true(ql_decode(QL_FP6_E3M2, ql_encode(QL_FP6_E3M2, 1e9, QL_ROUND_NEAREST_EVEN, NULL)) == 28);
	assert_true(ql_decode(QL_FP4_E2M1, ql_encode(QL_FP4_E2M1, -7, QL_ROUND_NEAREST_EVEN, NULL)) == -6);
	assert_true(ql_decode(QL_FP4_E2M1, ql_encode(QL_FP4_E2M1, 5, QL_ROUND_NEAREST_EVEN, NULL)) == 4);
	assert_true(ql_decode(QL_FP4_E2M1, ql_encode(QL_FP4_E2M1, 2.5, QL_ROUND_NEAREST_EVEN, NULL)) == 2);
	assert_true(ql_decode(QL_FP4_E2M1, ql_encode(QL_FP4_E2M1, 0.25, QL_ROUND_NEAREST_EVEN, NULL)) == 0);
	/* a NaN payload is kept (top bits) and quieted in IEEE formats */
	double snan = f64_of(UINT64_C(0xFFF4000000000000)); /* -NaN, payload 0100... */
	assert_true(ql_encode(QL_FP16, snan, QL_ROUND_NEAREST_EVEN, NULL) == 0xFF00);
}

/* --- integers, e8m0, nf4 ----------------------------------------------------- */

static double ref_round_half_even(double x)
{
	double f = floor(x), d = x - f;
	if (d > 0.5 || (d == 0.5 && fmod(f, 2) != 0))
		return f + 1;
	return f;
}

static void test_encode_ints(void **state)
{
	static const ql_type ints[] = {QL_INT8, QL_UINT8, QL_INT4, QL_UINT4, QL_INT2, QL_UINT2};
	for (size_t i = 0; i < sizeof ints / sizeof ints[0]; i++) {
		ql_type t = ints[i];
		double lo = (double)ql_formats[t].imin, hi = (double)ql_formats[t].imax;
		for (double x = lo - 4; x <= hi + 4; x += 0.125) {
			for (int k = 0; k < 3; k++) {
				double y = k == 0 ? x : k == 1 ? nextafter(x, -INFINITY) : nextafter(x, INFINITY);
				double rn = fmin(fmax(ref_round_half_even(y), lo), hi);
				double tz = fmin(fmax(y < 0 ? -floor(-y) : floor(y), lo), hi);
				unsigned st;
				uint64_t c = ql_encode(t, y, QL_ROUND_NEAREST_EVEN, &st);
				if (ql_decode(t, c) != rn)
					fail_msg("%s: encode(%a) = %g, want %g", ql_formats[t].name, y,
						 ql_decode(t, c), rn);
				assert_true(c <= ql_code_mask(t));
				assert_int_equal(!!(st & QL_ST_INEXACT), rn != y);
				assert_int_equal(!!(st & QL_ST_OVERFLOW),
						 ref_round_half_even(y) > hi || ref_round_half_even(y) < lo);
				c = ql_cast(t, y, &st);
				if (ql_decode(t, c) != tz)
					fail_msg("%s: cast(%a) = %g, want %g", ql_formats[t].name, y,
						 ql_decode(t, c), tz);
				assert_true(ql_encode(t, y, QL_ROUND_TOWARD_ZERO, NULL) == c);
			}
		}
		unsigned st;
		assert_true(ql_decode(t, ql_encode(t, 1e300, QL_ROUND_NEAREST_EVEN, &st)) == hi);
		assert_true(st & QL_ST_OVERFLOW);
		assert_true(ql_decode(t, ql_encode(t, -1e300, QL_ROUND_NEAREST_EVEN, &st)) == lo);
		assert_true(st & (QL_ST_OVERFLOW | QL_ST_INVALID));
		assert_true(ql_decode(t, ql_encode(t, INFINITY, QL_ROUND_NEAREST_EVEN, &st)) == hi);
		assert_true(st & QL_ST_INVALID);
		assert_true(ql_decode(t, ql_cast(t, -INFINITY, &st)) == lo);
		assert_true(st & QL_ST_INVALID);
		assert_true(ql_encode(t, NAN, QL_ROUND_NEAREST_EVEN, &st) <= ql_code_mask(t));
		assert_true(st & QL_ST_INVALID);
		ql_encode(t, 0.25, QL_ROUND_NEAREST_EVEN, &st);
		assert_int_equal(st, QL_ST_INEXACT | QL_ST_UNDERFLOW);
		ql_encode(t, -0.0, QL_ROUND_NEAREST_EVEN, &st);
		assert_int_equal(st, 0);
	}
	/* the notes: a cast truncates, quantization's rounding does not */
	assert_true(ql_cast(QL_INT8, 1.0 / 3, NULL) == 0);
	assert_true(ql_cast(QL_INT8, -2.7, NULL) == 0xFE);
	assert_true(ql_cast(QL_INT8, 0.7, NULL) == 0);
	assert_true(ql_encode(QL_INT8, 0.7, QL_ROUND_NEAREST_EVEN, NULL) == 1);
	assert_true(ql_encode(QL_INT8, 2.5, QL_ROUND_NEAREST_EVEN, NULL) == 2);
	assert_true(ql_encode(QL_INT8, 3.5, QL_ROUND_NEAREST_EVEN, NULL) == 4);
	assert_true(ql_encode(QL_INT8, -2.5, QL_ROUND_NEAREST_EVEN, NULL) == 0xFE);
	assert_true(ql_encode(QL_INT8, -3.5, QL_ROUND_NEAREST_EVEN, NULL) == 0xFC);
	assert_true(ql_encode(QL_INT8, 127.5, QL_ROUND_NEAREST_EVEN, NULL) == 0x7F);
	assert_true(ql_encode(QL_INT8, -128.5, QL_ROUND_NEAREST_EVEN, NULL) == 0x80);
	assert_true(ql_encode(QL_INT4, -1, QL_ROUND_NEAREST_EVEN, NULL) == 0xF);
	assert_true(ql_encode(QL_UINT8, -3, QL_ROUND_NEAREST_EVEN, NULL) == 0);
	assert_true(ql_encode(QL_UINT2, 3.5, QL_ROUND_NEAREST_EVEN, NULL) == 3);
	assert_true(ql_encode(QL_INT2, 1.5, QL_ROUND_NEAREST_EVEN, NULL) == 1);
}

static void test_encode_e8m0(void **state)
{
	unsigned st;
	for (int c = 0; c < 255; c++) {
		double v = ldexp(1.0, c - 127);
		assert_true(ql_encode(QL_E8M0, v, QL_ROUND_NEAREST_EVEN, &st) == (uint64_t)c);
		assert_int_equal(st, 0);
		if (c == 254)
			continue;
		/* between 2^k and 2^(k+1) the midpoint in value is 1.5 * 2^k: a
		 * tie goes to the even code */
		double mid = 1.5 * v;
		uint64_t even = c & 1 ? (uint64_t)c + 1 : (uint64_t)c;
		assert_true(ql_encode(QL_E8M0, mid, QL_ROUND_NEAREST_EVEN, &st) == even);
		assert_true(st & QL_ST_INEXACT);
		assert_true(ql_encode(QL_E8M0, nextafter(mid, 0), QL_ROUND_NEAREST_EVEN, NULL) == (uint64_t)c);
		assert_true(ql_encode(QL_E8M0, nextafter(mid, INFINITY), QL_ROUND_NEAREST_EVEN, NULL) ==
			    (uint64_t)c + 1);
		assert_true(ql_encode(QL_E8M0, nextafter(2 * v, 0), QL_ROUND_TOWARD_ZERO, NULL) == (uint64_t)c);
	}
	assert_true(ql_encode(QL_E8M0, NAN, QL_ROUND_NEAREST_EVEN, &st) == 0xFF);
	/* saturation at both ends, and what it cannot store */
	assert_true(ql_encode(QL_E8M0, 0x1p200, QL_ROUND_NEAREST_EVEN, &st) == 0xFE);
	assert_true(st & QL_ST_OVERFLOW);
	assert_true(ql_encode(QL_E8M0, INFINITY, QL_ROUND_NEAREST_EVEN, &st) == 0xFE);
	assert_true(ql_encode(QL_E8M0, 0x1p-140, QL_ROUND_NEAREST_EVEN, &st) == 0);
	assert_true(st & QL_ST_UNDERFLOW);
	ql_encode(QL_E8M0, 0.0, QL_ROUND_NEAREST_EVEN, &st);
	assert_true(st & QL_ST_INVALID);
	ql_encode(QL_E8M0, -4.0, QL_ROUND_NEAREST_EVEN, &st);
	assert_true(st & QL_ST_INVALID);
	assert_true(ql_encode(QL_E8M0, 1.0, QL_ROUND_NEAREST_EVEN, NULL) == 127);
}

static void test_encode_nf4(void **state)
{
	unsigned st;
	for (int c = 0; c < 16; c++) {
		assert_true(ql_encode(QL_NF4, ql_nf4_levels[c], QL_ROUND_NEAREST_EVEN, &st) == (uint64_t)c);
		assert_int_equal(st, 0);
	}
	/* nearest level, away from the midpoints (bitsandbytes' float32
	 * thresholds may sit a rounding error off the exact midpoint) */
	uint64_t s = 12345;
	for (int i = 0; i < 200000; i++) {
		s = s * 6364136223846793005u + 1442695040888963407u;
		double x = ((double)(s >> 11) / 9007199254740992.0) * 2.4 - 1.2;
		int best = 0;
		double near_mid = INFINITY;
		for (int c = 1; c < 16; c++) {
			if (fabs(x - ql_nf4_levels[c]) < fabs(x - ql_nf4_levels[best]))
				best = c;
			double mid = ((double)ql_nf4_levels[c] + ql_nf4_levels[c - 1]) / 2;
			near_mid = fmin(near_mid, fabs(x - mid));
		}
		if (near_mid < 1e-6)
			continue;
		uint64_t got = ql_encode(QL_NF4, x, QL_ROUND_NEAREST_EVEN, &st);
		if (got != (uint64_t)best)
			fail_msg("nf4: %a -> %llu, nearest level is code %d", x, (unsigned long long)got, best);
		assert_int_equal(!!(st & QL_ST_OVERFLOW), x > 1 || x < -1);
	}
	assert_true(ql_encode(QL_NF4, 5.0, QL_ROUND_NEAREST_EVEN, &st) == 15);
	assert_true(st & QL_ST_OVERFLOW);
	assert_true(ql_encode(QL_NF4, -5.0, QL_ROUND_NEAREST_EVEN, &st) == 0);
	assert_true(ql_encode(QL_NF4, 0.0, QL_ROUND_NEAREST_EVEN, &st) == 7);
	assert_true(ql_encode(QL_NF4, -0.0, QL_ROUND_NEAREST_EVEN, &st) == 7);
	ql_encode(QL_NF4, NAN, QL_ROUND_NEAREST_EVEN, &st);
	assert_true(st & QL_ST_INVALID);
	ql_encode(QL_NF4, INFINITY, QL_ROUND_NEAREST_EVEN, &st);
	assert_true(st & QL_ST_INVALID);
	/* toward zero: the level nearest zero-ward */
	assert_true(ql_encode(QL_NF4, 0.7, QL_ROUND_TOWARD_ZERO, NULL) == 13);
	assert_true(ql_encode(QL_NF4, -0.7, QL_ROUND_TOWARD_ZERO, NULL) == 1);
	assert_true(ql_encode(QL_NF4, 0.05, QL_ROUND_TOWARD_ZERO, NULL) == 7);
}

/* --- neighbours --------------------------------------------------------------- */

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

/* Sorted distinct non-NaN values of a format of at most 16 bits (±0 once). */
static size_t distinct_values(ql_type t, double *out)
{
	size_t n = 0;
	for (uint64_t c = 0; c <= ql_code_mask(t); c++) {
		double v = ql_decode(t, c);
		if (!isnan(v))
			out[n++] = v == 0 ? 0.0 : v;
	}
	qsort(out, n, sizeof *out, cmp_double);
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		if (k == 0 || out[i] != out[k - 1])
			out[k++] = out[i];
	return k;
}

/* ql_next against the sorted list of values, for every code of every format
 * of 16 bits or fewer: one step up/down in value; false at the finite ends
 * (never onto ±inf), from ±inf outward, and from NaN. */
static void test_next_small(void **state)
{
	static double vals[65536];
	for (int t = QL_FP16; t < QL_TYPE_COUNT; t++) {
		size_t n = distinct_values((ql_type)t, vals);
		for (uint64_t c = 0; c <= ql_code_mask((ql_type)t); c++) {
			double v = ql_decode((ql_type)t, c);
			for (int dir = -1; dir <= 1; dir += 2) {
				uint64_t out = 0xDEAD;
				bool ok = ql_next((ql_type)t, c, dir, &out);
				if (isnan(v)) {
					assert_false(ok);
					continue;
				}
				double *p = bsearch(&(double){v == 0 ? 0.0 : v}, vals, n, sizeof *vals, cmp_double);
				assert_non_null(p);
				size_t i = (size_t)(p - vals);
				bool has = dir > 0 ? i + 1 < n : i > 0;
				double want = has ? vals[dir > 0 ? i + 1 : i - 1] : 0;
				if (has && isinf(want))
					has = false; /* the largest finite value has no finite successor */
				if (ok != has)
					fail_msg("%s: next(%#llx = %a, %d) returned %d", ql_formats[t].name,
						 (unsigned long long)c, v, dir, ok);
				if (has && ql_decode((ql_type)t, out) != want)
					fail_msg("%s: next(%#llx = %a, %d) = %a, want %a", ql_formats[t].name,
						 (unsigned long long)c, v, dir, ql_decode((ql_type)t, out), want);
			}
		}
	}
	uint64_t out;
	/* from ±0, up is the smallest positive value */
	assert_true(ql_next(QL_FP16, 0x8000, 1, &out) && out == 0x0001);
	assert_true(ql_next(QL_FP16, 0x0000, 1, &out) && out == 0x0001);
	assert_true(ql_next(QL_FP16, 0x0000, -1, &out) && out == 0x8001);
	assert_false(ql_next(QL_FP16, 0x7BFF, 1, &out));
	assert_false(ql_next(QL_FP16, 0x7C00, 1, &out));
	assert_false(ql_next(QL_FP8_E4M3, 0x7E, 1, &out));
	assert_true(ql_next(QL_FP16, 0x3C00, 1, &out) && out == 0x3C01);
	assert_true(ql_next(QL_INT8, 0x7E, 1, &out) && out == 0x7F);
	assert_true(ql_next(QL_INT8, 0xFF, 1, &out) && out == 0x00);
	assert_false(ql_next(QL_INT8, 0x7F, 1, &out));
	assert_false(ql_next(QL_INT8, 0x80, -1, &out));
	assert_false(ql_next(QL_E8M0, 0xFE, 1, &out));
	assert_false(ql_next(QL_E8M0, 0x00, -1, &out));
}

static void test_next_wide(void **state)
{
	uint64_t s = 0xDEADBEEFCAFEF00Du, out;
	for (int i = 0; i < 300000; i++) {
		s ^= s << 13, s ^= s >> 7, s ^= s << 17;
		uint32_t u = (uint32_t)(s >> 16);
		float f = f32_of(u);
		for (int dir = -1; dir <= 1; dir += 2) {
			bool ok = ql_next(QL_FP32, u, dir, &out);
			float want = nextafterf(f, dir > 0 ? INFINITY : -INFINITY);
			bool has = !isnan(f) && !isinf(want) && want != f;
			if (ok != has)
				fail_msg("fp32 next(%08x, %d) returned %d", u, dir, ok);
			if (has && (double)f32_of((uint32_t)out) != (double)want)
				fail_msg("fp32 next(%08x, %d) = %08llx, nextafterf %a", u, dir,
					 (unsigned long long)out, (double)want);
		}
		double d = f64_of(s);
		for (int dir = -1; dir <= 1; dir += 2) {
			bool ok = ql_next(QL_FP64, s, dir, &out);
			double want = nextafter(d, dir > 0 ? INFINITY : -INFINITY);
			bool has = !isnan(d) && !isinf(want) && want != d;
			assert_int_equal(ok, has);
			if (has)
				assert_true(f64_of(out) == want);
		}
	}
	assert_true(ql_next(QL_FP64, bits_f64(1.0), 1, &out) && f64_of(out) == 1.0 + 0x1p-52);
	assert_true(ql_next(QL_FP64, bits_f64(0.0), -1, &out) && f64_of(out) == -0x1p-1074);
	assert_false(ql_next(QL_FP64, bits_f64(1.7976931348623157e308), 1, &out));
}

/* --- finfo --------------------------------------------------------------------- */

static double finfo_field(const ql_finfo *fi, const char *field)
{
	if (strcmp(field, "bits") == 0) return fi->bits;
	if (strcmp(field, "eps") == 0) return fi->eps;
	if (strcmp(field, "max") == 0) return fi->max;
	if (strcmp(field, "min") == 0) return fi->min;
	if (strcmp(field, "tiny") == 0) return fi->tiny;
	if (strcmp(field, "smallest_normal") == 0) return fi->smallest_normal;
	if (strcmp(field, "smallest_subnormal") == 0) return fi->smallest_subnormal;
	if (strcmp(field, "resolution") == 0) return fi->resolution;
	fail_msg("unknown finfo field %s", field);
	return NAN;
}

static void test_finfo(void **state)
{
	FILE *f = tu_golden_open("finfo.txt");
	char line[256], src[16], name[32], field[32], val[64];
	int rows = 0, torch_rows = 0;
	while (tu_golden_line(f, line, sizeof line)) {
		assert_int_equal(sscanf(line, "%15s %31s %31s %63s", src, name, field, val), 4);
		ql_finfo fi;
		ql_finfo_get(type_named(name), &fi);
		double want = strtod(val, NULL), got = finfo_field(&fi, field);
		if (!same_value(got, want))
			fail_msg("%s finfo %s: %a, %s says %s", name, field, got, src, val);
		rows++;
		torch_rows += strcmp(src, "torch") == 0;
	}
	fclose(f);
	assert_true(torch_rows >= 38 && rows > 80);

	for (int t = 0; t < QL_TYPE_COUNT; t++) {
		ql_finfo fi;
		ql_finfo_get((ql_type)t, &fi);
		const ql_format *fm = &ql_formats[t];
		assert_int_equal(fi.bits, fm->bits);
		if (fm->kind == QL_KIND_FLOAT) {
			assert_int_equal(fi.exp_bits, fm->exp_bits);
			assert_int_equal(fi.man_bits, fm->man_bits);
			assert_int_equal(fi.bias, fm->bias);
			assert_true(fi.tiny == fi.smallest_normal);
			/* eps: the gap above 1.0, from decoding */
			uint64_t one = ql_encode((ql_type)t, 1.0, QL_ROUND_NEAREST_EVEN, NULL), next;
			assert_true(ql_next((ql_type)t, one, 1, &next));
			assert_true(fi.eps == ql_decode((ql_type)t, next) - 1.0);
		}
		if (fm->kind != QL_KIND_CODEBOOK) {
			assert_int_equal(fi.precision, (int)floor(-log10(fi.eps)));
			char text[16];
			snprintf(text, sizeof text, "1e%d", -fi.precision);
			assert_true(fi.resolution == strtod(text, NULL));
		}
		if (fm->bits <= 16) {
			static double vals[65536];
			size_t n = distinct_values((ql_type)t, vals);
			while (n && isinf(vals[n - 1]))
				n--;
			size_t lo = 0;
			while (lo < n && isinf(vals[lo]))
				lo++;
			assert_true(fi.levels == (double)(n - lo));
			assert_true(fi.max == vals[n - 1]);
			assert_true(fi.min == vals[lo]);
		}
	}
	ql_finfo fi;
	ql_finfo_get(QL_FP32, &fi);
	assert_true(fi.levels == 4278190079.0); /* 2^32 - 2^24 NaN/inf codes - one of ±0 */
	assert_int_equal(fi.precision, 6);
	ql_finfo_get(QL_FP16, &fi);
	assert_true(fi.levels == 63487);
	assert_int_equal(fi.precision, 3);
	ql_finfo_get(QL_BF16, &fi);
	assert_int_equal(fi.precision, 2);
}

/* --- text -------------------------------------------------------------------- */

static void test_bits_string(void **state)
{
	char buf[100];
	ql_bits_string(QL_FP32, bits_f32(1.0f / 3), '|', buf, sizeof buf);
	assert_string_equal(buf, "0|01111101|01010101010101010101011");
	ql_bits_string(QL_FP32, bits_f32(1.0f / 3), 0, buf, sizeof buf);
	assert_string_equal(buf, "00111110101010101010101010101011");
	ql_bits_string(QL_FP16, 0x3555, ' ', buf, sizeof buf);
	assert_string_equal(buf, "0 01101 0101010101");
	ql_bits_string(QL_BF16, 0x3EAB, '|', buf, sizeof buf);
	assert_string_equal(buf, "0|01111101|0101011");
	ql_bits_string(QL_FP4_E2M1, 0xF, '|', buf, sizeof buf);
	assert_string_equal(buf, "1|11|1");
	ql_bits_string(QL_INT8, 0xFE, '|', buf, sizeof buf);
	assert_string_equal(buf, "11111110");
	ql_bits_string(QL_INT2, 0x2, 0, buf, sizeof buf);
	assert_string_equal(buf, "10");
	ql_bits_string(QL_NF4, 7, 0, buf, sizeof buf);
	assert_string_equal(buf, "0111");
	ql_bits_string(QL_E8M0, 127, 0, buf, sizeof buf);
	assert_string_equal(buf, "01111111");
	ql_bits_string(QL_FP64, bits_f64(-2.0), 0, buf, sizeof buf);
	assert_string_equal(buf, "1100000000000000000000000000000000000000000000000000000000000000");
	/* every fp16 code, without separators, against a rendering done here */
	for (uint32_t c = 0; c < 65536; c++) {
		char want[17];
		for (int i = 0; i < 16; i++)
			want[i] = (char)('0' + ((c >> (15 - i)) & 1));
		want[16] = '\0';
		ql_bits_string(QL_FP16, c, 0, buf, sizeof buf);
		assert_string_equal(buf, want);
	}
	/* a short buffer is cut and terminated, never overrun */
	char small[6];
	memset(small, 'x', sizeof small);
	ql_bits_string(QL_FP32, 0xFFFFFFFF, '|', small, 5);
	assert_int_equal(strlen(small), 4);
	assert_int_equal(small[5], 'x');
}

static void test_explain(void **state)
{
	char buf[512];
	const char *want = "+1 \xc3\x97 2^(125 - 127) \xc3\x97 1.01010101010101010101011b = "
			   "0.3333333432674407958984375";
	int n = ql_explain(QL_FP32, bits_f32(1.0f / 3), true, buf, sizeof buf);
	assert_string_equal(buf, want);
	assert_int_equal(n, (int)strlen(want));
	ql_explain(QL_FP32, bits_f32(1.0f / 3), false, buf, sizeof buf);
	assert_string_equal(buf, "+1 x 2^(125 - 127) x 1.01010101010101010101011b = 0.3333333432674407958984375");
	/* snprintf convention: the full length even when cut */
	char small[10];
	assert_int_equal(ql_explain(QL_FP32, bits_f32(1.0f / 3), true, small, sizeof small), n);
	assert_int_equal(strlen(small), sizeof small - 1);
	/* every code of every format of 16 bits or fewer explains itself in
	 * plain ASCII when asked, and ends with the exact value for numbers */
	for (int t = QL_FP16; t < QL_TYPE_COUNT; t++) {
		for (uint64_t c = 0; c <= ql_code_mask((ql_type)t); c += t <= QL_BF16 ? 97 : 1) {
			int len = ql_explain((ql_type)t, c, false, buf, sizeof buf);
			assert_true(len > 0 && (size_t)len < sizeof buf);
			for (int i = 0; i < len; i++)
				assert_true((unsigned char)buf[i] < 0x80);
			double v = ql_decode((ql_type)t, c);
			if (isfinite(v) && v != 0) {
				char val[QL_DECIMAL_MAX];
				ql_decimal_exact(v, val, sizeof val);
				assert_non_null(strstr(buf, val));
			}
		}
	}
	ql_explain(QL_FP16, 0x0001, false, buf, sizeof buf);
	assert_non_null(strstr(buf, "subnormal"));
	ql_explain(QL_FP8_E4M3, 0x7F, false, buf, sizeof buf);
	assert_non_null(strstr(buf, "NaN"));
	ql_explain(QL_FP16, 0xFC00, false, buf, sizeof buf);
	assert_non_null(strstr(buf, "inf"));
}

/* --- the notes' example ------------------------------------------------------- */

static void test_notes_one_third(void **state)
{
	FILE *f = tu_golden_open("notes.txt");
	char line[256], name[32], text[128];
	int rows = 0;
	while (tu_golden_line(f, line, sizeof line)) {
		assert_int_equal(sscanf(line, "%31s %127s", name, text), 2);
		ql_type t = type_named(name);
		/* what torch.tensor(1/3, dtype=...) does: the cast */
		double v = ql_decode(t, ql_cast(t, 1.0 / 3, NULL));
		char got[128];
		ql_decimal_fixed(v, 60, got, sizeof got);
		if (strcmp(got, text) != 0)
			fail_msg("%s(1/3): %s, the notes say %s", name, got, text);
		rows++;
	}
	fclose(f);
	assert_int_equal(rows, 5);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_decode_small_golden),
		cmocka_unit_test(test_decode_small_formula),
		cmocka_unit_test(test_decode16_golden),
		cmocka_unit_test(test_decode16_formula),
		cmocka_unit_test(test_encode16_golden),
		cmocka_unit_test(test_encode16_sweep),
		cmocka_unit_test(test_encode16_toward_zero),
		cmocka_unit_test(test_encode_from_double),
		cmocka_unit_test(test_encode_small_floats),
		cmocka_unit_test(test_encode_ints),
		cmocka_unit_test(test_encode_e8m0),
		cmocka_unit_test(test_encode_nf4),
		cmocka_unit_test(test_next_small),
		cmocka_unit_test(test_next_wide),
		cmocka_unit_test(test_finfo),
		cmocka_unit_test(test_bits_string),
		cmocka_unit_test(test_explain),
		cmocka_unit_test(test_notes_one_third),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
