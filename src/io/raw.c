/* raw.c — the raw backend: a file of bare values, described on the command
 * line because the file does not describe itself.
 *
 *   qlens info weights.bin --raw f16 --shape 4096x4096
 *
 * --raw names the dtype: a safetensors/GGUF name (F32, F16, BF16, I8, U8,
 * Q8_0, Q4_0, ...) or a qlens format name (fp32, fp16, bf16, fp8_e4m3,
 * int8, uint8, ...). Values are little-endian, C order. --shape gives the
 * dimensions in NumPy order, separated by 'x' or ',' ("4x8", "2,3,4"; "" or
 * "scalar" for a 0-d tensor); without it the file is one 1-D tensor of as
 * many elements as fit. Either way the file's size must be exactly what the
 * shape needs: a raw file has nothing else to check it by.
 *
 * The tensor is named after the file's stem. This backend is probed first
 * and claims the file whenever --raw is given.
 */
#include "source_impl.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static bool raw_probe(const char *path, const uint8_t *head, size_t n, const ql_open_opts *opts)
{
	(void)path;
	(void)head;
	(void)n;
	return opts && opts->raw_dtype;
}

/* qlens's own spellings of the storage dtypes. */
static const struct {
	const char *name;
	ql_dtype dtype;
} aliases[] = {
	{ "fp32", QL_DT_F32 },      { "float32", QL_DT_F32 },   { "float", QL_DT_F32 },
	{ "fp16", QL_DT_F16 },      { "float16", QL_DT_F16 },   { "half", QL_DT_F16 },
	{ "bfloat16", QL_DT_BF16 }, { "fp64", QL_DT_F64 },      { "float64", QL_DT_F64 },
	{ "double", QL_DT_F64 },    { "int8", QL_DT_I8 },       { "uint8", QL_DT_U8 },
	{ "int16", QL_DT_I16 },     { "uint16", QL_DT_U16 },    { "int32", QL_DT_I32 },
	{ "uint32", QL_DT_U32 },    { "int64", QL_DT_I64 },     { "uint64", QL_DT_U64 },
	{ "fp8_e4m3", QL_DT_F8_E4M3 }, { "e4m3", QL_DT_F8_E4M3 },
	{ "fp8_e5m2", QL_DT_F8_E5M2 }, { "e5m2", QL_DT_F8_E5M2 },
	{ "bool", QL_DT_BOOL },
};

static bool raw_dtype(const char *name, ql_dtype *out)
{
	if (ql_dtype_from_name(name, out) && *out != QL_DT_OTHER)
		return true;
	for (size_t i = 0; i < sizeof aliases / sizeof aliases[0]; i++) {
		if (strcasecmp(name, aliases[i].name) == 0) {
			*out = aliases[i].dtype;
			return true;
		}
	}
	return false;
}

/* Parses "4x8x16" / "4,8" / "" / "scalar" into shape[]. */
static int parse_shape(const char *s, int64_t *shape, int *ndim, ql_error *err)
{
	*ndim = 0;
	if (!*s || strcmp(s, "scalar") == 0)
		return 0;
	const char *p = s;
	for (;;) {
		if (*ndim == QL_MAX_DIMS)
			return ql_error_set(err, "--shape %s: more than %d dimensions", s, QL_MAX_DIMS);
		if (*p < '0' || *p > '9')
			return ql_error_set(err, "--shape %s: expected dimensions like 4x8", s);
		char *end;
		errno = 0;
		unsigned long long v = strtoull(p, &end, 10);
		if (errno || v > (unsigned long long)INT64_MAX)
			return ql_error_set(err, "--shape %s: a dimension is too large", s);
		shape[(*ndim)++] = (int64_t)v;
		p = end;
		if (!*p)
			return 0;
		if (*p != 'x' && *p != 'X' && *p != ',')
			return ql_error_set(err, "--shape %s: expected dimensions like 4x8", s);
		p++;
	}
}

