/* screen_blocks.c — the blocks of a block format, byte by byte.
 *
 * Arguments: PATH --tensor NAME [--scheme WORD] [--element I].
 *
 * Two sources of blocks:
 *  - stored: the tensor is held in a block format by its file (a GGUF's
 *    Q8_0, Q4_0, Q4_1, Q5_0, Q5_1 ... any entry of blockfmt.h's table) and
 *    no scheme is given: its own bytes, decoded by the table's fields,
 *    codes_row, scales_row and dequantize_row (ggml's reference); there is
 *    no original to compare with;
 *  - quantized: the tensor quantized with a block scheme (q8_0, q4_0, nf4,
 *    mxfp4, mxfp8, mxint8 and every block format of the table that has a
 *    quantizer) by ql_quantize: its raw blocks beside the original values.
 *
 * One block at a time: its raw bytes in hex (each field in its own shade),
 * each field decoded (d as fp16 bits and value, the e8m0 scale as 2^k, the
 * codes), and its values: original, code, decoded, error. Left/Right (and
 * Up/Down) move by one block, PgUp/PgDn by 16, i goes to a block, E to the
 * block of the largest error, S takes another scheme.
 */
#include "tui_impl.h"
#include "inspect.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qlens/blockfmt.h"

/* ---- the stored blocks, read in the background ------------------------------ */

typedef struct stored {
	uint8_t *raw;     /* the tensor's bytes, copied from the file */
	uint64_t nbytes;
	float *y;         /* decoded by the table's dequantize_row */
} stored;

static void stored_free(void *p)
{
	stored *s = p;
	if (!s)
		return;
	free(s->raw);
	free(s->y);
	free(s);
}

static int stored_run(ql_job *j, ql_doc *doc, size_t index, void *payload, ql_error *err)
{
	stored *s = payload;
	const ql_block_traits *bf;
	pthread_mutex_lock(&doc->lock);
	int rc = ql_source_read(doc->src, index, err);
	const ql_tensor *t = ql_source_tensor(doc->src, index);
	if (rc == 0) {
		s->nbytes = t->nbytes;
		s->raw = malloc(t->nbytes ? t->nbytes : 1);
		if (s->raw)
			memcpy(s->raw, t->data, t->nbytes);
		ql_source_release(doc->src, index);
	}
	pthread_mutex_unlock(&doc->lock);
	if (rc)
		return -1;
	if (!s->raw)
		return ql_error_set(err, "out of memory for %llu bytes", (unsigned long long)t->nbytes);
	if (!ql_job_progress(j, 0.5))
		return ql_error_set(err, "cancelled");
	bf = ql_block_for_dtype(t->dtype);
	s->y = malloc((size_t)(t->nelem > 0 ? t->nelem : 1) * sizeof *s->y);
	if (!s->y)
		return ql_error_set(err, "out of memory for %lld values", (long long)t->nelem);
	bf->dequantize_row(s->raw, s->y, t->nelem);
	ql_job_progress(j, 1.0);
	return 0;
}

/* ---- the screen ---------------------------------------------------------------- */

typedef struct blocks_state {
	ql_doc *doc;
	long index;
	ql_scheme scheme;
	bool is_stored;
	const ql_block_traits *bf;  /* the table's entry, or NULL (MX, NF4) */
	const ql_qdtype_info *qi;   /* quantized: the target */
	ql_job *job;
	ql_error err;
	int shown_state;
	int64_t block, nblocks;
	int64_t start_elem;         /* --element: the block holding it, once ready */
} blocks_state;

static const ql_tensor *tensor(const blocks_state *st)
{
	return ql_source_tensor(st->doc->src, (size_t)st->index);
}

static void blocks_close(void *vst)
{
	blocks_state *st = vst;
	if (!st)
		return;
	ql_job_cancel(st->job);
	ql_doc_unref(st->doc);
	free(st);
}

