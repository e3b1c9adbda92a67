/* test_qbits.c — the affine targets of every width 2..8 bits (int3, int5,
 * int6, int7 and their unsigned twins beside int2/int4/int8) and the
 * LSB-first bit packing of codes of 1..8 bits, against PyTorch and NumPy
 * (tests/golden/qbits.txt, made by tests/golden/gen_qbits.py).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qgolden.h"
#include "qlens/pack.h"
#include "qlens/quant.h"
#include "qlens/scheme_text.h"

/* The target named int<bits> or uint<bits>, found by name in the table. */
static ql_qdtype target(int bits, bool is_signed)
{
	char name[16];
	snprintf(name, sizeof name, "%sint%d", is_signed ? "" : "u", bits);
	ql_qdtype t;
	ql_error err;
	assert_int_equal(ql_scheme_parse_dtype(name, &t, &err), 0);
	const ql_qdtype_info *info = ql_qdtype_of(t);
	assert_non_null(info);
	assert_int_equal(info->bits, bits);
	assert_int_equal(info->is_signed, is_signed);
	assert_int_equal(info->kind, QL_QK_INT);
	return t;
}

/* Every width 2..8 is a target of the type table, with the code range of
 * its width and symmetry (int5 sym [-15, 15], asym [-16, 15]; uint5 asym
 * [0, 31], sym [1, 31] around 16). */
static void test_table(void **state)
{
	(void)state;
	for (int bits = 2; bits <= 8; bits++) {
		for (int sg = 0; sg < 2; sg++) {
			ql_scheme s;
			ql_scheme_init(&s);
			s.dtype = target(bits, sg);
			int32_t h = 1 << (bits - 1), qmin, qmax;
			s.sym = QL_SYM;
			ql_scheme_qrange(&s, &qmin, &qmax);
			assert_int_equal(qmin, sg ? -(h - 1) : 1);
			assert_int_equal(qmax, sg ? h - 1 : 2 * h - 1);
			s.sym = QL_ASYM;
			ql_scheme_qrange(&s, &qmin, &qmax);
			assert_int_equal(qmin, sg ? -h : 0);
			assert_int_equal(qmax, sg ? h - 1 : 2 * h - 1);
			s.sym = QL_SYM_DEFAULT;
			assert_int_equal(ql_scheme_symmetry(&s), sg ? QL_SYM : QL_ASYM);
		}
	}
	ql_qdtype t;
	ql_error err;
	assert_int_equal(ql_scheme_parse_dtype("int9", &t, &err), -1);
	assert_non_null(strstr(err.msg, "int5"));
	assert_int_equal(ql_scheme_parse_dtype("INT5", &t, &err), 0);
	assert_string_equal(ql_qdtype_name(t), "int5");
}

/* The one-word scheme syntax of report/compare takes the new widths. */
static void test_words(void **state)
{
	(void)state;
	static const struct {
		const char *word, *canon;
		int bits;
		bool is_signed;
		ql_granularity gran;
	} cases[] = {
		{"int5", "int5", 5, true, QL_GRAN_TENSOR},
		{"int3/g32", "int3/g32", 3, true, QL_GRAN_GROUP},
		{"uint6/asym/ch0", "uint6/ch0", 6, false, QL_GRAN_CHANNEL},
		{"int7/g128/mse", "int7/g128/mse", 7, true, QL_GRAN_GROUP},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		ql_scheme s;
		ql_error err;
		assert_int_equal(ql_scheme_parse_word(cases[i].word, &s, &err), 0);
		assert_int_equal(s.dtype, target(cases[i].bits, cases[i].is_signed));
		assert_int_equal(s.gran, cases[i].gran);
		char buf[64];
		ql_scheme_word(&s, buf, sizeof buf);
		if (strcmp(buf, cases[i].canon)) {
			note("%s -> %s, want %s\n", cases[i].word, buf, cases[i].canon);
			fail();
		}
	}
}

/* PyTorch's MinMaxObserver with the width's code range and its fake
 * quantization: ql_quantize gives the same scale, zero point, codes and
 * dequantized values, bit for bit. */