int ql_open_opts_check(const ql_open_opts *opts, ql_error *err)
{
	if (!opts)
		return 0;
	if (opts->raw_shape && !opts->raw_dtype)
		return ql_error_set(err, "--shape goes with --raw DTYPE");
	if (!opts->raw_dtype)
		return 0;
	ql_dtype dt;
	if (!raw_dtype(opts->raw_dtype, &dt))
		return ql_error_set(err, "--raw %s: unknown dtype (try F32, F16, BF16, I8, U8, "
				    "Q8_0, Q4_0, fp8_e4m3)", opts->raw_dtype);
	if (!opts->raw_shape)
		return 0;
	int64_t shape[QL_MAX_DIMS];
	int ndim;
	if (parse_shape(opts->raw_shape, shape, &ndim, err))
		return -1;
	int64_t nelem = ql_shape_elems(shape, ndim);
	const ql_dtype_info *di = &ql_dtypes[dt];
	if (nelem >= 0 && nelem % di->block_elems)
		return ql_error_set(err, "--shape %s: %lld elements are not a whole number of %s "
				    "blocks of %d", opts->raw_shape, (long long)nelem, di->name,
				    di->block_elems);
	if (nelem < 0 || ql_dtype_bytes(dt, nelem) < 0)
		return ql_error_set(err, "--shape %s: too many elements for %s (at most 2^63 - 1 "
				    "bytes)", opts->raw_shape, di->name);
	return 0;
}

static void stem(const char *path, char *out, size_t n)
{
	const char *slash = strrchr(path, '/');
	const char *b = slash ? slash + 1 : path;
	const char *dot = strrchr(b, '.');
	size_t len = dot && dot != b ? (size_t)(dot - b) : strlen(b);
	if (len >= n)
		len = n - 1;
	memcpy(out, b, len);
	out[len] = '\0';
	if (!out[0])
		snprintf(out, n, "tensor");
}

static int raw_open(ql_source *src, ql_error *err)
{
	ql_dtype dt;
	if (!raw_dtype(src->opts.raw_dtype, &dt))
		return ql_error_set(err, "--raw %s: unknown dtype (try F32, F16, BF16, I8, U8, "
				    "Q8_0, Q4_0, fp8_e4m3)", src->opts.raw_dtype);
	const ql_dtype_info *di = &ql_dtypes[dt];
	int64_t shape[QL_MAX_DIMS];
	int ndim;
	if (src->opts.raw_shape) {
		if (parse_shape(src->opts.raw_shape, shape, &ndim, err))
			return -1;
	} else {
		if (src->size % (uint64_t)di->block_bytes)
			return ql_error_set(err, "%llu bytes are not a whole number of %s %s (%d bytes "
					    "each)", (unsigned long long)src->size, di->name,
					    di->block_elems > 1 ? "blocks" : "values", di->block_bytes);
		uint64_t blocks = src->size / (uint64_t)di->block_bytes;
		if (blocks > (uint64_t)INT64_MAX / (uint64_t)di->block_elems)
			return ql_error_set(err, "file is too large");
		ndim = 1;
		shape[0] = (int64_t)(blocks * (uint64_t)di->block_elems);
	}
	int64_t nelem = ql_shape_elems(shape, ndim);
	if (nelem < 0)
		return ql_error_set(err, "--shape %s: too many elements", src->opts.raw_shape);
	int64_t nbytes = ql_dtype_bytes(dt, nelem);
	if (nbytes < 0)
		return ql_error_set(err, "--shape %s: %lld elements are not a whole number of %s "
				    "blocks of %d", src->opts.raw_shape, (long long)nelem, di->name,
				    di->block_elems);
	if ((uint64_t)nbytes != src->size)
		return ql_error_set(err, "the file has %llu bytes, but %s %s takes %lld",
				    (unsigned long long)src->size,
				    src->opts.raw_shape ? src->opts.raw_shape : "", di->name,
				    (long long)nbytes);
	ql_source_entry *e = ql_source_add(src, err);
	if (!e)
		return -1;
	ql_tensor *t = &e->t;
	stem(src->path, t->name, sizeof t->name);
	t->dtype = dt;
	t->ndim = ndim;
	memcpy(t->shape, shape, (size_t)ndim * sizeof shape[0]);
	t->nelem = nelem;
	t->nbytes = (uint64_t)nbytes;
	e->offset = 0;
	return 0;
}

const ql_source_backend ql_backend_raw = {
	.name = "raw",
	.probe = raw_probe,
	.open = raw_open,
};
