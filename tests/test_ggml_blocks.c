/* test_ggml_blocks.c — the block formats of ggml_blocks.h against golden
 * files in tests/golden/ggml_blocks/blocks/:
 *   SET.in.f32      the inputs (random, weight-like, outliers, all-zero,
 *                   constant, tiny, huge, ±0, subnormal, ties, a different
 *                   kind in each block of 32);
 *   NAME_SET.q      ggml's own blocks for them (ggml's quantize_row_*_ref,
 *                   built from ggml's source by make_golden.sh);
 *   NAME_SET.f32    those blocks decoded by ggml_ref.py, an independent
 *                   NumPy port of ggml's dequantize_row_*.
 * qlens's quantizers must give the .q bytes and its dequantizers the .f32
 * floats, bit for bit. Also: bits per weight, bad blocks (NaN/inf scales),
 * decoding through ql_tensor_to_f32 from unaligned bytes.
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

#include "qlens/blockfmt.h"
#include "qlens/ggml_blocks.h"
#include "qlens/io.h"
#include "qlens/mx.h"
#include "qlens/scheme.h"

static const char *const formats[] = {
	"q4_1", "q5_0", "q5_1", "q2_k", "q3_k", "q4_k", "q5_k", "q6_k", "q8_k",
	"iq4_nl", "iq4_xs", "tq1_0", "tq2_0", "mxfp4_ggml", "nvfp4",
};
static const char *const sets[] = {
	"random", "weights", "outliers", "zero", "constant", "tiny", "huge", "signed_zero",
	"subnormal", "ties", "mixed_blocks",
};
#define COUNT(a) (sizeof a / sizeof a[0])

static const char *golden_path(const char *name)
{
	static char path[1024];
	const char *dir = getenv("QLENS_SRCDIR");
	snprintf(path, sizeof path, "%s/tests/golden/ggml_blocks/%s", dir ? dir : ".", name);
	return path;
}

/* Reads tests/golden/ggml_blocks/blocks/NAME; *n gets its byte count. */
static void *read_golden(const char *name, size_t *n)
{
	char path[1024];
	snprintf(path, sizeof path, "blocks/%s", name);
	snprintf(path, sizeof path, "%s", golden_path(path));
	FILE *f = fopen(path, "rb");
	if (!f)
		fail_msg("cannot open %s", path);
	fseek(f, 0, SEEK_END);
	long len = ftell(f);
	fseek(f, 0, SEEK_SET);
	void *p = malloc(len > 0 ? (size_t)len : 1);
	assert_non_null(p);
	assert_int_equal(fread(p, 1, (size_t)len, f), (size_t)len);
	fclose(f);
	*n = (size_t)len;
	return p;
}

/* ggml's IQ4_NL leaves a d = 0 block's codes to its uninitialised scratch
 * (see iq4.c): those codes are not part of the comparison. */
static void mask_iq4_nl(unsigned char *mine, const unsigned char *ggml, size_t n)
{
	for (size_t i = 0; i + 18 <= n; i += 18)
		if (!mine[i] && !mine[i + 1] && !ggml[i] && !ggml[i + 1])
			memcpy(mine + i + 2, ggml + i + 2, 16);
}

