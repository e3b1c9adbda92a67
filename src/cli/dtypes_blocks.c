/* dtypes_blocks.c — `qlens dtypes --blocks [--json]`: for every block format,
 * its block length, its bytes field by field (offset, width, type, what the
 * field means) and its bits per weight, all read from ql_block_formats[],
 * the table the kernels, the GGUF reader and the quantize driver use.
 */
#include "dtypes_blocks.h"

#include <string.h>
#include <strings.h>

#include "qlens/blockfmt.h"
#include "qlens/jsonw.h"
#include "qlens/tensor.h"

/* Which of ggml's and OCP's MXFP4 is which: printed under the table. */
static const char mxfp4_note[] =
	"mxfp4_ggml is ggml's MXFP4 (GGUF type 39): the same bytes as OCP's MX\n"
	"layout, but ggml rounds each value to the nearest E2M1 level with ties\n"
	"to the smaller magnitude (and -0 to +0), where qlens's `mxfp4` follows\n"
	"the OCP MX reference (ties to even). Both take the shared exponent\n"
	"floor(log2(absmax)) - 2; the decoded values agree wherever the codes do.\n";

static bool listed(const char *list, const char *name)
{
	if (!list)
		return true;
	size_t n = strlen(name);
	for (const char *p = list; *p;) {
		const char *e = strchr(p, ',');
		size_t len = e ? (size_t)(e - p) : strlen(p);
		if (len == n && strncasecmp(p, name, n) == 0)
			return true;
		p += len + (e != NULL);
	}
	return false;
}

/* The first name in list that is not a block format. */
static int check_list(const char *list, const char **bad, size_t *bad_len)
{
	for (const char *p = list; p && *p;) {
		const char *e = strchr(p, ',');
		size_t len = e ? (size_t)(e - p) : strlen(p);
		char name[32];
		if (len == 0 || len >= sizeof name) {
			*bad = p;
			*bad_len = len;
			return -1;
		}
		memcpy(name, p, len);
		name[len] = '\0';
		if (!ql_block_find(name)) {
			*bad = p;
			*bad_len = len;
			return -1;
		}
		p += len + (e != NULL);
	}
	return 0;
}

static void text(FILE *out, const char *list)
{
	bool first = true, mx = false;
	for (int i = 0; i < ql_block_format_count; i++) {
		const ql_block_traits *t = &ql_block_formats[i];
		if (!listed(list, t->name))
			continue;
		mx |= strcmp(t->name, "mxfp4_ggml") == 0;
		fprintf(out, "%s%s  (%s", first ? "" : "\n", t->name, ql_dtypes[t->dtype].name);
		if (t->ggml_type >= 0)
			fprintf(out, ", GGUF type %d", t->ggml_type);
		fprintf(out, ")  %d values in %d bytes: %g bits per weight%s\n", t->block, t->bytes,
			ql_block_bits_per_weight(t), t->quantize_row_ref ? "" : "  (decode only)");
		fprintf(out, "  %s\n", t->summary);
		size_t tw = 4, nw = 5;
		for (int f = 0; f < t->nfields; f++) {
			size_t l = strlen(t->fields[f].type);
			tw = l > tw ? l : tw;
			l = strlen(t->fields[f].name);
			nw = l > nw ? l : nw;
		}
		fprintf(out, "  %6s  %5s  %-*s  %-*s  %s\n", "offset", "bytes", (int)nw, "field",
			(int)tw, "type", "meaning");
		int off = 0;
		for (int f = 0; f < t->nfields; f++) {
			const ql_block_field *fl = &t->fields[f];
			fprintf(out, "  %6d  %5d  %-*s  %-*s  %s\n", off, fl->bytes, (int)nw, fl->name,
				(int)tw, fl->type, fl->meaning);
			off += fl->bytes;
		}
		first = false;
	}
	if (mx)
		fprintf(out, "\n%s", mxfp4_note);
}

static void json(FILE *out, const char *list)
{
	ql_jsonw j;
	ql_jsonw_init(&j, out);
	ql_json_begin_object(&j);
	for (int i = 0; i < ql_block_format_count; i++) {
		const ql_block_traits *t = &ql_block_formats[i];
		if (!listed(list, t->name))
			continue;
		ql_json_key(&j, t->name);
		ql_json_begin_object(&j);
		ql_json_key(&j, "storage_dtype");
		ql_json_string(&j, ql_dtypes[t->dtype].name);
		ql_json_key(&j, "ggml_type");
		if (t->ggml_type >= 0)
			ql_json_int(&j, t->ggml_type);
		else
			ql_json_null(&j);
		ql_json_key(&j, "block");
		ql_json_int(&j, t->block);
		ql_json_key(&j, "bytes");
		ql_json_int(&j, t->bytes);
		ql_json_key(&j, "bits_per_weight");
		ql_json_number(&j, ql_block_bits_per_weight(t));
		ql_json_key(&j, "quantize");
		ql_json_bool(&j, t->quantize_row_ref != NULL);
		ql_json_key(&j, "summary");
		ql_json_string(&j, t->summary);
		ql_json_key(&j, "fields");
		ql_json_begin_array(&j);
		int off = 0;
		for (int f = 0; f < t->nfields; f++) {
			const ql_block_field *fl = &t->fields[f];
			ql_json_begin_object(&j);
			ql_json_key(&j, "name");
			ql_json_string(&j, fl->name);
			ql_json_key(&j, "type");
			ql_json_string(&j, fl->type);
			ql_json_key(&j, "offset");
			ql_json_int(&j, off);
			ql_json_key(&j, "bytes");
			ql_json_int(&j, fl->bytes);
			ql_json_key(&j, "meaning");
			ql_json_string(&j, fl->meaning);
			ql_json_end_object(&j);
			off += fl->bytes;
		}
		ql_json_end_array(&j);
		if (strcmp(t->name, "mxfp4_ggml") == 0) {
			ql_json_key(&j, "note");
			ql_json_string(&j, mxfp4_note);
		}
		ql_json_end_object(&j);
	}
	ql_json_end_object(&j);
	ql_jsonw_finish(&j);
}

int ql_dtypes_blocks(FILE *out, bool as_json, const char *list, const char **bad, size_t *bad_len)
{
	if (check_list(list, bad, bad_len))
		return -1;
	if (as_json)
		json(out, list);
	else
		text(out, list);
	return 0;
}
