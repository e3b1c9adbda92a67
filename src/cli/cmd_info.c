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
		for (size_t i = 0; i < nm; i++) {
			size_t k = strlen(ql_source_meta(src, i)->key);
			kw = k > kw ? k : kw;
		}
		kw = kw > 40 ? 40 : kw;
		fprintf(out, "metadata  %zu %s\n", nm, nm == 1 ? "entry" : "entries");
		for (size_t i = 0; i < nm; i++) {
			const ql_meta *m = ql_source_meta(src, i);
			fputs("  ", out);
			ql_cli_put_line_safe(out, m->key);
			size_t k = strlen(m->key);
			fprintf(out, "%*s  ", (int)(k < kw ? kw - k : 0), "");
			ql_cli_put_line_safe(out, m->value);
			fputc('\n', out);
		}
	}

	size_t n = ql_source_count(src);
	int64_t elems = 0;
	uint64_t bytes = 0;
	size_t nw = 4, dw = 5, sw = 5;
	char shape[160];
	for (size_t i = 0; i < n; i++) {
		const ql_tensor *t = ql_source_tensor(src, i);
		elems += t->nelem; /* each fits in int64; a sum past it is not realistic */
		bytes += t->nbytes;
		size_t l = strlen(t->name);
		nw = l > nw ? l : nw;
		l = strlen(ql_cli_dtype_name(t));
		dw = l > dw ? l : dw;
		ql_shape_string(t, shape, sizeof shape);
		l = strlen(shape);
		sw = l > sw ? l : sw;
	}
	nw = nw > 60 ? 60 : nw;
	fprintf(out, "tensors   %zu, %" PRId64 " elements, %" PRIu64 " bytes\n", n, elems, bytes);
	if (!n)
		return;
	fprintf(out, "  %-*s  %-*s  %-*s  %14s  %14s\n", (int)nw, "NAME", (int)dw, "DTYPE", (int)sw,
		"SHAPE", "ELEMENTS", "BYTES");
	for (size_t i = 0; i < n; i++) {
		const ql_tensor *t = ql_source_tensor(src, i);
		ql_shape_string(t, shape, sizeof shape);
		fputs("  ", out);
		ql_cli_put_line_safe(out, t->name);
		size_t l = strlen(t->name);
		fprintf(out, "%*s  %-*s  %-*s  %14" PRId64 "  %14" PRIu64 "%s\n",
			(int)(l < nw ? nw - l : 0), "", (int)dw, ql_cli_dtype_name(t), (int)sw, shape,
			t->nelem, t->nbytes, t->dtype == QL_DT_OTHER ? "  (listed only)" : "");
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