static void test_quantize_equals_ggml(void **state)
{
	(void)state;
	for (size_t f = 0; f < COUNT(formats); f++) {
		const ql_block_traits *t = ql_block_find(formats[f]);
		assert_non_null(t);
		assert_non_null(t->quantize_row_ref);
		for (size_t s = 0; s < COUNT(sets); s++) {
			char name[128];
			size_t nx, nq;
			snprintf(name, sizeof name, "%s.in.f32", sets[s]);
			float *x = read_golden(name, &nx);
			snprintf(name, sizeof name, "%s_%s.q", formats[f], sets[s]);
			unsigned char *want = read_golden(name, &nq);
			int64_t k = (int64_t)(nx / sizeof(float));
			assert_int_equal(nq, (size_t)(k / t->block * t->bytes));
			unsigned char *got = calloc(1, nq), *fast = calloc(1, nq);
			assert_non_null(got);
			assert_non_null(fast);
			t->quantize_row_ref(x, got, k);
			ql_block_quantizer(t)(x, fast, k);
			assert_memory_equal(got, fast, nq);
			if (strcmp(t->name, "iq4_nl") == 0)
				mask_iq4_nl(got, want, nq);
			if (memcmp(got, want, nq) != 0) {
				size_t at = 0;
				while (got[at] == want[at])
					at++;
				fail_msg("%s: byte %zu of block %zu is %02x, ggml's %02x", name,
					 at % (size_t)t->bytes, at / (size_t)t->bytes, got[at], want[at]);
			}
			free(x);
			free(want);
			free(got);
			free(fast);
		}
	}
}

static void test_decode_equals_reference(void **state)
{
	(void)state;
	for (size_t f = 0; f < COUNT(formats); f++) {
		const ql_block_traits *t = ql_block_find(formats[f]);
		for (size_t s = 0; s < COUNT(sets); s++) {
			char name[128];
			size_t nq, ny;
			snprintf(name, sizeof name, "%s_%s.q", formats[f], sets[s]);
			unsigned char *q = read_golden(name, &nq);
			snprintf(name, sizeof name, "%s_%s.f32", formats[f], sets[s]);
			float *want = read_golden(name, &ny);
			int64_t k = (int64_t)(ny / sizeof(float));
			assert_int_equal(nq, (size_t)(k / t->block * t->bytes));
			float *got = malloc(ny);
			assert_non_null(got);
			t->dequantize_row(q, got, k);
			for (int64_t i = 0; i < k; i++)
				if (memcmp(&got[i], &want[i], sizeof(float)) != 0)
					fail_msg("%s: value %lld is %a, reference %a", name, (long long)i,
						 got[i], want[i]);
			free(q);
			free(want);
			free(got);
		}
	}
}

static void test_bits_per_weight(void **state)
{
	(void)state;
	static const struct { const char *name; double bpw; } want[] = {
		{ "q4_1", 5.0 }, { "q5_0", 5.5 }, { "q5_1", 6.0 }, { "q2_k", 2.625 },
		{ "q3_k", 3.4375 }, { "q4_k", 4.5 }, { "q5_k", 5.5 }, { "q6_k", 6.5625 },
		{ "q8_k", 9.125 }, { "iq4_nl", 4.5 }, { "iq4_xs", 4.25 }, { "tq1_0", 1.6875 },
		{ "tq2_0", 2.0625 }, { "mxfp4_ggml", 4.25 }, { "nvfp4", 4.5 },
	};
	for (size_t i = 0; i < COUNT(want); i++) {
		const ql_block_traits *t = ql_block_find(want[i].name);
		assert_non_null(t);
		assert_true(ql_block_bits_per_weight(t) == want[i].bpw);
	}
	/* the GGUF type ids are ggml's */
	assert_string_equal(ql_block_for_ggml(12)->name, "q4_k");
	assert_string_equal(ql_block_for_ggml(14)->name, "q6_k");
	assert_string_equal(ql_block_for_ggml(23)->name, "iq4_xs");
	assert_string_equal(ql_block_for_ggml(34)->name, "tq1_0");
	assert_string_equal(ql_block_for_ggml(39)->name, "mxfp4_ggml");
	assert_string_equal(ql_block_for_ggml(40)->name, "nvfp4");
	assert_null(ql_block_for_ggml(16)); /* IQ2_XXS: listed, not decoded */
}

static uint32_t f32_bits(float f)
{
	uint32_t u;
	memcpy(&u, &f, sizeof u);
	return u;
}

/* Blocks with NaN and inf scales decode as ggml's arithmetic gives (NaN
 * times anything, inf times zero codes NaN, inf times the rest ±inf), and
 * every byte pattern decodes without a fault (the sanitizers watch). */