static void test_golden_observers(void **state)
{
	(void)state;
	FILE *f = qg_open_named("qbits.txt");
	assert_non_null(f);
	qg_case c = {0};
	int cases = 0, per_bits[9] = {0};
	while (qg_next(f, &c)) {
		bool obs = !strcmp(c.kind, "obs"), pcobs = !strcmp(c.kind, "pcobs");
		if (!obs && !pcobs)
			continue;
		const qg_array *xa = qg_arr(&c, "x"), *sa = qg_arr(&c, "scale"),
			       *za = qg_arr(&c, "zp"), *ya = qg_arr(&c, "y"), *qa = qg_arr(&c, "q");
		int bits = (int)qg_num(&c, "bits");
		bool sg = qg_num(&c, "signed") != 0, sym = qg_num(&c, "sym") != 0;
		int32_t qmin = (int32_t)qg_num(&c, "qmin"), qmax = (int32_t)qg_num(&c, "qmax");
		float *x = qg_floats(xa);
		size_t n = xa->n;

		ql_scheme s;
		ql_scheme_init(&s);
		s.dtype = target(bits, sg);
		s.sym = sym ? QL_SYM : QL_ASYM;
		int64_t shape[QL_MAX_DIMS] = {(int64_t)n};
		int ndim = 1;
		if (pcobs) {
			const qg_array *sh = qg_arr(&c, "shape");
			ndim = (int)sh->n;
			for (int i = 0; i < ndim; i++)
				shape[i] = (int64_t)sh->v[i];
			s.gran = QL_GRAN_CHANNEL;
			s.axis = (int)qg_num(&c, "axis");
		}
		int32_t rmin, rmax;
		ql_scheme_qrange(&s, &rmin, &rmax);
		assert_int_equal(rmin, qmin);
		assert_int_equal(rmax, qmax);

		ql_qresult r;
		ql_error err;
		ql_qopts o = {.dequant = true};
		assert_int_equal(ql_quantize(x, shape, ndim, &s, &o, &r, &err), 0);
		assert_int_equal(r.qmin, qmin);
		assert_int_equal(r.qmax, qmax);
		assert_int_equal(r.nscales, (int64_t)sa->n);
		for (int64_t k = 0; k < r.nscales; k++) {
			check_same_float(r.scales[k], (float)sa->v[k], c.head, (size_t)k);
			int32_t zp = r.zero_points ? r.zero_points[k] : 0;
			if (zp != (int32_t)za->v[k]) {
				note("%s: zero point %d, torch %d\n", c.head, zp, (int)za->v[k]);
				fail();
			}
		}
		for (size_t i = 0; i < n; i++) {
			check_same_float(r.dequant[i], (float)ya->v[i], c.head, i);
			int q = sg ? (int)(int8_t)r.codes[i] : (int)r.codes[i];
			assert_true(q >= qmin && q <= qmax);
			if (qa && q != (int)qa->v[i]) {
				note("%s: x[%zu]=%a code %d, torch %d\n", c.head, i, (double)x[i], q,
				     (int)qa->v[i]);
				fail();
			}
		}
		/* storage: the codes packed to the width, float32 scales, int32
		 * zero points where there are any */
		uint64_t want = ql_packed_bytes(n, bits) + 4 * (uint64_t)r.nscales +
				(r.zero_points ? 4 * (uint64_t)r.nscales : 0);
		assert_int_equal(r.bytes, want);

		/* unsigned symmetric: PyTorch cannot express the grid [1, 2^b - 1]
		 * around 2^(b-1); it is the signed symmetric grid shifted, so the
		 * scales and dequantized values are those of the signed case. */
		if (sg && sym) {
			ql_scheme u = s;
			u.dtype = target(bits, false);
			ql_qresult ru;
			assert_int_equal(ql_quantize(x, shape, ndim, &u, &o, &ru, &err), 0);
			int32_t h = 1 << (bits - 1);
			for (int64_t k = 0; k < ru.nscales; k++) {
				check_same_float(ru.scales[k], r.scales[k], "uint sym scale", (size_t)k);
				assert_int_equal(ru.zero_points[k], h);
			}
			for (size_t i = 0; i < n; i++) {
				check_same_float(ru.dequant[i], r.dequant[i], "uint sym", i);
				assert_int_equal((int)ru.codes[i], (int)(int8_t)r.codes[i] + h);
			}
			ql_qresult_free(&ru);
		}
		ql_qresult_free(&r);
		free(x);
		per_bits[bits]++;
		cases++;
	}
	qg_free(&c);
	fclose(f);
	assert_true(cases >= 100);
	for (int b = 3; b <= 7; b++)
		if (b != 4)
			assert_true(per_bits[b] >= 25);
}

/* Packing: NumPy's packbits(bitorder="little") of each code's bits. */
static void test_golden_pack(void **state)
{
	(void)state;
	FILE *f = qg_open_named("qbits.txt");
	assert_non_null(f);
	qg_case c = {0};
	int cases = 0;
	while (qg_next(f, &c)) {
		if (strcmp(c.kind, "pack"))
			continue;
		int bits = (int)qg_num(&c, "bits");
		bool sg = qg_num(&c, "signed") != 0;
		const qg_array *ca = qg_arr(&c, "codes"), *pa = qg_arr(&c, "packed");
		size_t n = ca->n;
		assert_int_equal(n, (size_t)qg_num(&c, "n"));
		assert_int_equal(ql_packed_bytes(n, bits), pa->n);
		uint8_t *codes = malloc(n + 1), *back = malloc(n + 1), *out = malloc(pa->n + 1);
		for (size_t i = 0; i < n; i++)
			codes[i] = (uint8_t)(int)ca->v[i]; /* two's complement byte */
		memset(out, 0xAA, pa->n + 1);
		ql_pack_bits(codes, n, bits, out);
		for (size_t i = 0; i < pa->n; i++) {
			if (out[i] != (uint8_t)pa->v[i]) {
				note("%s: byte %zu is 0x%02x, numpy 0x%02x\n", c.head, i, out[i],
				     (unsigned)pa->v[i]);
				fail();
			}
		}
		assert_int_equal(out[pa->n], 0xAA); /* nothing written past the end */
		ql_unpack_bits(out, n, bits, sg, back);
		for (size_t i = 0; i < n; i++) {
			int want = sg ? (int)ca->v[i] : (int)ca->v[i] & ((1 << bits) - 1);
			int got = sg ? (int)(int8_t)back[i] : (int)back[i];
			assert_int_equal(got, want);
		}
		free(codes);
		free(back);
		free(out);
		cases++;
	}
	qg_free(&c);
	fclose(f);
	assert_true(cases >= 80);
}

