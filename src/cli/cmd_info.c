/* cmd_info.c — `qlens info FILE`: what a tensor file holds, from its headers.
 *
 * Prints the format, the metadata (GGUF key/values summarised, long values
 * and arrays shortened by the reader) and one line per tensor: name, dtype,
 * shape (NumPy order), elements, bytes. Only headers are read — tensor data
 * stays unmapped-in on disk — so a multi-gigabyte checkpoint answers at once.
 */
#include <inttypes.h>
#include <string.h>

#include "cmds.h"
#include "argcheck.h"
#include "filecmd.h"
#include "qlens/args.h"
#include "qlens/io.h"
#include "qlens/jsonw.h"

const char ql_info_help[] =
	"Lists what FILE holds, reading its headers only: the format, the metadata\n"
	"and, per tensor, its name, dtype, shape, number of elements and bytes.\n"
	"\n"
	"FILE can be .npy, .npz, .safetensors, a sharded checkpoint (its\n"
	"model.safetensors.index.json, or any one shard next to it), .gguf, or a\n"
	"text file of numbers (one row per line, separated by commas or spaces).\n"
	"Shapes are in NumPy order (slowest-varying axis first); GGUF files store\n"
	"dimensions fastest first, so qlens shows them reversed.\n"
	"\n"
	"Options:\n"
	"  --json               one JSON object: format, metadata (an object of\n"
	"                       strings), tensors (name, dtype, shape, elements, bytes)\n"
	"  --raw DTYPE          FILE holds bare little-endian values (F32, F16, BF16,\n"
	"                       I8, U8, Q8_0, fp8_e4m3, ...)\n"
	"  --shape SHAPE        their shape for --raw, e.g. 4x8 (default: 1-D)\n"
	"\n"
	"Examples:\n"
	"  qlens info model.gguf\n"
	"  qlens info model.safetensors.index.json --json\n"
	"  qlens info weights.bin --raw f16 --shape 4096x4096\n";

static const ql_opt info_opts[] = {
	{"json", 0, QL_ARG_NONE, QL_FO_JSON},
	{"raw", 0, QL_ARG_REQUIRED, QL_FO_RAW},
	{"shape", 0, QL_ARG_REQUIRED, QL_FO_SHAPE},
	{0},
};

static void print_json(FILE *out, const ql_source *src)
{
	ql_jsonw j;
	ql_jsonw_init(&j, out);
	ql_json_begin_object(&j);
	ql_json_key(&j, "file");
	ql_json_string(&j, ql_source_path(src));
	ql_json_key(&j, "format");
	ql_json_string(&j, ql_source_format(src));
	ql_json_key(&j, "metadata");
	ql_json_begin_object(&j);
	for (size_t i = 0; i < ql_source_meta_count(src); i++) {
		const ql_meta *m = ql_source_meta(src, i);
		ql_json_key(&j, m->key);
		ql_json_string(&j, m->value);
	}
	ql_json_end_object(&j);
	ql_json_key(&j, "tensors");
	ql_json_begin_array(&j);
	for (size_t i = 0; i < ql_source_count(src); i++) {
		const ql_tensor *t = ql_source_tensor(src, i);
		ql_json_begin_object(&j);
		ql_json_key(&j, "name");
		ql_json_string(&j, t->name);
		ql_json_key(&j, "dtype");
		ql_json_string(&j, ql_cli_dtype_name(t));
		ql_json_key(&j, "shape");
		ql_json_begin_array(&j);
		for (int d = 0; d < t->ndim; d++)
			ql_json_int(&j, t->shape[d]);
		ql_json_end_array(&j);
		ql_json_key(&j, "elements");
		ql_json_int(&j, t->nelem);
		ql_json_key(&j, "bytes");
		ql_json_int(&j, (int64_t)t->nbytes);
		ql_json_key(&j, "decodable");
		ql_json_bool(&j, t->dtype != QL_DT_OTHER);
		ql_json_end_object(&j);
	}
	ql_json_end_array(&j);
	ql_json_end_object(&j);
	ql_jsonw_finish(&j);
}

/* --- the tensor table, one write per line ----------------------------------
 * With 80,000 tensors, printf's parsing of the row format was a third of
 * `qlens info`; these write the same text as "%14lld", "%-*s" and
 * ql_shape_string into a line buffer. */