static void test_bad_blocks(void **state)
{
	(void)state;
	float y[256];
	/* Q4_K: d = NaN: every value NaN */
	ql_block_q4_k b4;
	memset(&b4, 0x11, sizeof b4);
	b4.d = 0x7e00;
	b4.dmin = 0;
	ql_dequantize_row_q4_k(&b4, y, 256);
	for (int i = 0; i < 256; i++)
		assert_true(isnan(y[i]));
	/* TQ2_0: d = +inf; trit 0 -> -inf, 1 -> 0 * inf = NaN, 2 -> +inf */
	ql_block_tq2_0 bt;
	memset(bt.qs, 0x24, sizeof bt.qs); /* trits 0, 1, 2, 0 in each byte */
	bt.d = 0x7c00;
	ql_dequantize_row_tq2_0(&bt, y, 256);
	assert_true(isinf(y[0]) && y[0] < 0);
	assert_true(isnan(y[32]));
	assert_true(isinf(y[64]) && y[64] > 0);
	/* Q6_K: d = -inf, scale 0: NaN (inf * 0); scale 1, code 32 (0): NaN */
	ql_block_q6_k b6;
	memset(&b6, 0, sizeof b6);
	b6.d = 0xfc00;
	b6.scales[1] = 1;
	ql_dequantize_row_q6_k(&b6, y, 256);
	assert_true(isnan(y[0]));
	/* Q8_K's float32 scale: NaN */
	static ql_block_q8_k b8;
	b8.d = NAN;
	ql_dequantize_row_q8_k(&b8, y, 256);
	assert_true(isnan(y[7]));
	/* NVFP4: UE4M3 0x7F reads as 0 in ggml (not NaN) */
	ql_block_nvfp4 bn;
	memset(bn.d, 0x7f, sizeof bn.d);
	memset(bn.qs, 0x77, sizeof bn.qs);
	ql_dequantize_row_nvfp4(&bn, y, 64);
	assert_int_equal(f32_bits(y[0]), 0);
	/* MXFP4: e = 0xFF is 2^127 in ggml's halved E8M0 (no NaN) */
	ql_block_mxfp4 bm;
	bm.e = 0xff;
	memset(bm.qs, 0x11, sizeof bm.qs); /* code 1: 0.5, ggml keeps it as 1 */
	ql_dequantize_row_mxfp4(&bm, y, 32);
	assert_true(y[0] == 0x1p127f);

	/* every byte pattern, every format: no fault */
	for (int i = 0; i < ql_block_format_count; i++) {
		const ql_block_traits *t = &ql_block_formats[i];
		int64_t k = 4 * t->block;
		unsigned char *raw = malloc(4 * (size_t)t->bytes);
		float *out = malloc((size_t)k * sizeof *out);
		assert_non_null(raw);
		assert_non_null(out);
		uint32_t r = 12345;
		for (int rep = 0; rep < 64; rep++) {
			for (int b = 0; b < 4 * t->bytes; b++) {
				r = r * 1103515245u + 12345u;
				raw[b] = (unsigned char)(r >> 16);
			}
			t->dequantize_row(raw, out, k);
		}
		free(raw);
		free(out);
	}
}

/* NaN and inf inputs: the quantizers finish and write whole blocks (their
 * bytes equal ggml's too: checked by ggml_check.c's "nonfinite" set). */
static void test_nonfinite_inputs(void **state)
{
	(void)state;
	float x[512];
	for (int i = 0; i < 512; i++)
		x[i] = i % 7 == 0 ? NAN : i % 11 == 0 ? INFINITY : i % 13 == 0 ? -INFINITY : (float)i;
	for (size_t f = 0; f < COUNT(formats); f++) {
		const ql_block_traits *t = ql_block_find(formats[f]);
		unsigned char *b = malloc((size_t)(512 / t->block * t->bytes));
		float *y = malloc(sizeof x);
		assert_non_null(b);
		assert_non_null(y);
		t->quantize_row_ref(x, b, 512);
		t->dequantize_row(b, y, 512);
		free(b);
		free(y);
	}
}

