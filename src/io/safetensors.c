/* safetensors.c — Hugging Face .safetensors files: read (backend
 * "safetensors") and write.
 *
 * Layout: 8 bytes N (u64, little-endian), N bytes of UTF-8 JSON, the data.
 * The JSON is an object: each key is a tensor name mapped to
 * {"dtype": "F32", "shape": [2, 3], "data_offsets": [BEGIN, END]} (offsets
 * into the data section), plus an optional "__metadata__" object of string
 * values. Data is little-endian, C order.
 *
 * Reading makes every check of the reference reader (huggingface/safetensors,
 * tensor.rs: read_metadata and Metadata::validate):
 *   - the file holds at least the 8-byte length; N <= 100,000,000; 8 + N
 *     fits in the file;
 *   - the header is valid UTF-8, starts with '{' and is a JSON object (we
 *     also refuse duplicate keys, which the reference would silently merge);
 *   - sorted by offsets, tensors are contiguous from 0 (BEGIN equals the
 *     previous END, END >= BEGIN), prod(shape) * dtype size does not
 *     overflow and equals END - BEGIN;
 *   - the last END is exactly the end of the file.
 * Dtypes qlens cannot decode but the format defines (C64, F8_E8M0, F4, F6_*)
 * are listed as OTHER with their sizes checked the same way.
 *
 * Tensors are listed in offset order. JSON is parsed with jansson.
 */
#include "source_impl.h"
#include "writer_impl.h"

#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#define ST_HEADER_MAX 100000000u /* the reference's MAX_HEADER_SIZE */

/* --- reading ----------------------------------------------------------------- */

static bool st_probe(const char *path, const uint8_t *head, size_t n, const ql_open_opts *opts)
{
	if (opts && opts->raw_dtype)
		return false;
	size_t len = strlen(path);
	bool ext = len >= 12 && strcmp(path + len - 12, ".safetensors") == 0;
	if (ext)
		return true;
	/* no extension: a plausible length followed by '{' */
	if (n < 9)
		return false;
	uint64_t hlen = 0;
	for (int i = 7; i >= 0; i--)
		hlen = hlen << 8 | head[i];
	return hlen >= 2 && hlen <= ST_HEADER_MAX && hlen <= n - 8 && head[8] == '{';
}

