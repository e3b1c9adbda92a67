/* qwrite.c — a quantized tensor to .safetensors or .npy (qwrite.h), over
 * io.h's ql_writer. */
#include "qlens/qwrite.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qlens/io.h"
#include "qlens/scheme_text.h"

#ifndef QLENS_VERSION
#define QLENS_VERSION "unknown"
#endif

struct ql_qwriter {
	ql_writer *w;
	bool npy;
	int ntensors;
	uint8_t *packed;    /* NAME.q packed: referenced by w until close */
	uint16_t *scales16; /* NAME.scale as fp16/bf16: likewise */
};

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);
	return n >= k && strcmp(s + n - k, suffix) == 0;
}

int ql_qwriter_open(const char *path, bool force, ql_qwriter **out, ql_error *err)
{
	ql_qwriter *q = calloc(1, sizeof *q);
	if (!q)
		return ql_error_set(err, "%s: out of memory", path);
	if (ql_writer_open(path, force, &q->w, err)) {
		free(q);
		return -1;
	}
	q->npy = ends_with(path, ".npy");
	*out = q;
	return 0;
}

static int meta(ql_writer *w, const char *key, const char *value, ql_error *err)
{
	return ql_writer_meta(w, key, value, err);
}

static int add_safetensors(ql_qwriter *q, const char *tname, const ql_qresult *r,
			   const ql_qwrite_opts *o, ql_error *err)
{
	ql_writer *w = q->w;
	char name[512], value[QL_SCHEME_WORD_MAX + 64];
	const ql_qdtype_info *qi = ql_qdtype_of(r->scheme.dtype);
	bool pack = o->pack && qi->bits < 8 && r->codes;
	snprintf(name, sizeof name, "%s.q", tname);
	if (!r->codes) {
		/* a block format without per-element codes: its blocks say it all */
	} else if (pack) {
		size_t nb = ql_packed_bytes((size_t)r->nelem, qi->bits);
		q->packed = malloc(nb ? nb : 1);
		if (!q->packed)
			return ql_error_set(err, "out of memory");
		ql_pack_bits(r->codes, (size_t)r->nelem, qi->bits, q->packed);
		int64_t shape = (int64_t)nb;
		if (ql_writer_add(w, name, QL_DT_U8, &shape, 1, q->packed, err))
			return -1;
	} else if (ql_writer_add(w, name, r->codes_signed ? QL_DT_I8 : QL_DT_U8, r->shape, r->ndim,
				 r->codes, err)) {
		return -1;
	}
	snprintf(name, sizeof name, "%s.scale", tname);
	if (r->scheme.scale_dtype != QL_SCALE_FP32 && r->nscales > 0) {
		/* the scales are already values of that type: the conversion is exact */
		q->scales16 = malloc((size_t)r->nscales * sizeof *q->scales16);
		if (!q->scales16)
			return ql_error_set(err, "out of memory");
		bool bf = r->scheme.scale_dtype == QL_SCALE_BF16;
		for (int64_t i = 0; i < r->nscales; i++) {
			uint32_t u;
			memcpy(&u, &r->scales[i], sizeof u);
			q->scales16[i] = bf ? (uint16_t)(u >> 16) : ql_fp16_from_f32(r->scales[i]);
		}
		if (ql_writer_add(w, name, bf ? QL_DT_BF16 : QL_DT_F16, r->scale_shape, r->scale_ndim,
				  q->scales16, err))
			return -1;
	} else if (ql_writer_add(w, name, QL_DT_F32, r->scale_shape, r->scale_ndim, r->scales, err)) {
		return -1;
	}
	if (r->zero_points) {
		snprintf(name, sizeof name, "%s.zero_point", tname);
		if (ql_writer_add(w, name, QL_DT_I32, r->scale_shape, r->scale_ndim, r->zero_points, err))
			return -1;
	}
	if (r->blocks) {
		snprintf(name, sizeof name, "%s.blocks", tname);
		int64_t shape = (int64_t)r->blocks_bytes;
		if (ql_writer_add(w, name, QL_DT_U8, &shape, 1, r->blocks, err))
			return -1;
	}
	if (o->dequant) {
		snprintf(name, sizeof name, "%s.dequant", tname);
		if (ql_writer_add(w, name, QL_DT_F32, r->shape, r->ndim, r->dequant, err))
			return -1;
	}
	const ql_scheme *s = &r->scheme;
	ql_scheme_describe(s, value, sizeof value);
	if (meta(w, "qlens.scheme", value, err))
		return -1;
	ql_scheme_word(s, value, sizeof value);
	if (meta(w, "qlens.scheme_word", value, err) ||
	    meta(w, "qlens.tensor", tname, err) ||
	    meta(w, "qlens.dtype", qi->name, err) ||
	    meta(w, "qlens.symmetric", ql_scheme_symmetry(s) == QL_SYM ? "true" : "false", err) ||
	    meta(w, "qlens.granularity", ql_granularity_name(s->gran), err) ||
	    meta(w, "qlens.calibration", s->has_scale ? "scale" : ql_calib_name(r->calib), err) ||
	    meta(w, "qlens.packed", pack ? "true" : "false", err))
		return -1;
	snprintf(value, sizeof value, "%" PRId32, r->qmin);
	if (meta(w, "qlens.qmin", value, err))
		return -1;
	snprintf(value, sizeof value, "%" PRId32, r->qmax);
	if (meta(w, "qlens.qmax", value, err))
		return -1;
	if (s->gran == QL_GRAN_CHANNEL) {
		snprintf(value, sizeof value, "%d", s->axis);
		if (meta(w, "qlens.axis", value, err))
			return -1;
	}
	if (s->gran == QL_GRAN_GROUP) {
		snprintf(value, sizeof value, "%" PRId64, s->group);
		if (meta(w, "qlens.group", value, err))
			return -1;
	}
	return meta(w, "qlens.version", QLENS_VERSION, err);
}

bool ql_qwriter_needs_dequant(const ql_qwriter *q, const ql_qwrite_opts *o)
{
	return (o && o->dequant) || q->npy;
}

int ql_qwriter_add(ql_qwriter *q, const char *name, const ql_qresult *r, const ql_qwrite_opts *o,
		   ql_error *err)
{
	static const ql_qwrite_opts none = { 0 };
	if (!o)
		o = &none;
	if (q->ntensors)
		return ql_error_set(err, "a quantized-tensor file holds one tensor ('%s' is the second)",
				    name);
	if (ql_qwriter_needs_dequant(q, o) && !r->dequant)
		return ql_error_set(err, "tensor '%s': no dequantized values to write (quantize with "
				    "dequant)", name);
	int rc = q->npy ? ql_writer_add(q->w, name, QL_DT_F32, r->shape, r->ndim, r->dequant, err)
			: add_safetensors(q, name, r, o, err);
	if (rc == 0)
		q->ntensors++;
	return rc;
}

int ql_qwriter_close(ql_qwriter *q, ql_error *err)
{
	int rc = ql_writer_close(q->w, err);
	free(q->packed);
	free(q->scales16);
	free(q);
	return rc;
}

void ql_qwriter_abort(ql_qwriter *q)
{
	if (!q)
		return;
	ql_writer_abort(q->w);
	free(q->packed);
	free(q->scales16);
	free(q);
}