static int start(blocks_state *st, ql_error *err)
{
	ql_job_cancel(st->job);
	st->job = NULL;
	st->shown_state = -1;
	const ql_tensor *t = tensor(st);
	if (st->is_stored) {
		stored *s = calloc(1, sizeof *s);
		if (!s)
			return ql_error_set(err, "out of memory");
		st->nblocks = st->bf->block ? t->nelem / st->bf->block : 0;
		st->job = ql_job_start(st->doc, (size_t)st->index, stored_run, s, stored_free, err);
		return st->job ? 0 : -1;
	}
	st->qi = ql_qdtype_of(st->scheme.dtype);
	if (!st->qi || (st->qi->block_bytes == 0 && !st->qi->raw_packed))
		return ql_error_set(err, "%s has no blocks: the blocks view shows q8_0, q4_0, nf4, mxfp4, mxfp8, "
				    "mxint8 and the other block formats (qlens dtypes --blocks)",
				    st->qi ? st->qi->name : "this scheme");
	st->bf = st->qi->bfmt >= 0 ? &ql_block_formats[st->qi->bfmt] : NULL;
	st->job = ql_qjob_start(st->doc, (size_t)st->index, &st->scheme, err);
	return st->job ? 0 : -1;
}

static void *blocks_open(ql_app *app, int argc, char **argv, ql_error *err)
{
	(void)app;
	blocks_state *st = calloc(1, sizeof *st);
	if (!st) {
		ql_error_set(err, "out of memory");
		return NULL;
	}
	/* --element I is ours; the rest as the cells view takes them */
	char *rest[16];
	int n = 0;
	bool has_scheme = false;
	st->start_elem = -1;
	for (int i = 0; i < argc && n < 15; i++) {
		if (!strcmp(argv[i], "--element") && i + 1 < argc) {
			st->start_elem = strtoll(argv[++i], NULL, 10);
			continue;
		}
		has_scheme |= !strcmp(argv[i], "--scheme");
		rest[n++] = argv[i];
	}
	rest[n] = NULL;
	if (ql_inspect_parse_target(n, rest, &st->doc, &st->index, &st->scheme, err)) {
		free(st);
		return NULL;
	}
	const ql_block_traits *bf = ql_block_for_dtype(tensor(st)->dtype);
	if (bf && !has_scheme) {
		st->is_stored = true;
		st->bf = bf;
	} else if (!has_scheme) {
		ql_scheme_parse_word("q4_0", &st->scheme, err); /* a block format to start with */
	}
	if (start(st, err)) {
		blocks_close(st);
		return NULL;
	}
	return st;
}

static const ql_qjob *qresult(const blocks_state *st)
{
	return !st->is_stored && st->job && ql_job_state(st->job) == QL_JOB_DONE ? ql_job_payload(st->job) : NULL;
}

/* The elements of block b of a quantized result: [*e0, *e1) flat, in the
 * row of the tensor (or the flattened tensor for NF4). */
static void block_elems(const blocks_state *st, const ql_qresult *r, int64_t b, int64_t *e0, int64_t *e1)
{
	const ql_tensor *t = tensor(st);
	int blk = st->is_stored ? st->bf->block : st->qi->block;
	if (st->is_stored || st->qi->flat_blocks) {
		*e0 = b * blk;
		*e1 = *e0 + blk < t->nelem ? *e0 + blk : t->nelem;
		return;
	}
	(void)r;
	int64_t last = t->ndim ? t->shape[t->ndim - 1] : 1;
	int64_t per_row = (last + blk - 1) / blk;
	int64_t row = b / per_row, c0 = (b % per_row) * blk;
	*e0 = row * last + c0;
	*e1 = row * last + (c0 + blk < last ? c0 + blk : last);
}

static void goto_done(ql_app *app, void *data, const char *line)
{
	blocks_state *st = data;
	if (!line || !line[0])
		return;
	char *end;
	long long b = strtoll(line, &end, 10);
	if (*end || b < 0 || b >= st->nblocks) {
		ql_app_message(app, QL_R_ERROR, "qlens: give a block number from 0 to %lld", (long long)st->nblocks - 1);
		return;
	}
	st->block = b;
}