/* Strict UTF-8: no overlong forms, no surrogates, nothing above U+10FFFF. */
static bool valid_utf8(const uint8_t *s, size_t n)
{
	size_t i = 0;
	while (i < n) {
		uint8_t c = s[i];
		if (c < 0x80) {
			i++;
			continue;
		}
		size_t len;
		uint32_t cp, min;
		if ((c & 0xe0) == 0xc0) {
			len = 2, cp = c & 0x1f, min = 0x80;
		} else if ((c & 0xf0) == 0xe0) {
			len = 3, cp = c & 0x0f, min = 0x800;
		} else if ((c & 0xf8) == 0xf0) {
			len = 4, cp = c & 0x07, min = 0x10000;
		} else {
			return false;
		}
		if (n - i < len)
			return false;
		for (size_t k = 1; k < len; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return false;
			cp = cp << 6 | (s[i + k] & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		i += len;
	}
	return true;
}

/* Dtypes the format defines that qlens lists without decoding: bits each. */
static const struct {
	const char *name;
	int bits;
} other_dtypes[] = {
	{ "C64", 64 }, { "F8_E8M0", 8 }, { "F4", 4 }, { "F6_E2M3", 6 }, { "F6_E3M2", 6 },
};

typedef struct st_item {
	ql_source_entry e;
	uint64_t begin, end;
} st_item;

static int cmp_item(const void *a, const void *b)
{
	const st_item *x = a, *y = b;
	if (x->begin != y->begin)
		return x->begin < y->begin ? -1 : 1;
	if (x->end != y->end)
		return x->end < y->end ? -1 : 1;
	return strcmp(x->e.t.name, y->e.t.name);
}

/* A JSON integer that fits in [0, INT64_MAX]. */
static bool get_u64(const json_t *v, uint64_t *out)
{
	if (!json_is_integer(v) || json_integer_value(v) < 0)
		return false;
	*out = (uint64_t)json_integer_value(v);
	return true;
}

static int parse_tensor(const char *name, const json_t *info, st_item *it, ql_error *err)
{
	ql_tensor *t = &it->e.t;
	if (strlen(name) >= sizeof t->name)
		return ql_error_set(err, "tensor name '%.40s...' is longer than %zu bytes", name,
				    sizeof t->name - 1);
	strcpy(t->name, name);
	if (!json_is_object(info))
		return ql_error_set(err, "tensor '%s': its entry is not an object", name);
	const json_t *jd = json_object_get(info, "dtype");
	const json_t *js = json_object_get(info, "shape");
	const json_t *jo = json_object_get(info, "data_offsets");
	if (!jd || !js || !jo)
		return ql_error_set(err, "tensor '%s': missing \"%s\"", name,
				    !jd ? "dtype" : !js ? "shape" : "data_offsets");
	if (!json_is_string(jd))
		return ql_error_set(err, "tensor '%s': \"dtype\" is not a string", name);
	const char *dname = json_string_value(jd);
	int other_bits = 0;
	if (ql_dtype_from_name(dname, &t->dtype) && strcmp(dname, ql_dtypes[t->dtype].name) == 0 &&
	    ql_dtypes[t->dtype].block_elems == 1) {
		/* a safetensors dtype, spelt exactly */
	} else {
		for (size_t i = 0; i < sizeof other_dtypes / sizeof other_dtypes[0]; i++)
			if (strcmp(dname, other_dtypes[i].name) == 0)
				other_bits = other_dtypes[i].bits;
		if (!other_bits)
			return ql_error_set(err, "tensor '%s': unknown dtype \"%.32s\"", name, dname);
		t->dtype = QL_DT_OTHER;
		snprintf(t->other_name, sizeof t->other_name, "%s", dname);
	}
	if (!json_is_array(js))
		return ql_error_set(err, "tensor '%s': \"shape\" is not an array", name);
	if (json_array_size(js) > QL_MAX_DIMS)
		return ql_error_set(err, "tensor '%s': %zu dimensions (qlens handles at most %d)", name,
				    json_array_size(js), QL_MAX_DIMS);
	t->ndim = (int)json_array_size(js);
	for (int i = 0; i < t->ndim; i++) {
		uint64_t d;
		if (!get_u64(json_array_get(js, (size_t)i), &d))
			return ql_error_set(err, "tensor '%s': shape[%d] is not a non-negative integer",
					    name, i);
		t->shape[i] = (int64_t)d;
	}
	if (!json_is_array(jo) || json_array_size(jo) != 2 ||
	    !get_u64(json_array_get(jo, 0), &it->begin) || !get_u64(json_array_get(jo, 1), &it->end))
		return ql_error_set(err, "tensor '%s': \"data_offsets\" is not [BEGIN, END]", name);
	if (it->end < it->begin)
		return ql_error_set(err, "tensor '%s': data_offsets end before they begin", name);
	t->nelem = ql_shape_elems(t->shape, t->ndim);
	if (t->nelem < 0)
		return ql_error_set(err, "tensor '%s': shape overflows", name);
	if (other_bits) {
		if ((uint64_t)t->nelem > UINT64_MAX / (uint64_t)other_bits)
			return ql_error_set(err, "tensor '%s': size overflows", name);
		uint64_t bits = (uint64_t)t->nelem * (uint64_t)other_bits;
		if (bits % 8)
			return ql_error_set(err, "tensor '%s': %s data is not a whole number of bytes",
					    name, dname);
		t->nbytes = bits / 8;
	} else {
		int64_t nb = ql_dtype_bytes(t->dtype, t->nelem);
		if (nb < 0)
			return ql_error_set(err, "tensor '%s': size overflows", name);
		t->nbytes = (uint64_t)nb;
	}
	if (it->end - it->begin != t->nbytes)
		return ql_error_set(err, "tensor '%s': data_offsets span %llu bytes, but %lld %s elements take %llu",
				    name, (unsigned long long)(it->end - it->begin), (long long)t->nelem,
				    dname, (unsigned long long)t->nbytes);
	return 0;
}

static int parse_metadata(ql_source *src, const json_t *meta, ql_error *err)
{
	if (json_is_null(meta))
		return 0;
	if (!json_is_object(meta))
		return ql_error_set(err, "\"__metadata__\" is not an object");
	const char *key;
	json_t *v;
	json_object_foreach((json_t *)meta, key, v) {
		if (!json_is_string(v))
			return ql_error_set(err, "\"__metadata__\" value for '%s' is not a string", key);
		if (ql_source_add_meta(src, key, json_string_value(v), err))
			return -1;
	}
	return 0;
}

static int st_open(ql_source *src, ql_error *err)
{
	const uint8_t *m = src->map;
	if (src->size < 8)
		return ql_error_set(err, "safetensors file is shorter than its 8-byte header length");
	uint64_t n = 0;
	for (int i = 7; i >= 0; i--)
		n = n << 8 | m[i];
	if (n > ST_HEADER_MAX)
		return ql_error_set(err, "safetensors header length %llu is over the 100 MB limit",
				    (unsigned long long)n);
	if (n > src->size - 8)
		return ql_error_set(err, "safetensors header is truncated: it says %llu bytes, the file has %llu",
				    (unsigned long long)n, (unsigned long long)(src->size - 8));
	const uint8_t *h = m + 8;
	if (!valid_utf8(h, (size_t)n))
		return ql_error_set(err, "safetensors header is not valid UTF-8");
	if (n == 0 || h[0] != '{')
		return ql_error_set(err, "safetensors header does not start with '{'");
	json_error_t jerr;
	json_t *root = json_loadb((const char *)h, (size_t)n, JSON_REJECT_DUPLICATES, &jerr);
	if (!root)
		return ql_error_set(err, "safetensors header is not valid JSON: %s (at byte %d)", jerr.text,
				    jerr.position);
	if (!json_is_object(root)) {
		json_decref(root);
		return ql_error_set(err, "safetensors header is not a JSON object");
	}
	int rc = -1;
	size_t count = json_object_size(root);
	st_item *items = calloc(count ? count : 1, sizeof *items);
	if (!items) {
		json_decref(root);
		return ql_error_set(err, "out of memory");
	}
	size_t k = 0;
	const char *key;
	json_t *v;
	json_object_foreach(root, key, v) {
		if (strcmp(key, "__metadata__") == 0) {
			if (parse_metadata(src, v, err))
				goto out;
			continue;
		}
		if (parse_tensor(key, v, &items[k], err))
			goto out;
		k++;
	}
	qsort(items, k, sizeof *items, cmp_item);
	uint64_t data_start = 8 + n, pos = 0;
	for (size_t i = 0; i < k; i++) {
		if (items[i].begin != pos) {
			if (items[i].begin < pos)
				ql_error_set(err, "tensor '%s': data overlaps the previous tensor's", items[i].e.t.name);
			else
				ql_error_set(err, "tensor '%s': %llu-byte gap before its data",
					     items[i].e.t.name, (unsigned long long)(items[i].begin - pos));
			goto out;
		}
		pos = items[i].end;
	}
	if (pos != src->size - data_start) {
		ql_error_set(err, "safetensors data section is %llu bytes but the tensors cover %llu",
			     (unsigned long long)(src->size - data_start), (unsigned long long)pos);
		goto out;
	}
	for (size_t i = 0; i < k; i++) {
		ql_source_entry *e = ql_source_add(src, err);
		if (!e)
			goto out;
		*e = items[i].e;
		e->offset = data_start + items[i].begin;
	}
	rc = 0;
out:
	free(items);
	json_decref(root);
	return rc;
}

const ql_source_backend ql_backend_safetensors = {
	.name = "safetensors",
	.probe = st_probe,
	.open = st_open,
};

/* --- writing -------------------------------------------------------------------- */

typedef struct order_item {
	size_t index;
	int size;
} order_item;

/* Widest elements first (so every tensor's data stays aligned), stable. */
static int cmp_order(const void *a, const void *b)
{
	const order_item *x = a, *y = b;
	if (x->size != y->size)
		return x->size > y->size ? -1 : 1;
	return x->index < y->index ? -1 : x->index > y->index;
}

int ql_safetensors_write(FILE *f, const ql_wtensor *t, size_t count, const ql_meta *meta,
			 size_t meta_count, ql_error *err)
{
	for (size_t i = 0; i < count; i++)
		if (ql_dtypes[t[i].dtype].block_elems != 1)
			return ql_error_set(err, "tensor '%s': safetensors has no %s dtype", t[i].name,
					    ql_dtypes[t[i].dtype].name);
	order_item *order = malloc((count ? count : 1) * sizeof *order);
	json_t *root = json_object();
	char *text = NULL;
	int rc = -1;
	if (!order || !root) {
		ql_error_set(err, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < count; i++)
		order[i] = (order_item){ .index = i, .size = ql_dtypes[t[i].dtype].block_bytes };
	qsort(order, count, sizeof *order, cmp_order);

	if (meta_count) {
		json_t *jm = json_object();
		if (!jm || json_object_set_new(root, "__metadata__", jm)) {
			ql_error_set(err, "out of memory");
			goto out;
		}
		for (size_t i = 0; i < meta_count; i++)
			if (json_object_set_new(jm, meta[i].key, json_string(meta[i].value))) {
				ql_error_set(err, "metadata '%s' is not valid UTF-8", meta[i].key);
				goto out;
			}
	}
	/* offsets in data order; header keys in the order tensors were added */
	uint64_t *begin = calloc(count ? count : 1, sizeof *begin);
	if (!begin) {
		ql_error_set(err, "out of memory");
		goto out;
	}
	uint64_t pos = 0;
	for (size_t k = 0; k < count; k++) {
		begin[order[k].index] = pos;
		pos += t[order[k].index].nbytes;
	}
	for (size_t i = 0; i < count; i++) {
		json_t *shape = json_array();
		for (int d = 0; shape && d < t[i].ndim; d++)
			json_array_append_new(shape, json_integer(t[i].shape[d]));
		json_t *offs = json_pack("[II]", (json_int_t)begin[i], (json_int_t)(begin[i] + t[i].nbytes));
		json_t *info = json_pack("{s:s, s:o, s:o}", "dtype", ql_dtypes[t[i].dtype].name,
					 "shape", shape, "data_offsets", offs);
		if (!info || json_object_set_new(root, t[i].name, info)) {
			free(begin);
			ql_error_set(err, "tensor '%s': cannot build its header entry (name not UTF-8?)",
				     t[i].name);
			goto out;
		}
	}
	free(begin);
	size_t len = json_dumpb(root, NULL, 0, JSON_COMPACT);
	text = malloc(len + 8);
	if (!text || json_dumpb(root, text, len, JSON_COMPACT) != len) {
		ql_error_set(err, "out of memory");
		goto out;
	}
	size_t pad = (8 - len % 8) % 8;
	memset(text + len, ' ', pad);
	uint64_t hlen = len + pad;
	uint8_t pre[8];
	for (int i = 0; i < 8; i++)
		pre[i] = (uint8_t)(hlen >> (8 * i));
	if (fwrite(pre, 1, 8, f) != 8 || fwrite(text, 1, (size_t)hlen, f) != hlen) {
		ql_error_set(err, "write failed: %s", strerror(errno));
		goto out;
	}
	for (size_t k = 0; k < count; k++) {
		const ql_wtensor *w = &t[order[k].index];
		if (w->nbytes && fwrite(w->data, 1, (size_t)w->nbytes, f) != w->nbytes) {
			ql_error_set(err, "write failed: %s", strerror(errno));
			goto out;
		}
	}
	rc = 0;
out:
	free(text);
	free(order);
	json_decref(root);
	return rc;
}