/* v in decimal, right-aligned in `width` columns (like %*llu). */
static char *put_u64(char *o, uint64_t v, int width)
{
	char d[24];
	int n = 0;
	do {
		d[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	for (int i = n; i < width; i++)
		*o++ = ' ';
	while (n)
		*o++ = d[--n];
	return o;
}

static char *put_padded(char *o, const char *s, size_t len, size_t width)
{
	memcpy(o, s, len);
	o += len;
	for (size_t i = len; i < width; i++)
		*o++ = ' ';
	return o;
}

/* As ql_shape_string (dimensions are never negative once opened); returns
 * the length. buf holds 8 dimensions of 19 digits. */
static size_t shape_text(const ql_tensor *t, char *buf, size_t n)
{
	if (t->ndim <= 0) {
		memcpy(buf, "scalar", 7);
		return 6;
	}
	char *o = buf;
	for (int i = 0; i < t->ndim && i < QL_MAX_DIMS; i++) {
		if (t->shape[i] < 0) {
			ql_shape_string(t, buf, n);
			return strlen(buf);
		}
		if (i)
			*o++ = 'x';
		o = put_u64(o, (uint64_t)t->shape[i], 0);
	}
	*o = '\0';
	return (size_t)(o - buf);
}

static bool plain_name(const char *s, size_t *len)
{
	const unsigned char *p = (const unsigned char *)s;
	while (*p >= 0x20 && *p < 0x7f)
		p++;
	*len = (size_t)((const char *)p - s);
	return *p == '\0';
}

static void print_text(FILE *out, const ql_source *src)
{
	const char *fmt = ql_source_format(src);
	fputs("file      ", out);
	ql_cli_put_line_safe(out, ql_source_path(src));
	fputc('\n', out);
	fprintf(out, "format    %s", fmt);
	if (strcmp(fmt, "gguf") == 0)
		fprintf(out, "  (shapes in NumPy order: GGUF lists dimensions fastest first, "
			     "qlens reverses them)");
	fputc('\n', out);

	size_t nm = ql_source_meta_count(src);
	if (nm) {
		size_t kw = 0;
		for (size_t i = 0; i < nm; i++) { /* columns, as printed: escapes, UTF-8 */
			size_t k = ql_cli_text_width(ql_source_meta(src, i)->key);
			kw = k > kw ? k : kw;
		}
		kw = kw > 40 ? 40 : kw;
		fprintf(out, "metadata  %zu %s\n", nm, nm == 1 ? "entry" : "entries");
		for (size_t i = 0; i < nm; i++) {
			const ql_meta *m = ql_source_meta(src, i);
			fputs("  ", out);
			ql_cli_put_line_safe(out, m->key);
			size_t k = ql_cli_text_width(m->key);
			fprintf(out, "%*s  ", (int)(k < kw ? kw - k : 0), "");
			ql_cli_put_line_safe(out, m->value);
			fputc('\n', out);
		}
	}

	size_t n = ql_source_count(src);
	int64_t elems = 0;
	uint64_t bytes = 0;
	size_t nw = 4, dw = 5, sw = 5;
	char shape[200];
	for (size_t i = 0; i < n; i++) {
		const ql_tensor *t = ql_source_tensor(src, i);
		elems += t->nelem; /* each fits in int64; a sum past it is not realistic */
		bytes += t->nbytes;
		size_t l = ql_cli_text_width(t->name);
		nw = l > nw ? l : nw;
		l = strlen(ql_cli_dtype_name(t));
		dw = l > dw ? l : dw;
		l = shape_text(t, shape, sizeof shape);
		sw = l > sw ? l : sw;
	}
	nw = nw > 60 ? 60 : nw;
	fprintf(out, "tensors   %zu, %" PRId64 " elements, %" PRIu64 " bytes\n", n, elems, bytes);
	if (!n)
		return;
	fprintf(out, "  %-*s  %-*s  %-*s  %14s  %14s\n", (int)nw, "NAME", (int)dw, "DTYPE", (int)sw,
		"SHAPE", "ELEMENTS", "BYTES");
	/* name (255) + pads (60) + dtype (31) + shape (159) + numbers + suffix */
	char line[1024];
	for (size_t i = 0; i < n; i++) {
		const ql_tensor *t = ql_source_tensor(src, i);
		size_t sl = shape_text(t, shape, sizeof shape);
		size_t l;
		char *o = line;
		*o++ = ' ';
		*o++ = ' ';
		if (plain_name(t->name, &l)) {
			memcpy(o, t->name, l);
			o += l;
		} else {
			fwrite(line, 1, (size_t)(o - line), out);
			ql_cli_put_line_safe(out, t->name);
			o = line;
			l = ql_cli_text_width(t->name);
		}
		for (size_t k = l; k < nw; k++)
			*o++ = ' ';
		*o++ = ' ';
		*o++ = ' ';
		const char *dn = ql_cli_dtype_name(t);
		o = put_padded(o, dn, strlen(dn), dw);
		*o++ = ' ';
		*o++ = ' ';
		o = put_padded(o, shape, sl, sw);
		*o++ = ' ';
		*o++ = ' ';
		if (t->nelem < 0) { /* never, once opened; printf's way if so */
			o += sprintf(o, "%14" PRId64, t->nelem);
		} else {
			o = put_u64(o, (uint64_t)t->nelem, 14);
		}
		*o++ = ' ';
		*o++ = ' ';
		o = put_u64(o, t->nbytes, 14);
		if (t->dtype == QL_DT_OTHER)
			o = put_padded(o, "  (listed only)", 15, 0);
		*o++ = '\n';
		fwrite(line, 1, (size_t)(o - line), out);
	}
	size_t other = 0;
	for (size_t i = 0; i < n; i++)
		other += ql_source_tensor(src, i)->dtype == QL_DT_OTHER;
	if (other)
		fprintf(out, "decodable %zu of %zu tensors (qlens cannot decode the types marked "
			     "\"listed only\" yet)\n", n - other, n);
}

int ql_cmd_info(ql_cmd_ctx *ctx, int argc, char **argv)
{
	ql_fileopts fo;
	ql_fileopts_init(&fo, argv[0], QL_FO_SCHEME_NONE);
	ql_args a;
	ql_args_init(&a, argc, argv, info_opts);
	int id;
	while ((id = ql_args_next(&a)) != QL_ARGS_END) {
		int rc = ql_fileopts_take(ctx, &fo, id, &a);
		if (rc != QL_FO_TAKEN)
			return rc; /* info has no options of its own */
	}
	int rc = ql_fileopts_finish(ctx, &fo);
	if (rc >= 0)
		return rc;
	const char *file = fo.file;
	bool json = fo.json;
	ql_source *src;
	if (ql_cli_open(ctx, file, &fo.open, &src))
		return QL_EXIT_FAIL;
	if (json)
		print_json(ctx->out, src);
	else
		print_text(ctx->out, src);
	ql_source_close(src);
	return QL_EXIT_OK;
}