static void scheme_done(ql_app *app, void *data, const char *line)
{
	blocks_state *st = data;
	ql_error err = {{0}};
	ql_scheme s;
	if (!line || !line[0])
		return;
	if (ql_scheme_parse_word(line, &s, &err)) {
		ql_app_message(app, QL_R_ERROR, "qlens: %s", err.msg);
		return;
	}
	ql_scheme old = st->scheme;
	bool was_stored = st->is_stored;
	const ql_block_traits *old_bf = st->bf;
	st->scheme = s;
	st->is_stored = false;
	st->block = 0;
	if (start(st, &err)) {
		ql_app_message(app, QL_R_ERROR, "qlens: %s", err.msg);
		st->scheme = old;
		st->is_stored = was_stored;
		st->bf = old_bf;
		start(st, &err);
	}
}

static bool blocks_action(ql_app *app, void *vst, ql_action a)
{
	blocks_state *st = vst;
	switch (a) {
	case QL_ACT_LEFT: case QL_ACT_UP: st->block--; break;
	case QL_ACT_RIGHT: case QL_ACT_DOWN: st->block++; break;
	case QL_ACT_PAGE_UP: st->block -= 16; break;
	case QL_ACT_PAGE_DOWN: st->block += 16; break;
	case QL_ACT_FIRST: st->block = 0; break;
	case QL_ACT_LAST: st->block = st->nblocks - 1; break;
	case QL_ACT_GOTO:
		ql_prompt_open(ql_app_prompt(app), QL_PROMPT_VALUE, "block: ", NULL, goto_done, st);
		break;
	case QL_ACT_WORST: {
		const ql_qjob *q = qresult(st);
		if (q && q->worst >= 0)
			st->block = ql_qjob_scale_index(&q->r, q->worst);
		break;
	}
	case QL_ACT_SCHEME: {
		char w[QL_SCHEME_WORD_MAX];
		ql_scheme_word(&st->scheme, w, sizeof w);
		ql_prompt_open(ql_app_prompt(app), QL_PROMPT_VALUE, "scheme: ", st->is_stored ? "q4_0" : w,
			       scheme_done, st);
		break;
	}
	default:
		return false;
	}
	if (st->block >= st->nblocks)
		st->block = st->nblocks - 1;
	if (st->block < 0)
		st->block = 0;
	return true;
}

static bool blocks_tick(ql_app *app, void *vst)
{
	(void)app;
	blocks_state *st = vst;
	return st->job && ql_job_state(st->job) != st->shown_state;
}

/* Draws the bytes of one block: hex, 16 a line, fields in turn shaded; then
 * one line per field. Returns the next free row. */
static int draw_fields(const ql_theme *th, WINDOW *w, int y, int cols, const uint8_t *raw, int nbytes,
		       const ql_block_field *f, int nf, const char *const *notes)
{
	static const ql_role shade[] = {QL_R_EXP, QL_R_MAN, QL_R_INT, QL_R_SIGN};
	char buf[64];
	snprintf(buf, sizeof buf, "raw bytes (%d):", nbytes);
	ql_put(th, w, y++, 2, cols - 3, QL_R_LABEL, buf);
	int field = 0, used = 0;
	for (int i = 0; i < nbytes; i++) {
		while (field < nf && i >= used + f[field].bytes) {
			used += f[field].bytes;
			field++;
		}
		int x = 4 + (i % 16) * 3 + (i % 16 >= 8);
		snprintf(buf, sizeof buf, "%02x", raw[i]);
		ql_put(th, w, y + i / 16, x, 2, shade[field % 4], buf);
	}
	y += (nbytes + 15) / 16 + 1;
	int off = 0;
	for (int k = 0; k < nf; k++) {
		char line[1024];
		snprintf(line, sizeof line, "%-6s %-12s %3d B  %s", f[k].name, f[k].type, f[k].bytes, notes[k] ? notes[k] : "");
		ql_put(th, w, y, 2, 1, shade[k % 4], th->g.bar);
		ql_put_fit(th, w, y++, 4, cols - 5, QL_R_NORMAL, line);
		off += f[k].bytes;
	}
	(void)off;
	return y;
}