/* ql_tensor_to_f32 decodes every format through the table, from bytes at an
 * odd address too (inside a mapped file they can be), and refuses a count
 * that is not a whole number of blocks. */
static void test_tensor_decode(void **state)
{
	(void)state;
	for (size_t f = 0; f < COUNT(formats); f++) {
		const ql_block_traits *t = ql_block_find(formats[f]);
		char name[128];
		size_t nq, ny;
		snprintf(name, sizeof name, "%s_weights.q", formats[f]);
		unsigned char *q = read_golden(name, &nq);
		snprintf(name, sizeof name, "%s_weights.f32", formats[f]);
		float *want = read_golden(name, &ny);
		unsigned char *odd = malloc(nq + 1);
		float *got = malloc(ny);
		assert_non_null(odd);
		assert_non_null(got);
		memcpy(odd + 1, q, nq);
		ql_tensor te = { .dtype = t->dtype, .ndim = 2 };
		snprintf(te.name, sizeof te.name, "w");
		te.shape[0] = 2;
		te.shape[1] = (int64_t)(ny / sizeof(float)) / 2;
		te.nelem = te.shape[0] * te.shape[1];
		te.nbytes = nq;
		te.data = odd + 1;
		ql_error err = { "" };
		assert_int_equal(ql_tensor_to_f32(&te, got, &err), 0);
		assert_memory_equal(got, want, ny);
		te.data = q;
		assert_int_equal(ql_tensor_to_f32(&te, got, &err), 0);
		assert_memory_equal(got, want, ny);
		/* one element short of a block */
		te.ndim = 1;
		te.shape[0] = te.nelem = t->block - 1;
		assert_int_equal(ql_tensor_to_f32(&te, got, &err), -1);
		assert_non_null(strstr(err.msg, "whole number"));
		free(q);
		free(want);
		free(odd);
		free(got);
	}
}

/* The GGUF reader on a file holding every type (gen_gguf.py): each block
 * tensor is listed with its dtype and decodes to the values of the NumPy
 * port, bad blocks (NaN/inf scales) included, bit for bit; IQ2_XXS is
 * listed with its size and refused with a clear message. */
static void test_gguf_every_type(void **state)
{
	(void)state;
	ql_source *src = NULL;
	ql_error err = { "" };
	if (ql_source_open(golden_path("every_type.gguf"), NULL, &src, &err))
		fail_msg("%s", err.msg);
	size_t decoded = 0;
	for (size_t i = 0; i < ql_source_count(src); i++) {
		const ql_tensor *t = ql_source_tensor(src, i);
		if (strcmp(t->name, "blk.0.iq2_xxs") == 0) {
			assert_int_equal(t->dtype, QL_DT_OTHER);
			assert_string_equal(t->other_name, "IQ2_XXS");
			assert_int_equal(t->nbytes, 2 * 66);
			float *f = NULL;
			assert_int_equal(ql_source_read_f32(src, i, &f, &err), -1);
			assert_non_null(strstr(err.msg, "cannot decode IQ2_XXS"));
			continue;
		}
		assert_non_null(ql_block_for_dtype(t->dtype));
		char name[300];
		size_t ny;
		snprintf(name, sizeof name, "every_type/%s.f32", t->name);
		FILE *fe = fopen(golden_path(name), "rb");
		assert_non_null(fe);
		float want[4096];
		ny = fread(want, 1, sizeof want, fe);
		fclose(fe);
		assert_int_equal(ny, (size_t)t->nelem * sizeof(float));
		float *got = NULL;
		if (ql_source_read_f32(src, i, &got, &err))
			fail_msg("%s: %s", t->name, err.msg);
		for (int64_t j = 0; j < t->nelem; j++)
			if (memcmp(&got[j], &want[j], sizeof(float)) != 0)
				fail_msg("%s: value %lld is %a, reference %a", t->name, (long long)j,
					 got[j], want[j]);
		free(got);
		decoded++;
	}
	assert_int_equal(decoded, 23);
	ql_source_close(src);
}

