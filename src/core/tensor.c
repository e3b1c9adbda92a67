/* tensor.c — storage dtypes, shapes, and decoding a tensor's bytes to float32.
 *
 * The dtypes are described once, in ql_dtypes[] (name, block size, bytes per
 * block); everything else here works from that table. ql_tensor_to_f32()
 * turns the bytes of any plain dtype (either byte order, C or Fortran order)
 * into float32 in C order: floats exactly (fp16, bf16 and fp8 widen without
 * rounding; f64 rounds to nearest even), integers by C's conversion (exact up
 * to 2^24, then nearest even), bool as 0 or 1. The llama.cpp block formats
 * go to the dequantizers of blockfmt.h's table.
 */
#include "qlens/tensor.h"

#include <math.h>
#include <stdlib.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "qlens/blockfmt.h"

const ql_dtype_info ql_dtypes[QL_DT_COUNT] = {
	[QL_DT_BOOL]    = { .name = "BOOL",    .block_elems = 1,  .block_bytes = 1,  .is_float = false },
	[QL_DT_U8]      = { .name = "U8",      .block_elems = 1,  .block_bytes = 1,  .is_float = false },
	[QL_DT_I8]      = { .name = "I8",      .block_elems = 1,  .block_bytes = 1,  .is_float = false },
	[QL_DT_U16]     = { .name = "U16",     .block_elems = 1,  .block_bytes = 2,  .is_float = false },
	[QL_DT_I16]     = { .name = "I16",     .block_elems = 1,  .block_bytes = 2,  .is_float = false },
	[QL_DT_U32]     = { .name = "U32",     .block_elems = 1,  .block_bytes = 4,  .is_float = false },
	[QL_DT_I32]     = { .name = "I32",     .block_elems = 1,  .block_bytes = 4,  .is_float = false },
	[QL_DT_U64]     = { .name = "U64",     .block_elems = 1,  .block_bytes = 8,  .is_float = false },
	[QL_DT_I64]     = { .name = "I64",     .block_elems = 1,  .block_bytes = 8,  .is_float = false },
	[QL_DT_F16]     = { .name = "F16",     .block_elems = 1,  .block_bytes = 2,  .is_float = true },
	[QL_DT_BF16]    = { .name = "BF16",    .block_elems = 1,  .block_bytes = 2,  .is_float = true },
	[QL_DT_F32]     = { .name = "F32",     .block_elems = 1,  .block_bytes = 4,  .is_float = true },
	[QL_DT_F64]     = { .name = "F64",     .block_elems = 1,  .block_bytes = 8,  .is_float = true },
	[QL_DT_F8_E4M3] = { .name = "F8_E4M3", .block_elems = 1,  .block_bytes = 1,  .is_float = true },
	[QL_DT_F8_E5M2] = { .name = "F8_E5M2", .block_elems = 1,  .block_bytes = 1,  .is_float = true },
	/* llama.cpp blocks: an fp16 scale d (and for _1 an fp16 min m), then
	 * the codes; Q5 adds 32 high bits in a uint32 */
	[QL_DT_Q8_0]    = { .name = "Q8_0",    .block_elems = 32, .block_bytes = 34, .is_float = true },
	[QL_DT_Q4_0]    = { .name = "Q4_0",    .block_elems = 32, .block_bytes = 18, .is_float = true },
	[QL_DT_Q4_1]    = { .name = "Q4_1",    .block_elems = 32, .block_bytes = 20, .is_float = true },
	[QL_DT_Q5_0]    = { .name = "Q5_0",    .block_elems = 32, .block_bytes = 22, .is_float = true },
	[QL_DT_Q5_1]    = { .name = "Q5_1",    .block_elems = 32, .block_bytes = 24, .is_float = true },
	/* super-blocks of 256 and ggml's FP4 blocks (layouts in ggml_blocks.h) */
	[QL_DT_Q2_K]    = { .name = "Q2_K",    .block_elems = 256, .block_bytes = 84,  .is_float = true },
	[QL_DT_Q3_K]    = { .name = "Q3_K",    .block_elems = 256, .block_bytes = 110, .is_float = true },
	[QL_DT_Q4_K]    = { .name = "Q4_K",    .block_elems = 256, .block_bytes = 144, .is_float = true },
	[QL_DT_Q5_K]    = { .name = "Q5_K",    .block_elems = 256, .block_bytes = 176, .is_float = true },
	[QL_DT_Q6_K]    = { .name = "Q6_K",    .block_elems = 256, .block_bytes = 210, .is_float = true },
	[QL_DT_Q8_K]    = { .name = "Q8_K",    .block_elems = 256, .block_bytes = 292, .is_float = true },
	[QL_DT_IQ4_NL]  = { .name = "IQ4_NL",  .block_elems = 32,  .block_bytes = 18,  .is_float = true },
	[QL_DT_IQ4_XS]  = { .name = "IQ4_XS",  .block_elems = 256, .block_bytes = 136, .is_float = true },
	[QL_DT_TQ1_0]   = { .name = "TQ1_0",   .block_elems = 256, .block_bytes = 54,  .is_float = true },
	[QL_DT_TQ2_0]   = { .name = "TQ2_0",   .block_elems = 256, .block_bytes = 66,  .is_float = true },
	[QL_DT_MXFP4]   = { .name = "MXFP4",   .block_elems = 32,  .block_bytes = 17,  .is_float = true },
	[QL_DT_NVFP4]   = { .name = "NVFP4",   .block_elems = 64,  .block_bytes = 36,  .is_float = true },
	[QL_DT_OTHER]   = { .name = "OTHER",   .block_elems = 0,  .block_bytes = 0,  .is_float = false },
};