/* Worked by hand: int3 [1, 2, 3] is the stream 1 0 0 | 0 1 0 | 1 1 0, so
 * 0b11'010'001 = 0xd1 then 0b0; int5 [-1, 0, 15] is 11111 00000 11110 (each
 * lowest bit first) -> 0x1f, 0x3c (stream bits 8..15: 0 0 1 1 1 1 0 0).
 * Sizes: 8 int3 codes in 3 bytes, 9 in 4; 8 int7 in 7; huge counts do not
 * overflow. */
static void test_by_hand(void **state)
{
	(void)state;
	uint8_t out[4] = {0xEE, 0xEE, 0xEE, 0xEE}, back[3];
	const uint8_t c3[3] = {1, 2, 3};
	ql_pack_bits(c3, 3, 3, out);
	assert_int_equal(out[0], 0xd1);
	assert_int_equal(out[1], 0x00);
	assert_int_equal(out[2], 0xEE);
	const uint8_t c5[3] = {0xFF, 0, 15};
	ql_pack_bits(c5, 3, 5, out);
	assert_int_equal(out[0], 0x1f);
	assert_int_equal(out[1], 0x3c);
	ql_unpack_bits(out, 3, 5, true, back);
	assert_int_equal((int8_t)back[0], -1);
	assert_int_equal(back[1], 0);
	assert_int_equal(back[2], 15);
	assert_int_equal(ql_packed_bytes(8, 3), 3);
	assert_int_equal(ql_packed_bytes(9, 3), 4);
	assert_int_equal(ql_packed_bytes(8, 7), 7);
	assert_int_equal(ql_packed_bytes(0, 5), 0);
	assert_int_equal(ql_packed_bytes(SIZE_MAX / 4, 8), SIZE_MAX / 4);
	assert_int_equal(ql_packed_bytes(5, 4), 3);
	assert_int_equal(ql_packed_bytes(5, 2), 2);
}

/* Edge values through a 3-bit grid: +-0, subnormals, the range ends and the
 * ties, worked by hand. int3 sym of [-1.5 .. 1.5]: scale 0.5, codes -3..3;
 * 0.25 and 0.75 are ties to even (0 and 2); -0 gives code 0 and x̂ +0. */
static void test_int3_edges(void **state)
{
	(void)state;
	const float x[] = {-1.5f, 1.5f, 0.25f, 0.75f, -0.75f, -0.0f, 1e-40f, 1.25f, 0.5f};
	const int want[] = {-3, 3, 0, 2, -2, 0, 0, 2, 1};
	ql_scheme s;
	ql_scheme_init(&s);
	s.dtype = target(3, true);
	int64_t shape[1] = {9};
	ql_qresult r;
	ql_error err;
	ql_qopts o = {.dequant = true};
	assert_int_equal(ql_quantize(x, shape, 1, &s, &o, &r, &err), 0);
	assert_true(r.scales[0] == 0.5f);
	assert_null(r.zero_points);
	for (int i = 0; i < 9; i++) {
		assert_int_equal((int8_t)r.codes[i], want[i]);
		assert_true(r.dequant[i] == 0.5f * (float)want[i]);
	}
	assert_false(signbit(r.dequant[5]));
	assert_int_equal(r.metrics.clipped, 0);
	/* 9 codes of 3 bits: 4 bytes, plus the float32 scale */
	assert_int_equal(r.bytes, 4 + 4);
	ql_qresult_free(&r);

	/* a manual scale clips: 1.5 / 0.25 = 6 > 3 */
	s.has_scale = true;
	s.scale = 0.25f;
	assert_int_equal(ql_quantize(x, shape, 1, &s, &o, &r, &err), 0);
	assert_int_equal((int8_t)r.codes[0], -3);
	assert_int_equal((int8_t)r.codes[1], 3);
	assert_int_equal(r.metrics.clipped, 3); /* +-1.5 and 1.25; -0.75 is -3 exactly */
	ql_qresult_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_words),
		cmocka_unit_test(test_golden_observers),
		cmocka_unit_test(test_golden_pack),
		cmocka_unit_test(test_by_hand),
		cmocka_unit_test(test_int3_edges),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
