/* qtarget.c — what the entries of the type table (scheme.c) do: one block
 * unit of each block kind, and the dequantization of a whole result.
 */
#include "qtarget.h"

#include <string.h>

#include "qlens/blockfmt.h"
#include "qlens/blocks.h"
#include "qlens/mx.h"
#include "qlens/nf4.h"

/* ---- One block unit ------------------------------------------------------- */

/* OCP MX: the e8m0 byte, then the element codes (fp4: element j in the low
 * nibble of byte j, j + 16 in the high one; a short block padded with 0). */
void ql_qt_block_mx(const ql_qdtype_info *t, const ql_block_traits *bf, const float *x,
		    int64_t len, ql_qunit *u)
{
	ql_qdtype dt = t->id;
	uint8_t e, *codes = u->codes, *raw = u->raw;
	u->clipped += ql_mx_quantize(dt, x, len, codes, &e);
	ql_mx_dequantize(dt, codes, &e, len, u->y);
	*u->scale = ql_e8m0_to_f32(e);
	memset(raw, 0, (size_t)t->raw_unit_bytes);
	raw[0] = e;
	if (t->bits == 4 && len == QL_MX_BLOCK) {
		for (int j = 0; j < QL_MX_BLOCK / 2; j++)
			raw[1 + j] = (uint8_t)((codes[j] & 0x0f) | (codes[j + 16] & 0x0f) << 4);
	} else if (t->bits == 4) {
		for (int64_t j = 0; j < len; j++)
			raw[1 + j % 16] |= (uint8_t)((codes[j] & 0x0f) << (j < 16 ? 0 : 4));
	} else {
		memcpy(raw + 1, codes, (size_t)len);
	}
}

/* NF4: the block absmax is the scale; the raw bytes are the codes two to a
 * byte, the first element in the HIGH nibble (bitsandbytes). */
void ql_qt_block_nf4(const ql_qdtype_info *t, const ql_block_traits *bf, const float *x,
		     int64_t len, ql_qunit *u)
{
	uint8_t *codes = u->codes;
	ql_nf4_quantize(x, len, codes, u->scale);
	ql_nf4_dequantize(codes, u->scale, len, u->y);
	for (int64_t j = 0; j + 1 < len; j += 2)
		u->raw[j / 2] = (uint8_t)(codes[j] << 4 | codes[j + 1]);
	if (len & 1)
		u->raw[(len - 1) / 2] = (uint8_t)(codes[len - 1] << 4);
}

/* Any block format of blockfmt.h: its row quantizer on one block, its row
 * dequantizer, and its code and scale unpackers where it has them. Blocks
 * are whole here (ql_scheme_validate wants rows of whole blocks). */
void ql_qt_block_ggml(const ql_qdtype_info *t, const ql_block_traits *bf, const float *x,
		      int64_t len, ql_qunit *u)
{
	u->clipped += ql_block_quantizer(bf)(x, u->raw, bf->block);
	if (u->codes && bf->codes_row)
		bf->codes_row(u->raw, u->codes);
	bf->dequantize_row(u->raw, u->y, bf->block);
	*u->scale = 0.0f;
	if (bf->scales_row)
		bf->scales_row(u->raw, u->scale, u->min, u->sub_scales, u->sub_mins);
}

/* ---- A whole result --------------------------------------------------------- */

/* Affine and scaled-float: each code times the scale of its unit. */
void ql_qt_dequantize_scaled(const ql_qdtype_info *info, const ql_qresult *r, float *out)
{
	const ql_scheme *s = &r->scheme;
	int64_t n = r->nelem;
	int64_t C = 1, inner = 1, L = 1, G = 1, ng = 1;
	if (s->gran == QL_GRAN_CHANNEL) {
		for (int i = s->axis + 1; i < r->ndim; i++)
			inner *= r->shape[i];
		C = r->shape[s->axis];
	} else if (s->gran == QL_GRAN_GROUP) {
		L = r->ndim ? r->shape[r->ndim - 1] : 1;
		G = s->group;
		ng = (L + G - 1) / G;
	}
	for (int64_t i = 0; i < n; i++) {
		int64_t u = 0;
		if (s->gran == QL_GRAN_CHANNEL)
			u = (i / inner) % C;
		else if (s->gran == QL_GRAN_GROUP)
			u = (i / L) * ng + (i % L) / G;
		if (info->kind == QL_QK_FLOAT) {
			out[i] = (float)ql_decode(info->elem, r->codes[i]) * r->scales[u];
			continue;
		}
		int32_t q = r->codes_signed ? (int32_t)(int8_t)r->codes[i] : (int32_t)r->codes[i];
		int32_t zp = r->zero_points ? r->zero_points[u] : 0;
		out[i] = (float)(q - zp) * r->scales[u];
	}
}

void ql_qt_dequantize_mx(const ql_qdtype_info *info, const ql_qresult *r, float *out)
{
	int64_t n = r->nelem;
	int64_t L = r->ndim ? r->shape[r->ndim - 1] : 1;
	int64_t ng = (L + QL_MX_BLOCK - 1) / QL_MX_BLOCK;
	for (int64_t row = 0; row * L < n; row++) {
		for (int64_t g = 0; g < ng; g++) {
			int64_t s = row * L + g * QL_MX_BLOCK;
			int64_t len = L - g * QL_MX_BLOCK < QL_MX_BLOCK ? L - g * QL_MX_BLOCK
								  : QL_MX_BLOCK;
			uint8_t e = r->blocks[(size_t)(row * ng + g) * (size_t)info->block_bytes];
			ql_mx_dequantize(r->scheme.dtype, r->codes + s, &e, len, out + s);
		}
	}
}

void ql_qt_dequantize_nf4(const ql_qdtype_info *info, const ql_qresult *r, float *out)
{
	ql_nf4_dequantize(r->codes, r->scales, r->nelem, out);
}

void ql_qt_dequantize_ggml(const ql_qdtype_info *info, const ql_qresult *r, float *out)
{
	ql_block_formats[info->bfmt].dequantize_row(r->blocks, out, r->nelem);
}