/* The format.h number format each dtype stores, where there is one. */
static const struct {
	bool has;
	ql_type type;
} dtype_formats[QL_DT_COUNT] = {
	[QL_DT_U8]      = { true, QL_UINT8 },
	[QL_DT_I8]      = { true, QL_INT8 },
	[QL_DT_F16]     = { true, QL_FP16 },
	[QL_DT_BF16]    = { true, QL_BF16 },
	[QL_DT_F32]     = { true, QL_FP32 },
	[QL_DT_F64]     = { true, QL_FP64 },
	[QL_DT_F8_E4M3] = { true, QL_FP8_E4M3 },
	[QL_DT_F8_E5M2] = { true, QL_FP8_E5M2 },
};

bool ql_dtype_from_name(const char *name, ql_dtype *out)
{
	for (int i = 0; i < QL_DT_COUNT; i++) {
		if (i == QL_DT_OTHER)
			continue;
		if (strcasecmp(name, ql_dtypes[i].name) == 0) {
			*out = (ql_dtype)i;
			return true;
		}
	}
	return false;
}

bool ql_dtype_format(ql_dtype dt, ql_type *out)
{
	if (dt < 0 || dt >= QL_DT_COUNT || !dtype_formats[dt].has)
		return false;
	*out = dtype_formats[dt].type;
	return true;
}

int64_t ql_shape_elems(const int64_t *shape, int ndim)
{
	if (ndim < 0 || ndim > QL_MAX_DIMS)
		return -1;
	for (int i = 0; i < ndim; i++) {
		if (shape[i] < 0)
			return -1;
		if (shape[i] == 0)
			return 0; /* empty, whatever the other dims are */
	}
	int64_t n = 1;
	for (int i = 0; i < ndim; i++) {
		if (n > INT64_MAX / shape[i])
			return -1;
		n *= shape[i];
	}
	return n;
}

void ql_shape_string(const ql_tensor *t, char *buf, size_t n)
{
	if (n == 0)
		return;
	if (t->ndim <= 0) {
		snprintf(buf, n, "scalar");
		return;
	}
	size_t len = 0;
	buf[0] = '\0';
	for (int i = 0; i < t->ndim && i < QL_MAX_DIMS; i++) {
		int w = snprintf(buf + len, n - len, "%s%lld", i ? "x" : "", (long long)t->shape[i]);
		if (w < 0 || (size_t)w >= n - len)
			return; /* truncated, still terminated */
		len += (size_t)w;
	}
}

int64_t ql_dtype_bytes(ql_dtype dt, int64_t nelem)
{
	if (dt < 0 || dt >= QL_DT_COUNT || nelem < 0)
		return -1;
	const ql_dtype_info *d = &ql_dtypes[dt];
	if (d->block_elems <= 0 || nelem % d->block_elems != 0)
		return -1;
	int64_t blocks = nelem / d->block_elems;
	if (blocks > INT64_MAX / d->block_bytes)
		return -1;
	return blocks * d->block_bytes;
}

/* --- element decoders ------------------------------------------------------ */