/* ggml's MXFP4 against qlens's OCP-reference mxfp4, as `dtypes --blocks`
 * explains it: the same scale byte, and the same code for every value
 * except ties between two E2M1 levels (ggml: the smaller magnitude; OCP:
 * the even mantissa) and negative values that round to zero (ggml: +0). */
static void test_mxfp4_vs_ocp(void **state)
{
	(void)state;
	enum { K = 32 * 64 };
	static float x[K];
	uint32_t r = 7;
	for (int i = 0; i < K; i++) {
		r = r * 1664525u + 1013904223u;
		/* multiples of 1/8 of the block's scale: many ties */
		x[i] = (float)((int)(r >> 20) % 97 - 48) * 0.0625f;
	}
	static ql_block_mxfp4 g[K / 32];
	static uint8_t codes[K], e[K / 32];
	ql_quantize_row_mxfp4_ref(x, g, K);
	ql_mx_quantize(QL_Q_MXFP4, x, K, codes, e);
	int ties = 0, neg_zero = 0;
	for (int i = 0; i < K; i++) {
		const ql_block_mxfp4 *b = &g[i / 32];
		assert_int_equal(b->e, e[i / 32]);
		int j = i % 32;
		int gc = j < 16 ? b->qs[j] & 15 : b->qs[j - 16] >> 4;
		if (gc == codes[i])
			continue;
		float scale = ql_e8m0_to_f32(e[i / 32]);
		float vg = ql_ggml_fp4_values[gc] * 0.5f, vo = ql_mx_elem_value(QL_Q_MXFP4, codes[i]);
		float v = x[i] / scale;
		if (vg == 0.0f && vo == 0.0f) { /* +0 against -0 */
			assert_true(x[i] <= 0.0f);
			neg_zero++;
			continue;
		}
		/* a tie: both equally far, ggml's the smaller magnitude */
		assert_true(fabsf(v - vg) == fabsf(v - vo));
		assert_true(fabsf(vg) < fabsf(vo));
		ties++;
	}
	assert_true(ties > 0); /* the data has ties, so the difference shows */
}

/* The table's codes_row and scales_row (blockfmt_views.c) describe each
 * block as its dequantizer reads it: value i = its format's formula of
 * codes[i] and the (sub-block) scales, bit for bit the dequantized value. */
static float view_value(const char *f, int code, int i, float d, float dmin, const float *sd,
			const float *sm)
{
	static const int8_t fp4x2[16] = { 0, 1, 2, 3, 4, 6, 8, 12, 0, -1, -2, -3, -4, -6, -8, -12 };
	if (!strcmp(f, "q2_k"))
		return sd[i / 16] * code - sm[i / 16];
	if (!strcmp(f, "q3_k"))
		return sd[i / 16] * (code - 4);
	if (!strcmp(f, "q4_k") || !strcmp(f, "q5_k"))
		return sd[i / 32] * code - sm[i / 32];
	if (!strcmp(f, "q6_k"))
		return sd[i / 16] * (code - 32);
	if (!strcmp(f, "q8_k"))
		return d * (int8_t)code;
	if (!strcmp(f, "iq4_nl"))
		return d * ql_iq4nl_values[code];
	if (!strcmp(f, "iq4_xs"))
		return sd[i / 32] * ql_iq4nl_values[code];
	if (!strcmp(f, "tq1_0") || !strcmp(f, "tq2_0"))
		return (float)(code - 1) * d;
	if (!strcmp(f, "mxfp4_ggml"))
		return fp4x2[code] * 0.5f * d;
	if (!strcmp(f, "nvfp4"))
		return fp4x2[code] * 0.5f * sd[i / 16];
	(void)dmin;
	return NAN;
}