static void blocks_draw(ql_app *app, void *vst, WINDOW *w)
{
	blocks_state *st = vst;
	const ql_theme *th = ql_app_theme(app);
	int h = getmaxy(w), cols = getmaxx(w);
	const ql_tensor *t = tensor(st);
	char line[1024], word[QL_SCHEME_WORD_MAX];
	ql_scheme_word(&st->scheme, word, sizeof word);
	if (!st->job) {
		ql_put_wrapped(th, w, 2, 2, cols - 4, QL_R_ERROR, st->err.msg);
		return;
	}
	st->shown_state = ql_job_state(st->job);
	snprintf(line, sizeof line, "%s %s %s", t->name, th->g.sep,
		 st->is_stored ? "stored in the file as" : "quantized with");
	int x = 1 + ql_put_fit(th, w, 0, 1, cols - 2, QL_R_LABEL, line);
	ql_put_fit(th, w, 0, x + 1, cols - x - 2, QL_R_VALUE, st->is_stored ? st->bf->name : word);
	if (st->shown_state == QL_JOB_RUNNING) {
		ql_draw_job_progress(th, w, 2, st->is_stored ? "Reading the blocks" : "Quantizing", st->job);
		return;
	}
	if (st->shown_state == QL_JOB_FAILED) {
		snprintf(line, sizeof line, "Cannot show the blocks: %s", ql_job_error(st->job));
		ql_put_wrapped(th, w, 2, 2, cols - 4, QL_R_ERROR, line);
		return;
	}
	const ql_qjob *q = qresult(st);
	const stored *sd = st->is_stored ? ql_job_payload(st->job) : NULL;
	if (q)
		st->nblocks = q->r.nscales;
	if (st->start_elem >= 0 && q) {
		st->block = ql_qjob_scale_index(&q->r, st->start_elem < q->r.nelem ? st->start_elem : 0);
		st->start_elem = -1;
	}
	if (st->nblocks <= 0) {
		ql_put(th, w, 2, 2, cols - 3, QL_R_DIM, "The tensor has no blocks (it is empty).");
		return;
	}
	if (st->block >= st->nblocks)
		st->block = st->nblocks - 1;
	int64_t b = st->block, e0, e1;
	block_elems(st, q ? &q->r : NULL, b, &e0, &e1);
	int64_t last = t->ndim ? t->shape[t->ndim - 1] : 1;
	bool flatb = !st->is_stored && st->qi->flat_blocks;
	if (flatb)
		snprintf(line, sizeof line, "block %lld of %lld: elements %lld..%lld of the flattened tensor",
			 (long long)b, (long long)st->nblocks, (long long)e0, (long long)e1 - 1);
	else
		snprintf(line, sizeof line, "block %lld of %lld: elements %lld..%lld (row %lld, columns %lld..%lld)",
			 (long long)b, (long long)st->nblocks, (long long)e0, (long long)e1 - 1,
			 (long long)(e0 / last), (long long)(e0 % last), (long long)((e1 - 1) % last));
	ql_put_fit(th, w, 1, 1, cols - 2, QL_R_NORMAL, line);

	/* the block's bytes and fields */
	const uint8_t *raw;
	int nbytes;
	uint8_t codes[256];
	bool have_codes = false;
	float vals[256];
	char notes[8][512];
	const char *np[8] = {0};
	int y = 3;
	int len = (int)(e1 - e0);
	if (st->bf) {
		const ql_block_traits *bf = st->bf;
		raw = st->is_stored ? sd->raw + (size_t)b * (size_t)bf->bytes : q->r.blocks + (size_t)b * (size_t)bf->bytes;
		nbytes = bf->bytes;
		if (bf->codes_row) {
			bf->codes_row(raw, codes);
			have_codes = true;
		}
		float d = 0, dmin = 0, sub_d[64], sub_m[64];
		if (bf->scales_row)
			bf->scales_row(raw, &d, &dmin, sub_d, sub_m);
		bf->dequantize_row(raw, vals, bf->block);
		int off = 0;
		for (int k = 0; k < bf->nfields && k < 8; k++) {
			const ql_block_field *f = &bf->fields[k];
			notes[k][0] = '\0';
			if (!strcmp(f->type, "fp16") && f->bytes == 2) {
				uint16_t hbits = (uint16_t)(raw[off] | raw[off + 1] << 8);
				snprintf(notes[k], sizeof notes[k], "0x%04x = %.9g  %s", hbits,
					 (double)ql_f32_from_fp16(hbits), f->meaning ? f->meaning : "");
			} else if (have_codes && (!strcmp(f->name, "qs"))) {
				size_t k2 = 0;
				k2 += (size_t)snprintf(notes[k] + k2, sizeof notes[k] - k2, "codes:");
				for (int i = 0; i < bf->block && k2 + 6 < sizeof notes[k]; i++)
					k2 += (size_t)snprintf(notes[k] + k2, sizeof notes[k] - k2, " %d",
							       bf->codes_signed ? (int)(int8_t)codes[i] : (int)codes[i]);
			} else {
				snprintf(notes[k], sizeof notes[k], "%s", f->meaning ? f->meaning : "");
			}
			np[k] = notes[k];
			off += f->bytes;
		}
		y = draw_fields(th, w, y, cols, raw, nbytes, bf->fields, bf->nfields, np);
	} else {
		/* MX: an e8m0 byte, then the elements; NF4: packed codes, absmax beside */
		const ql_qresult *r = &q->r;
		const ql_qdtype_info *qi = st->qi;
		if (qi->raw_packed) {
			size_t at = (size_t)b * (size_t)qi->raw_unit_bytes;
			raw = r->blocks + at;
			nbytes = (int)((size_t)(len + 1) / 2);
			for (int i = 0; i < len; i++)
				codes[i] = (uint8_t)(i % 2 == 0 ? raw[i / 2] >> 4 : raw[i / 2] & 0x0f);
			have_codes = true;
			size_t k2 = (size_t)snprintf(notes[0], sizeof notes[0], "codes (first in the high nibble):");
			for (int i = 0; i < len && k2 + 4 < sizeof notes[0]; i++)
				k2 += (size_t)snprintf(notes[0] + k2, sizeof notes[0] - k2, " %d", codes[i]);
			snprintf(notes[1], sizeof notes[1], "absmax %.9g (float32, stored beside the codes)", (double)r->scales[b]);
			ql_block_field f[2] = {{"codes", "4-bit x 64", nbytes, NULL}, {"absmax", "fp32", 0, NULL}};
			np[0] = notes[0];
			np[1] = notes[1];
			y = draw_fields(th, w, y, cols, raw, nbytes, f, 2, np);
		} else {
			raw = r->blocks + (size_t)b * (size_t)qi->block_bytes;
			nbytes = qi->block_bytes;
			int k2 = 0;
			bool nib = qi->bits == 4;
			for (int i = 0; i < len; i++)
				codes[i] = nib ? (uint8_t)(i < 16 ? raw[1 + i] & 0x0f : raw[1 + i - 16] >> 4) : raw[1 + i];
			have_codes = true;
			snprintf(notes[0], sizeof notes[0], "0x%02x = 2^%d = %.9g  the block's shared scale", raw[0],
				 (int)raw[0] - 127, (double)ql_e8m0_to_f32(raw[0]));
			k2 = snprintf(notes[1], sizeof notes[1], "%s:", nib ? "codes (j low nibble, j+16 high)" : "codes");
			for (int i = 0; i < len && k2 + 6 < (int)sizeof notes[1]; i++)
				k2 += snprintf(notes[1] + k2, sizeof notes[1] - (size_t)k2,
					       qi->is_signed ? " %d" : " 0x%02x",
					       qi->is_signed ? (int)(int8_t)codes[i] : (int)codes[i]);
			char et[32];
			snprintf(et, sizeof et, "%d-bit x 32", qi->bits);
			ql_block_field f[2] = {{"e", "e8m0", 1, NULL}, {"elems", et, nbytes - 1, NULL}};
			np[0] = notes[0];
			np[1] = notes[1];
			y = draw_fields(th, w, y, cols, raw, nbytes, f, 2, np);
		}
		for (int i = 0; i < len; i++)
			vals[i] = r->dequant[e0 + i];
	}

	/* the values: columns of "index original code decoded error" (or
	 * "index code decoded" for stored blocks), every field as wide as its
	 * widest content, so that no number is ever cut: the index as wide as
	 * the largest one, the codes 4 ("0x0f", "-128"), the errors %.1e (8:
	 * a float's exponent has two digits), the values 9 ("-9.481e-38" drops
	 * a digit), or 8 and 7 when that keeps two columns of them */
	y++;
	int64_t maxi = flatb ? t->nelem - 1 : last - 1;
	int iw = 4;
	for (int64_t m = maxi; m >= 10000; m /= 10)
		iw++;
	int nw = 9, lw = 0, per = 1;
	for (int tw = 9; tw >= 6; tw--) {
		int l = q ? iw + 1 + tw + 1 + 4 + 1 + tw + 1 + 8 : iw + 1 + 4 + 1 + 14;
		int p = (cols - 2) / (l + 1);
		if (tw == 9 || p > per) {
			nw = tw;
			lw = l;
			per = p < 1 ? 1 : p;
		}
		if (per >= 2 || !q)
			break;
	}
	int colw = lw + 1;
	bool hex = st->qi && !st->bf && ql_formats[st->qi->elem].kind == QL_KIND_FLOAT;
	int nrows = (len + per - 1) / per;
	for (int cc = 0; cc < per && cc * nrows < len; cc++) {
		if (q)
			snprintf(line, sizeof line, "%-*s %*s %4s %*s %8s", iw, flatb ? "elem" : "col", nw,
				 nw >= 8 ? "original" : "orig", "code", nw, nw >= 7 ? "decoded" : "dec", "error");
		else
			snprintf(line, sizeof line, "%-*s %4s %14s", iw, "col", "code", "decoded");
		ql_put(th, w, y, 2 + cc * colw, lw, QL_R_LABEL, line);
	}
	y++;
	int avail = h - y;
	bool clipped = nrows > avail;
	if (clipped)
		avail--;
	for (int i = 0; i < len; i++) {
		int rr = i % nrows, cc = i / nrows;
		if (rr >= avail)
			continue;
		int64_t e = e0 + i;
		char code[16] = "-";
		if (have_codes && hex)
			snprintf(code, sizeof code, "0x%02x", codes[i]);
		else if (have_codes)
			snprintf(code, sizeof code, "%d", st->bf && st->bf->codes_signed ? (int)(int8_t)codes[i]
					: st->qi && st->qi->is_signed ? (int)(int8_t)codes[i] : (int)codes[i]);
		double v = st->is_stored ? (double)sd->y[e] : (double)vals[i];
		char ix[24];
		snprintf(ix, sizeof ix, "%lld", (long long)(flatb ? e : e % last));
		if (q) {
			char xs[24], vs[24];
			ql_fmt_fit((double)q->x[e], nw, xs, sizeof xs);
			ql_fmt_fit(v, nw, vs, sizeof vs);
			snprintf(line, sizeof line, "%-*s %*s %4s %*s %8.1e", iw, ix, nw, xs, code, nw, vs,
				 v - (double)q->x[e]);
		} else {
			snprintf(line, sizeof line, "%-*s %4s %14.8g", iw, ix, code, v);
		}
		ql_put(th, w, y + rr, 2 + cc * colw, lw, QL_R_NORMAL, line);
	}
	if (clipped)
		ql_put(th, w, h - 1, 2, cols - 3, QL_R_DIM, "(more values than rows: a taller window shows them all)");
}

const ql_screen_ops ql_screen_blocks = {
	.name = "blocks",
	.title = "Blocks",
	.scope = QL_SC_BLOCKS,
	.min_lines = 20,
	.min_cols = 70,
	.open = blocks_open,
	.close = blocks_close,
	.action = blocks_action,
	.draw = blocks_draw,
	.tick = blocks_tick,
};