static inline float f32_from_bits(uint32_t u)
{
	float f;
	memcpy(&f, &u, sizeof f);
	return f;
}

/* IEEE binary16 to binary32, exactly (every half is a float). */
static inline float half_to_f32(uint16_t h)
{
	uint32_t sign = (uint32_t)(h >> 15) << 31;
	uint32_t exp = (h >> 10) & 0x1f, man = h & 0x3ff;
	if (exp == 0) {
		/* zero or subnormal: man × 2^-24, exact in float */
		float v = (float)man * 0x1p-24f;
		return sign ? -v : v;
	}
	if (exp == 31)
		return f32_from_bits(sign | 0x7f800000u | (man << 13)); /* inf, NaN */
	return f32_from_bits(sign | ((exp - 15 + 127) << 23) | (man << 13));
}

static inline float bf16_to_f32(uint16_t h) { return f32_from_bits((uint32_t)h << 16); }

/* fp8 decodes through format.c's exact ql_decode, once per code. */
static float fp8_table[2][256];
static pthread_once_t fp8_once = PTHREAD_ONCE_INIT;

static void fp8_init(void)
{
	for (int c = 0; c < 256; c++) {
		fp8_table[0][c] = (float)ql_decode(QL_FP8_E4M3, (uint64_t)c);
		fp8_table[1][c] = (float)ql_decode(QL_FP8_E5M2, (uint64_t)c);
	}
}

static inline uint16_t load16(const uint8_t *p, bool big)
{
	return big ? (uint16_t)(p[0] << 8 | p[1]) : (uint16_t)(p[1] << 8 | p[0]);
}