static void test_codes_and_scales_views(void **state)
{
	(void)state;
	size_t n;
	float *x = read_golden("outliers.in.f32", &n);
	int64_t k = (int64_t)(n / sizeof(float));
	for (size_t f = 3; f < COUNT(formats); f++) { /* from q2_k on */
		const ql_block_traits *t = ql_block_find(formats[f]);
		assert_non_null(t->codes_row);
		assert_non_null(t->scales_row);
		unsigned char *b = malloc((size_t)(k / t->block * t->bytes));
		float *y = malloc(n);
		assert_non_null(b);
		assert_non_null(y);
		ql_block_quantizer(t)(x, b, k);
		t->dequantize_row(b, y, k);
		for (int64_t blk = 0; blk < k / t->block; blk++) {
			uint8_t codes[256];
			float d = 0, dmin = 0, sd[16] = { 0 }, sm[16] = { 0 };
			const unsigned char *raw = b + blk * t->bytes;
			t->codes_row(raw, codes);
			t->scales_row(raw, &d, &dmin, sd, sm);
			for (int i = 0; i < t->block; i++) {
				int c = t->codes_signed ? (int8_t)codes[i] : codes[i];
				assert_true(c >= t->qmin && c <= t->qmax);
				float v = view_value(t->name, codes[i], i, d, dmin, sd, sm);
				float want = y[blk * t->block + i];
				if (memcmp(&v, &want, sizeof v) != 0)
					fail_msg("%s block %lld value %d: view %a, dequantized %a", t->name,
						 (long long)blk, i, v, want);
			}
		}
		free(b);
		free(y);
	}
	free(x);
}

/* Round trips in the teaching sense: on weight-like data, more bits give a
 * smaller error, and the super-block formats beat the plain block of the
 * same width (Q4_K vs Q4_0 at 4.5 bits both). */
static double rmse_of(const char *fmt, const float *x, int64_t k)
{
	const ql_block_traits *t = ql_block_find(fmt);
	unsigned char *b = malloc((size_t)(k / t->block * t->bytes));
	float *y = malloc((size_t)k * sizeof *y);
	assert_non_null(b);
	assert_non_null(y);
	ql_block_quantizer(t)(x, b, k);
	t->dequantize_row(b, y, k);
	double s = 0;
	for (int64_t i = 0; i < k; i++)
		s += ((double)y[i] - x[i]) * ((double)y[i] - x[i]);
	free(b);
	free(y);
	return sqrt(s / (double)k);
}

static void test_error_ordering(void **state)
{
	(void)state;
	size_t n;
	float *x = read_golden("weights.in.f32", &n);
	int64_t k = (int64_t)(n / sizeof(float));
	double e2 = rmse_of("q2_k", x, k), e3 = rmse_of("q3_k", x, k), e4 = rmse_of("q4_k", x, k);
	double e5 = rmse_of("q5_k", x, k), e6 = rmse_of("q6_k", x, k), e8 = rmse_of("q8_k", x, k);
	assert_true(e2 > e3 && e3 > e4 && e4 > e5 && e5 > e6 && e6 > e8 && e8 > 0);
	assert_true(e4 < rmse_of("q4_0", x, k));
	assert_true(rmse_of("iq4_nl", x, k) < rmse_of("q4_0", x, k));
	free(x);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_quantize_equals_ggml),
		cmocka_unit_test(test_decode_equals_reference),
		cmocka_unit_test(test_bits_per_weight),
		cmocka_unit_test(test_bad_blocks),
		cmocka_unit_test(test_nonfinite_inputs),
		cmocka_unit_test(test_tensor_decode),
		cmocka_unit_test(test_gguf_every_type),
		cmocka_unit_test(test_mxfp4_vs_ocp),
		cmocka_unit_test(test_codes_and_scales_views),
		cmocka_unit_test(test_error_ordering),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