static inline uint32_t load32(const uint8_t *p, bool big)
{
	if (big)
		return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
	return (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 | p[0];
}

static inline uint64_t load64(const uint8_t *p, bool big)
{
	uint64_t hi = load32(big ? p : p + 4, big), lo = load32(big ? p + 4 : p, big);
	return hi << 32 | lo;
}

/* Decodes the element at p. */
static inline float decode_one(ql_dtype dt, const uint8_t *p, bool big)
{
	switch (dt) {
	case QL_DT_BOOL: return p[0] ? 1.0f : 0.0f;
	case QL_DT_U8: return (float)p[0];
	case QL_DT_I8: return (float)(int8_t)p[0];
	case QL_DT_U16: return (float)load16(p, big);
	case QL_DT_I16: return (float)(int16_t)load16(p, big);
	case QL_DT_U32: return (float)load32(p, big);
	case QL_DT_I32: return (float)(int32_t)load32(p, big);
	case QL_DT_U64: return (float)load64(p, big);
	case QL_DT_I64: return (float)(int64_t)load64(p, big);
	case QL_DT_F16: return half_to_f32(load16(p, big));
	case QL_DT_BF16: return bf16_to_f32(load16(p, big));
	case QL_DT_F32: return f32_from_bits(load32(p, big));
	case QL_DT_F64: {
		uint64_t u = load64(p, big);
		double d;
		memcpy(&d, &u, sizeof d);
		return (float)d;
	}
	case QL_DT_F8_E4M3: return fp8_table[0][p[0]];
	case QL_DT_F8_E5M2: return fp8_table[1][p[0]];
	default: return NAN; /* not reached: callers pass plain dtypes only */
	}
}

/* n consecutive elements, storage order = output order. */
static void decode_run(ql_dtype dt, const uint8_t *p, int64_t n, bool big, float *out)
{
	size_t size = (size_t)ql_dtypes[dt].block_bytes;
	if (dt == QL_DT_F32 && !big && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__) {
		memcpy(out, p, (size_t)n * sizeof(float));
		return;
	}
	switch (dt) { /* the common wide types get their own loops */
	case QL_DT_F16:
		for (int64_t i = 0; i < n; i++)
			out[i] = half_to_f32(load16(p + 2 * i, big));
		return;
	case QL_DT_BF16:
		for (int64_t i = 0; i < n; i++)
			out[i] = bf16_to_f32(load16(p + 2 * i, big));
		return;
	default:
		for (int64_t i = 0; i < n; i++)
			out[i] = decode_one(dt, p + (size_t)i * size, big);
	}
}

/* Fortran order: element (i0, ..., ik) sits at i0 + s0*(i1 + s1*(...)).
 * Walks the C-order output and keeps the storage offset alongside. */
static void decode_fortran(const ql_tensor *t, float *out)
{
	size_t size = (size_t)ql_dtypes[t->dtype].block_bytes;
	int64_t stride[QL_MAX_DIMS], idx[QL_MAX_DIMS] = { 0 };
	int nd = t->ndim;
	int64_t s = 1;
	for (int k = 0; k < nd; k++) {
		stride[k] = s;
		s *= t->shape[k];
	}
	const uint8_t *base = t->data;
	int64_t off = 0;
	for (int64_t c = 0; c < t->nelem; c++) {
		out[c] = decode_one(t->dtype, base + (size_t)off * size, t->big_endian);
		/* C order: the last axis moves fastest */
		for (int k = nd - 1; k >= 0; k--) {
			if (++idx[k] < t->shape[k]) {
				off += stride[k];
				break;
			}
			off -= stride[k] * (idx[k] - 1);
			idx[k] = 0;
		}
	}
}

/* Block formats, through the dequantizer of blockfmt.h's table (ggml's byte
 * layout, little-endian). Blocks hold uint16/float fields, so data that is
 * not 4-aligned (possible inside a mapped file) is copied to an aligned
 * buffer a chunk at a time. */
static int decode_blocks(const ql_tensor *t, float *out, ql_error *err)
{
	const ql_dtype_info *d = &ql_dtypes[t->dtype];
	const ql_block_traits *bt = ql_block_for_dtype(t->dtype);
	ql_block_dequantize_fn fn = bt ? bt->dequantize_row : NULL;
	if (!fn)
		return ql_error_set(err, "tensor '%s': cannot decode %s blocks yet", t->name, d->name);
	if (t->big_endian || t->fortran_order)
		return ql_error_set(err, "tensor '%s': %s blocks must be little-endian, C order",
				    t->name, d->name);
	int64_t nblocks = t->nelem / d->block_elems;
	const uint8_t *p = t->data;
	if ((uintptr_t)p % _Alignof(uint32_t) == 0) {
		fn(p, out, t->nelem);
		return 0;
	}
	enum { CHUNK = 1024 }; /* blocks per copy */
	uint32_t *buf = malloc((size_t)CHUNK * (size_t)d->block_bytes);
	if (!buf)
		return ql_error_set(err, "out of memory");
	for (int64_t b = 0; b < nblocks; b += CHUNK) {
		int64_t m = nblocks - b < CHUNK ? nblocks - b : CHUNK;
		memcpy(buf, p + (size_t)b * (size_t)d->block_bytes, (size_t)m * (size_t)d->block_bytes);
		fn(buf, out + b * d->block_elems, m * d->block_elems);
	}
	free(buf);
	return 0;
}

int ql_tensor_to_f32(const ql_tensor *t, float *out, ql_error *err)
{
	if (t->dtype < 0 || t->dtype >= QL_DT_COUNT)
		return ql_error_set(err, "tensor '%s': invalid dtype", t->name);
	if (t->nelem < 0 || ql_shape_elems(t->shape, t->ndim) != t->nelem)
		return ql_error_set(err, "tensor '%s': element count does not match its shape",
				    t->name);
	const ql_dtype_info *d = &ql_dtypes[t->dtype];
	if (t->dtype == QL_DT_OTHER)
		return ql_error_set(err, "tensor '%s': cannot decode %s yet", t->name,
				    t->other_name[0] ? t->other_name : "this type");
	int64_t need = ql_dtype_bytes(t->dtype, t->nelem);
	if (need < 0)
		return ql_error_set(err, "tensor '%s': %lld elements are not a whole number of %s blocks",
				    t->name, (long long)t->nelem, d->name);
	if ((uint64_t)need > t->nbytes)
		return ql_error_set(err, "tensor '%s': %llu bytes of data, %lld needed", t->name,
				    (unsigned long long)t->nbytes, (long long)need);
	if (t->nelem == 0)
		return 0;
	if (!t->data)
		return ql_error_set(err, "tensor '%s': data not read", t->name);
	if (d->block_elems != 1)
		return decode_blocks(t, out, err);
	if (t->dtype == QL_DT_F8_E4M3 || t->dtype == QL_DT_F8_E5M2)
		pthread_once(&fp8_once, fp8_init);
	if (t->fortran_order && t->ndim > 1)
		decode_fortran(t, out);
	else
		decode_run(t->dtype, t->data, t->nelem, t->big_endian, out);
	return 0;
}
