/* test_tui_views.c — the inspector's views of a quantized tensor on the
 * virtual terminal (tui.h): the cells view against `qlens quantize -o`,
 * the blocks view against a GGUF's stored blocks and the Python port of
 * ggml's dequantizer (tests/golden/readers, gen_readers.py) and against
 * NAME.blocks, the comparison screen against `qlens compare --json`, and
 * export (byte-identical to `qlens quantize -o`, replace only after y; a
 * name's '/' does not leave the input's folder).
 * Inputs as in test_tui_inspect.c; helpers in tui_inspect_util.h.
 */
#include "tui_inspect_util.h"

static void test_cells_vs_quantize(void **state)
{
	(void)state;
	const char *name = "model.layers.0.mlp.down_proj.weight";
	static const char *const schemes[][6] = {
		{"int4/g32", "--dtype", "int4", "--group", "32", NULL},
		{"uint8/ch", "--dtype", "uint8", "--axis", "0", NULL},
		{"q4_0", "--dtype", "q4_0", NULL, NULL, NULL},
	};
	for (size_t k = 0; k < 3; k++) {
		char out[600];
		snprintf(out, sizeof out, "%s/cells_%zu.safetensors", state_dir, k);
		char *argv[16];
		int n = 0;
		argv[n++] = "quantize";
		argv[n++] = model;
		argv[n++] = "--tensor";
		argv[n++] = (char *)name;
		for (int j = 1; j < 6 && schemes[k][j]; j++)
			argv[n++] = (char *)schemes[k][j];
		argv[n++] = "-o";
		argv[n++] = out;
		argv[n] = NULL;
		assert_int_equal(run_cli(n, argv), 0);
		char qname[300], sname[300];
		snprintf(qname, sizeof qname, "%s.q", name);
		snprintf(sname, sizeof sname, "%s.scale", name);
		ql_tensor qd, sd;
		void *codes = read_tensor(out, qname, &qd);
		float *scales = read_tensor(out, sname, &sd);
		assert_int_equal(qd.nelem, 32 * 96);

		char *args[] = {model, "--tensor", (char *)name, "--scheme", (char *)schemes[k][0], NULL};
		ql_tui *t = open_args(24, 80, "cells", 5, args);
		wait_ready(t, "Quantizing");
		static const int at[][2] = {{0, 0}, {0, 31}, {0, 32}, {5, 7}, {20, 63}, {31, 95}, {17, 64}};
		for (size_t c = 0; c < sizeof at / sizeof at[0]; c++) {
			char go[32], want[128];
			snprintf(go, sizeof go, "i%d,%d\r", at[c][0], at[c][1]);
			keys(t, go);
			int64_t i = at[c][0] * 96 + at[c][1];
			int code = qd.dtype == QL_DT_I8 ? ((const int8_t *)codes)[i] : ((const uint8_t *)codes)[i];
			snprintf(want, sizeof want, "[%d, %d]  original ", at[c][0], at[c][1]);
			expect_text(t, want);
			snprintf(want, sizeof want, "  code %d  dequantized", code);
			expect_text(t, want);
			/* its scale: per group of 32 in a row, per row, per block */
			int64_t si = k == 1 ? at[c][0] : at[c][0] * 3 + at[c][1] / 32;
			snprintf(want, sizeof want, "scale %.6g", (double)scales[si]);
			expect_text(t, want);
		}
		ql_tui_close(t);
		free(codes);
		free(scales);
	}
}

/* v cycles what the cells show, H shades them, E goes to the largest
 * error, a NaN tensor is refused with its first index. */
static void test_cells_keys(void **state)
{
	(void)state;
	char *args[] = {model, "--tensor", "model.layers.2.mlp.down_proj.weight", "--scheme", "int8", NULL};
	ql_tui *t = open_args(24, 80, "cells", 5, args);
	wait_ready(t, "Quantizing");
	expect_text(t, "showing code");
	key(t, 'v');
	expect_text(t, "showing dequantized");
	key(t, 'v');
	expect_text(t, "showing error");
	key(t, 'v');
	expect_text(t, "showing original");
	key(t, 'E');
	/* the header names the largest error's index; the cursor is there */
	const char *r1 = row(t, 2);
	const char *at = strstr(r1, " at [");
	assert_non_null(at);
	char idx[32];
	assert_int_equal(sscanf(at, " at %31[^]]", idx), 1);
	strcat(idx, "]  original");
	expect_text(t, idx);
	key(t, 'H');
	expect_text(t, "█");
	expect_no_text(t, "showing code"); /* still the originals, shaded */
	key(t, 'H');
	ql_tui_close(t);
	/* NaN and inf: refused as the command refuses, first index named */
	char *bad[] = {model, "--tensor", "lm_head.weight", "--scheme", "int4/g32", NULL};
	t = open_args(24, 80, "cells", 5, bad);
	wait_ready(t, "Quantizing");
	expect_text(t, "Cannot quantize lm_head.weight: 3 values are not finite");
	expect_text(t, "the first at index");
	expect_text(t, "21: nan");
	ql_tui_close(t);
}

/* The cells are whole numbers: each one read back from the 80x24 grid is
 * the tensor's value (or `quantize --dequant`'s), with fewer digits where
 * an exponent needs them ("-9.481e-38" was drawn into 9 columns as
 * "-9.481e-3"). */
static void test_cells_numbers_whole(void **state)
{
	(void)state;
	char digits[600], out[600];
	snprintf(digits, sizeof digits, "%s/../../../assets/models/digits/model.safetensors", tstats_dir);
	snprintf(out, sizeof out, "%s/fc1_int8.safetensors", state_dir);
	char *argv[] = {"quantize", digits, "--tensor", "fc1.weight", "--dtype", "int8", "--dequant", "-o", out, NULL};
	assert_int_equal(run_cli(9, argv), 0);
	ql_tensor xd, dd;
	float *x = read_tensor(digits, "fc1.weight", &xd);
	float *deq = read_tensor(out, "fc1.weight.dequant", &dd);
	int64_t ncol = xd.shape[1];
	char *args[] = {digits, "--tensor", "fc1.weight", "--scheme", "int8", NULL};
	ql_tui *t = open_args(24, 80, "cells", 5, args);
	wait_ready(t, "Quantizing");
	for (int mode = 0; mode < 2; mode++) {
		keys(t, mode == 0 ? "vvv" : "vv"); /* original, then dequantized */
		expect_text(t, mode == 0 ? "showing original" : "showing dequantized");
		const float *want = mode == 0 ? x : deq;
		int cols[16], nc = 0, seen = 0;
		char line[4096];
		snprintf(line, sizeof line, "%s", row(t, 3));
		for (char *p = strtok(line, " "); p && nc < 16; p = strtok(NULL, " "))
			cols[nc++] = atoi(p);
		assert_true(nc >= 6);
		for (int y = 4; y < LINES && strstr(row(t, y), "original") == NULL; y++) {
			snprintf(line, sizeof line, "%s", row(t, y));
			char *tok[20];
			int n = 0;
			for (char *p = strtok(line, " "); p && n < 20; p = strtok(NULL, " "))
				tok[n++] = p;
			if (n == 0)
				break;
			assert_int_equal(n, nc + 1);
			int r = atoi(tok[0]);
			for (int c = 0; c < nc; c++) {
				char *end;
				double v = strtod(tok[1 + c], &end);
				double w = want[r * ncol + cols[c]];
				if (*end || fabs(v - w) > 0.051 * fabs(w)) {
					dump(t);
					fail_msg("cell [%d, %d] shows %s for %.9g", r, cols[c], tok[1 + c], w);
				}
				seen++;
			}
		}
		assert_true(seen >= 6 * 10);
	}
	ql_tui_close(t);
	free(x);
	free(deq);
}

/* A 3-D tensor: any two axes as the grid (a), any slice (i), the cursor's
 * element kept across. */
static void test_cells_axes(void **state)
{
	(void)state;
	char path[600];
	snprintf(path, sizeof path, "%s/cube.npy", tstats_dir);
	char *args[] = {path, "--scheme", "int8", NULL};
	ql_tui *t = open_args(24, 80, "cells", 3, args);
	wait_ready(t, "Quantizing");
	expect_text(t, "5 x 7: [0, rows, cols]");
	keys(t, "i2,4,6\r");
	expect_text(t, "[2, 4, 6]  original");
	expect_text(t, "5 x 7: [2, rows, cols]");
	key(t, 'a');
	expect_text(t, "3 x 5: [rows, cols, 6]");
	expect_text(t, "[2, 4, 6]  original");
	key(t, 'a');
	expect_text(t, "3 x 7: [rows, 4, cols]");
	expect_text(t, "[2, 4, 6]  original");
	key(t, KEY_UP);
	expect_text(t, "[1, 4, 6]  original");
	key(t, 'a');
	expect_text(t, "5 x 7: [1, rows, cols]");
	keys(t, "i9,9\r");
	expect_text(t, "outside the 5x7 slice");
	ql_tui_close(t);
	/* a 2-D tensor: a says why it changes nothing (it did nothing, silently) */
	char digits[600];
	snprintf(digits, sizeof digits, "%s/../../../assets/models/digits/model.safetensors", tstats_dir);
	char *args2[] = {digits, "--tensor", "fc1.weight", "--scheme", "int8", NULL};
	t = open_args(24, 80, "cells", 5, args2);
	wait_ready(t, "Quantizing");
	key(t, 'a');
	expect_text(t, "a: this tensor has 2 axes, all shown");
	expect_text(t, "rows x columns");
	ql_tui_close(t);
}

/* The stored blocks of a GGUF's Q4_0 and Q8_0 tensors decode to what the
 * Python port of ggml's dequantizer gives (gguf_expect/, gen_readers.py),
 * and their bytes are the file's. */
static void test_blocks_stored_gguf(void **state)
{
	(void)state;
	char gguf[600];
	snprintf(gguf, sizeof gguf, "%s/../readers/tiny_v3.gguf", tstats_dir);
	static const char *const names[] = {"blk.0.ffn_down.weight", "blk.0.ffn_up.weight"};
	static const char *const kinds[] = {"q4_0", "q8_0"};
	for (int k = 0; k < 2; k++) {
		char exp_path[600];
		snprintf(exp_path, sizeof exp_path, "%s/../readers/gguf_expect/%s.npy", tstats_dir, names[k]);
		ql_tensor rd;
		ql_error err = {{0}};
		ql_source *src = NULL;
		float *exp = NULL;
		assert_int_equal(ql_source_open(exp_path, NULL, &src, &err), 0);
		assert_int_equal(ql_source_read_f32(src, 0, &exp, &err), 0);
		ql_source_close(src);
		uint8_t *raw = read_tensor(gguf, names[k], &rd);
		int bbytes = k == 0 ? 18 : 34;
		char *args[] = {gguf, "--tensor", (char *)names[k], NULL};
		ql_tui *t = open_args(50, 160, "blocks", 3, args);
		wait_ready(t, "Reading the blocks");
		expect_text(t, "stored in the file as");
		expect_text(t, kinds[k]);
		for (int b = 0; b < 8; b += 3) {
			char go[16];
			snprintf(go, sizeof go, "i%d\r", b);
			keys(t, go);
			char want_line[128];
			snprintf(want_line, sizeof want_line, "block %d of 8: elements %d..%d", b, b * 32, b * 32 + 31);
			expect_text(t, want_line);
			/* the first 16 bytes, as the file holds them */
			char hex[80];
			int n = 0;
			for (int i = 0; i < 16; i++)
				n += snprintf(hex + n, sizeof hex - (size_t)n, "%02x%s", raw[b * bbytes + i],
					      i == 15 ? "" : i == 7 ? "  " : " ");
			expect_text(t, hex);
			/* d as fp16 bits */
			snprintf(want_line, sizeof want_line, "0x%02x%02x = ", raw[b * bbytes + 1], raw[b * bbytes]);
			expect_text(t, want_line);
			/* every decoded value, as the reference gives it */
			for (int i = 0; i < 32; i++) {
				int64_t e = b * 32 + i;
				char v[64];
				snprintf(v, sizeof v, " %.8g", (double)exp[e]);
				int found = 0;
				for (int y = 0; y < LINES && !found; y++) {
					char pat[96];
					snprintf(pat, sizeof pat, "%lld ", (long long)(e % 64));
					const char *r = row(t, y);
					for (const char *p = r; (p = strstr(p, pat)); p++)
						if ((p == r || p[-1] == ' ') && strstr(p, v) && strstr(p, v) - p < 30) {
							found = 1;
							break;
						}
				}
				if (!found) {
					dump(t);
					fail_msg("%s block %d: no value %s for column %lld", names[k], b, v, (long long)(e % 64));
				}
			}
		}
		ql_tui_close(t);
		free(raw);
		free(exp);
	}
}

/* Quantized blocks: q4_0, q8_0, nf4 and mxfp4 results beside the originals;
 * the raw bytes are those `qlens quantize -o` writes in NAME.blocks. */
static void test_blocks_quantized(void **state)
{
	(void)state;
	const char *name = "model.layers.1.mlp.down_proj.weight";
	static const char *const kinds[] = {"q4_0", "q8_0", "nf4", "mxfp4", "mxint8"};
	static const int bytes[] = {18, 34, 32, 17, 33};
	for (int k = 0; k < 5; k++) {
		char out[600];
		snprintf(out, sizeof out, "%s/blocks_%d.safetensors", state_dir, k);
		char *argv[] = {"quantize", model, "--tensor", (char *)name, "--dtype", (char *)kinds[k], "-o", out, NULL};
		assert_int_equal(run_cli(8, argv), 0);
		char bname[300];
		snprintf(bname, sizeof bname, "%s.blocks", name);
		ql_tensor bd;
		uint8_t *blocks = read_tensor(out, bname, &bd);
		char *args[] = {model, "--tensor", (char *)name, "--scheme", (char *)kinds[k], NULL};
		ql_tui *t = open_args(50, 160, "blocks", 5, args);
		wait_ready(t, "Quantizing");
		expect_text(t, "quantized with");
		key(t, KEY_RIGHT);
		key(t, KEY_RIGHT); /* block 2 */
		expect_text(t, "block 2 of");
		char hex[80];
		int n = 0;
		for (int i = 0; i < 16; i++)
			n += snprintf(hex + n, sizeof hex - (size_t)n, "%02x%s", blocks[2 * bytes[k] + i],
				      i == 15 ? "" : i == 7 ? "  " : " ");
		expect_text(t, hex);
		expect_text(t, "original code   decoded    error");
		ql_tui_close(t);
		free(blocks);
	}
	/* a scheme without blocks says so and stays where it was */
	char *args[] = {model, "--tensor", (char *)name, "--scheme", "int8", NULL};
	ql_error err = {{0}};
	assert_null(ql_tui_open_virtual_args("xterm-256color", 24, 80, "blocks", 5, args, &err));
	assert_non_null(strstr(err.msg, "int8 has no blocks"));
}

/* Every number of the blocks view's values is whole at 80x24: each column
 * of "index original code decoded error" read back from the screen is the
 * element's index, its value, its dequantized value (`qlens quantize
 * --dequant`) and their difference, on a tensor whose values reach
 * -9.5e-38 (10 characters in %.4g) and whose columns need 5 digits (the
 * numbers were once drawn one character wider than their column:
 * "-1.6e-02" read "-1.6e-0", "-9.481e-38" "-9.481e-3"). */
static void check_value_columns(ql_tui *t, const float *x, const float *deq, int64_t last, const char *what)
{
	int hy = find_row(t, 0, " error");
	assert_true(hy > 0);
	const char *br = row(t, find_row(t, 0, "block "));
	long long e0 = -1, e1 = -1, brow = 0;
	const char *el = strstr(br, "elements ");
	assert_non_null(el);
	assert_int_equal(sscanf(el, "elements %lld..%lld", &e0, &e1), 2);
	bool flat = strstr(br, "flattened") != NULL;
	if (!flat)
		assert_int_equal(sscanf(strstr(br, "(row "), "(row %lld", &brow), 1);
	int seen = 0;
	for (int y = hy + 1; y < LINES - 1; y++) {
		char line[4096];
		snprintf(line, sizeof line, "%s", row(t, y));
		char *tok[64];
		int n = 0;
		for (char *p = strtok(line, " "); p && n < 64; p = strtok(NULL, " "))
			tok[n++] = p;
		if (n == 0 || tok[0][0] == '(')
			break;
		if (n % 5) {
			dump(t);
			fail_msg("%s: row %d is not groups of index, original, code, decoded, error", what, y);
		}
		for (int g = 0; g < n; g += 5) {
			char *end;
			long long idx = strtoll(tok[g], &end, 10);
			assert_true(*end == '\0');
			long long e = flat ? idx : brow * last + idx;
			if (e < e0 || e > e1) {
				dump(t);
				fail_msg("%s: index %s outside the block", what, tok[g]);
			}
			double v[3];
			const int at[3] = {1, 3, 4};
			for (int k = 0; k < 3; k++) {
				v[k] = strtod(tok[g + at[k]], &end);
				if (*end) {
					dump(t);
					fail_msg("%s: '%s' is not a whole number", what, tok[g + at[k]]);
				}
			}
			double want[3] = {x[e], deq[e], (double)deq[e] - (double)x[e]};
			const double tol[3] = {0.051, 0.051, 0.051}; /* 2 digits at least */
			for (int k = 0; k < 3; k++)
				if (fabs(v[k] - want[k]) > tol[k] * fabs(want[k])) {
					dump(t);
					fail_msg("%s: element %lld shows %s for %.9g", what, e, tok[g + at[k]], want[k]);
				}
			seen++;
		}
	}
	if (seen < 16) {
		dump(t);
		fail_msg("%s: only %d values read", what, seen);
	}
}

static void test_blocks_numbers_whole(void **state)
{
	(void)state;
	enum { ROWS = 2, COLS = 12288 };
	static float x[ROWS * COLS];
	for (int i = 0; i < ROWS * COLS; i++) {
		float v = (float)((i * 7919) % 2001 - 1000) / 1000.0f; /* -1 .. 1 */
		x[i] = i % 9 == 0 ? -9.481e-38f * (float)(1 + i % 4) : i % 9 == 4 ? -5.651e-21f : i % 9 == 7 ? v * 500 : v;
	}
	char path[600];
	snprintf(path, sizeof path, "%s/wide.safetensors", state_dir);
	ql_writer *wr = NULL;
	ql_error err = {{0}};
	const int64_t shape[2] = {ROWS, COLS};
	assert_int_equal(ql_writer_open(path, true, &wr, &err), 0);
	assert_int_equal(ql_writer_add(wr, "wide", QL_DT_F32, shape, 2, x, &err), 0);
	assert_int_equal(ql_writer_close(wr, &err), 0);
	static const char *const kinds[] = {"q4_0", "q8_0", "mxfp4", "nf4"};
	for (int k = 0; k < 4; k++) {
		char out[700];
		snprintf(out, sizeof out, "%s/wide_%s.safetensors", state_dir, kinds[k]);
		char *argv[] = {"quantize", path, "--dtype", (char *)kinds[k], "--dequant", "-o", out, NULL};
		assert_int_equal(run_cli(7, argv), 0);
		ql_tensor dd;
		float *deq = read_tensor(out, "wide.dequant", &dd);
		assert_int_equal(dd.nelem, ROWS * COLS);
		char *args[] = {path, "--tensor", "wide", "--scheme", (char *)kinds[k], NULL};
		ql_tui *t = open_args(24, 80, "blocks", 5, args);
		wait_ready(t, "Quantizing");
		char what[64];
		snprintf(what, sizeof what, "%s block 0", kinds[k]);
		check_value_columns(t, x, deq, COLS, what);
		keys(t, "i380\r"); /* columns 5 digits wide (NF4: flat elements) */
		snprintf(what, sizeof what, "%s block 380", kinds[k]);
		check_value_columns(t, x, deq, COLS, what);
		ql_tui_close(t);
		free(deq);
	}
}

/* At 80x24 the views' text is whole or ends at a word with an ellipsis,
 * never mid-word: the cells view's figures with the largest error's index
 * (they once ended at "max |err| 0.00246 at [43,"), its footer over the
 * last two rows, an empty tensor's "no error" (not "max |err| 0 at"), the
 * blocks view's field notes, the comparison's and the explorer's headers. */
static void test_views_text_fits(void **state)
{
	(void)state;
	char digits[600];
	snprintf(digits, sizeof digits, "%s/../../../assets/models/digits/model.safetensors", tstats_dir);
	char *args[] = {digits, "--tensor", "fc1.weight", "--scheme", "int8", NULL};
	ql_tui *t = open_args(24, 80, "cells", 5, args);
	wait_ready(t, "Quantizing");
	for (int k = 0; k < 4; k++, key(t, 'v')) {
		const char *r = row(t, 2);
		const char *at = strstr(r, "max |err| ");
		int a, b;
		char end = 0;
		if (!at || sscanf(strstr(at, " at [") ? strstr(at, " at [") : "", " at [%d, %d%c", &a, &b, &end) != 3 ||
		    end != ']') {
			dump(t);
			fail_msg("the largest error's index is not whole");
		}
	}
	expect_text(t, "fc1.weight · int8 · showing code");
	ql_tui_close(t);
	/* a 3-D slice: the footer goes on to the last row */
	char cube[600];
	snprintf(cube, sizeof cube, "%s/cube.npy", tstats_dir);
	char *cargs[] = {cube, "--scheme", "int4/g32", NULL};
	t = open_args(24, 80, "cells", 3, cargs);
	wait_ready(t, "Quantizing");
	int y = find_row(t, 0, "5 x 7: [0, rows, cols]");
	assert_true(y > 0);
	assert_non_null(strstr(two_rows(t, y), "5 x 7: [0, rows, cols] (a: other axes, i: another slice); "
						  "marked: the cursor's group"));
	ql_tui_close(t);
	/* an empty tensor has no error to show */
	char empty[600];
	snprintf(empty, sizeof empty, "%s/empty.safetensors", state_dir);
	ql_writer *wr = NULL;
	ql_error err = {{0}};
	const int64_t shape[2] = {0, 4};
	static const float none[1];
	assert_int_equal(ql_writer_open(empty, true, &wr, &err), 0);
	assert_int_equal(ql_writer_add(wr, "empty", QL_DT_F32, shape, 2, none, &err), 0);
	assert_int_equal(ql_writer_close(wr, &err), 0);
	char *eargs[] = {empty, "--tensor", "empty", NULL};
	t = open_args(24, 80, "cells", 3, eargs);
	wait_ready(t, "Quantizing");
	expect_text(t, "The tensor is empty.");
	expect_text(t, "no values, so no error");
	expect_no_text(t, "max |err|");
	ql_tui_close(t);
	/* the blocks view's fields: their notes end at a word */
	char *bargs[] = {digits, "--tensor", "fc1.weight", "--scheme", "q4_0", NULL};
	t = open_args(24, 80, "blocks", 5, bargs);
	wait_ready(t, "Quantizing");
	y = find_row(t, 0, "scale: (value of");
	assert_true(y > 0);
	expect_fitted(t, y, "scale: (value of largest magnitude) / -8", "…");
	ql_tui_close(t);
	/* the comparison's header: what SQNR stands for only where it fits */
	char *pargs[] = {digits, "--tensor", "fc1.weight", NULL};
	t = open_args(24, 80, "compare", 3, pargs);
	wait_ready(t, "Quantizing with each scheme");
	expect_fitted(t, 1, "fc1.weight · 11 schemes: bits per weight against SQNR", "…");
	expect_no_text(t, "(signal to");
	/* the explorer from it: the tensor's name and size before the cursor's
	 * readout on its top line */
	key(t, '\r');
	if (strstr(row(t, 0), "Quantize a tensor")) {
		for (int i = 0; i < 500 && !strstr(row(t, 1), "values "); i++)
			ql_tui_idle(t, 10);
		expect_fitted(t, 1, "fc1.weight [128x64] 8192 values", "…");
		expect_text(t, "8192 values ");
	}
	ql_tui_close(t);
}

/* The comparison screen: each scheme's bits per weight and SQNR as
 * `qlens compare` prints them, in its order (by bits per weight), a point
 * per scheme, Enter to its cells. */
static void test_compare_screen(void **state)
{
	(void)state;
	const char *name = "model.embed_tokens.weight";
	char *args[] = {model, "--tensor", (char *)name, "--schemes", "int8,int4/g32,q4_0,nf4", NULL};
	ql_tui *t = open_args(24, 80, "compare", 5, args);
	wait_ready(t, "Quantizing with each scheme");
	/* the command's own numbers and order, for the same schemes */
	char *obuf = NULL;
	size_t olen = 0;
	FILE *out = open_memstream(&obuf, &olen), *err = fopen("/dev/null", "w");
	ql_cmd_ctx ctx = {.out = out, .err = err};
	char *argv[] = {"compare", model, "--tensor", (char *)name, "--schemes", "int8,int4/g32,q4_0,nf4", "--json", NULL};
	assert_int_equal(ql_command_run(&ctx, 7, argv), 0);
	fclose(out);
	fclose(err);
	int g32 = -1;
	const char *p = obuf;
	for (int i = 0; i < 4; i++) {
		/* "scheme": "int4/g32" ... "bits_per_weight": B ... "sqnr_db": S */
		p = strstr(p, "\"scheme\"");
		assert_non_null(p);
		char word[32];
		assert_int_equal(sscanf(strchr(p + 8, '"') + 1, "%31[^\"]", word), 1);
		const char *b = strstr(p, "bits_per_weight");
		const char *s = strstr(p, "sqnr_db");
		assert_non_null(b);
		assert_non_null(s);
		double bpw = strtod(strpbrk(b, "-0123456789"), NULL), sq = strtod(strpbrk(s, "-0123456789"), NULL);
		char want[96];
		snprintf(want, sizeof want, "%2d %-18s", i + 1, word);
		int y = find_row(t, 0, want);
		if (y <= 0) {
			dump(t);
			fail_msg("%s is not row %d, as in qlens compare", word, i + 1);
		}
		snprintf(want, sizeof want, " %8.3f ", bpw);
		if (!strstr(row(t, y), want)) {
			dump(t);
			fail_msg("%s: no bits per weight '%s'", word, want);
		}
		snprintf(want, sizeof want, " %8.2f ", sq);
		if (!strstr(row(t, y), want)) {
			dump(t);
			fail_msg("%s: no SQNR '%s'", word, want);
		}
		if (!strcmp(word, "int4/g32"))
			g32 = i;
		p = s;
	}
	free(obuf);
	assert_true(g32 >= 0);
	expect_text(t, "SQNR dB (up) against bits per weight");
	for (int i = 0; i < g32; i++)
		key(t, KEY_DOWN);
	key(t, '\r');
	/* the quantization explorer where the program has it (merged with
	 * issue 10's screen: tested there), else the cells view */
	if (strstr(row(t, 0), "Quantize a tensor")) {
		expect_text(t, "--dtype int4");
		expect_text(t, "--group 32");
	} else {
		expect_text(t, "Cells");
		expect_text(t, "int4/g32");
	}
	ql_tui_close(t);
}

/* The column of byte `at` of a row (its glyphs one column each). */
static int col_at(const char *r, const char *at)
{
	int c = 0;
	for (const char *q = r; q < at; q++)
		c += ((unsigned char)*q & 0xC0) != 0x80;
	return c;
}

/* The plot of the default schemes on the digits model's fc1.weight, 80x24:
 * the rows by bits per weight (the higher SQNR first among equals), every
 * scheme's number on the plot though six of the nine share their bits with
 * another, and each whole bit's number under its tick, where that many
 * bits plot: int8's 8.004 at the 8, q8_0's 8.5 halfway to the 9 (the "9"
 * of "9 bits" once sat where 8.6 plots). */
static void test_compare_plot(void **state)
{
	(void)state;
	char digits[600];
	snprintf(digits, sizeof digits, "%s/../../../assets/models/digits/model.safetensors", tstats_dir);
	char *args[] = {digits, "--tensor", "fc1.weight", NULL};
	ql_tui *t = open_args(24, 80, "compare", 3, args);
	wait_ready(t, "Quantizing with each scheme");
	double bpw[10], sq[10];
	int n = 0;
	for (int y = 0; y < LINES && n < 10; y++) {
		char word[32];
		int k;
		const char *r = row(t, y);
		if (sscanf(r + 1, "%d %31s %lf", &k, word, &bpw[n]) == 3 && k == n + 1) {
			const char *bar = strstr(r, "█");
			assert_non_null(bar);
			assert_int_equal(sscanf(bar + strspn(bar, "█ "), "%lf", &sq[n]), 1);
			if (n > 0 && (bpw[n] < bpw[n - 1] || (bpw[n] == bpw[n - 1] && sq[n] > sq[n - 1]))) {
				dump(t);
				fail_msg("row %d is out of order", n + 1);
			}
			n++;
		}
	}
	assert_int_equal(n, 9);
	int ty = find_row(t, 0, "SQNR dB (up)"), ay = find_row(t, ty, "┴");
	assert_true(ty > 0 && ay > ty);
	assert_non_null(strstr(row(t, ay + 1), "bits/w"));
	/* ticks and their numbers */
	int tick[64];
	for (int b = 0; b < 64; b++)
		tick[b] = -1;
	char axis[4096], labels[4096];
	snprintf(axis, sizeof axis, "%s", row(t, ay));
	snprintf(labels, sizeof labels, "%s", row(t, ay + 1));
	for (const char *q = labels + strlen("bits/w") + 1; *q; q++)
		if (*q >= '0' && *q <= '9' && q[-1] == ' ') {
			int b = atoi(q), c = col_at(labels, q);
			const char *a = axis;
			for (int cc = 0; cc < c && *a; cc++)
				a += ((unsigned char)*a < 0x80) ? 1 : ((unsigned char)*a >> 5) == 6 ? 2 : 3;
			if (strncmp(a, "┴", strlen("┴")) != 0) {
				dump(t);
				fail_msg("no tick above the %d", b);
			}
			assert_true(b < 64);
			tick[b] = c;
		}
	assert_true(tick[8] > 0 && tick[9] > tick[8]);
	/* every number on the plot once: labels of one or more numbers
	 * ("2,3,4" where they share a spot), each starting where its first
	 * scheme's bits plot, its others there too */
	int seen[10] = {0};
	for (int y = ty + 1; y < ay; y++) {
		char r[4096];
		snprintf(r, sizeof r, "%s", row(t, y));
		for (char *q = strstr(r, "│") + strlen("│"), *tok; (tok = strtok(q, " ")); q = NULL) {
			int c = col_at(r, tok);
			char *end = tok;
			double first = -1;
			while (*end) {
				int k = (int)strtol(end, &end, 10);
				assert_true(k >= 1 && k <= 9);
				if (seen[k]++) {
					dump(t);
					fail_msg("%d twice on the plot", k);
				}
				double b = bpw[k - 1];
				int b0 = (int)floor(b);
				assert_true(tick[b0] > 0 && tick[b0 + 1] > 0);
				double want = tick[b0] + (b - b0) * (tick[b0 + 1] - tick[b0]);
				if (first < 0)
					first = want;
				if (fabs(c - want) > 1 || fabs(want - first) > 1) {
					dump(t);
					fail_msg("scheme %d (%.3f bits) at column %d, not %.1f", k, b, c, want);
				}
				if (*end == ',')
					end++;
			}
		}
	}
	for (int k = 1; k <= 9; k++)
		if (!seen[k]) {
			dump(t);
			fail_msg("scheme %d is not on the plot", k);
		}
	ql_tui_close(t);
}

/* w writes what `qlens quantize -o` writes, byte for byte; an existing file
 * is replaced only after "y". */
static void test_export(void **state)
{
	(void)state;
	const char *name = "model.layers.0.self_attn.q_proj.weight";
	char mine[600], theirs[600];
	snprintf(mine, sizeof mine, "%s/exported.safetensors", state_dir);
	snprintf(theirs, sizeof theirs, "%s/command.safetensors", state_dir);
	char *argv[] = {"quantize", model, "--tensor", (char *)name, "--dtype", "int4", "--group", "32", "--asym",
			"-o", theirs, NULL};
	assert_int_equal(run_cli(11, argv), 0);
	char *args[] = {model, "--tensor", (char *)name, "--scheme", "int4/g32/asym", NULL};
	ql_tui *t = open_args(24, 80, "cells", 5, args);
	wait_ready(t, "Quantizing");
	key(t, 'w');
	expect_text(t, "write to: ");
	expect_text(t, "q_proj.weight_int4_asym_g32.safetensors"); /* the proposal */
	key(t, 21); /* Ctrl-U: clear it */
	keys(t, mine);
	key(t, '\r');
	expect_text(t, "wrote ");
	size_t na, nb;
	FILE *fa = fopen(mine, "rb"), *fb = fopen(theirs, "rb");
	assert_non_null(fa);
	assert_non_null(fb);
	static char a[1 << 16], b[1 << 16];
	na = fread(a, 1, sizeof a, fa);
	nb = fread(b, 1, sizeof b, fb);
	fclose(fa);
	fclose(fb);
	assert_true(na > 1000);
	assert_int_equal(na, nb);
	assert_memory_equal(a, b, na);
	/* again: asked first; n leaves it, y replaces it */
	truncate(mine, 10);
	key(t, 'w');
	key(t, 21);
	keys(t, mine);
	key(t, '\r');
	expect_text(t, "replace it? (y/n)");
	key(t, 'n'); /* one key answers: it needed Enter after it */
	expect_text(t, "not written");
	struct stat sb;
	assert_int_equal(stat(mine, &sb), 0);
	assert_int_equal(sb.st_size, 10);
	key(t, 'w');
	key(t, 21);
	keys(t, mine);
	keys(t, "\ry");
	expect_text(t, "wrote ");
	assert_int_equal(stat(mine, &sb), 0);
	assert_int_equal((size_t)sb.st_size, nb);
	ql_tui_close(t);
}

/* A tensor name with '/' (TensorFlow's, JAX's "params/dense/kernel") or
 * "../": the proposal stays beside the input, the name's '/' made '_'.
 * It was "params/dense/kernel_int8.safetensors", in folders that do not
 * exist, and "../up_int8...", one folder up. */
static void test_export_slash_name(void **state)
{
	(void)state;
	static const char *const names[] = {"params/dense/kernel", "../up"};
	static const char *const files[] = {"params_dense_kernel_int8.safetensors",
					    ".._up_int8.safetensors"};
	char in[600], out[700];
	snprintf(in, sizeof in, "%s/slash.safetensors", state_dir);
	float v[64];
	for (int i = 0; i < 64; i++)
		v[i] = (float)i / 7 - 4;
	int64_t shape[] = {2, 32};
	ql_writer *w;
	ql_error err;
	assert_int_equal(ql_writer_open(in, true, &w, &err), 0);
	for (int k = 0; k < 2; k++)
		assert_int_equal(ql_writer_add(w, names[k], QL_DT_F32, shape, 2, v, &err), 0);
	assert_int_equal(ql_writer_close(w, &err), 0);
	for (int k = 0; k < 2; k++) {
		char *args[] = {in, "--tensor", (char *)names[k], "--scheme", "int8", NULL};
		ql_tui *t = open_args(24, 80, "cells", 5, args);
		wait_ready(t, "Quantizing");
		key(t, 'w');
		expect_text(t, files[k]); /* the proposal */
		key(t, '\r');
		expect_text(t, "wrote ");
		snprintf(out, sizeof out, "%s/%s", state_dir, files[k]);
		assert_int_equal(access(out, F_OK), 0);
		ql_tui_close(t);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cells_vs_quantize),
		cmocka_unit_test(test_cells_keys),
		cmocka_unit_test(test_cells_axes),
		cmocka_unit_test(test_cells_numbers_whole),
		cmocka_unit_test(test_blocks_stored_gguf),
		cmocka_unit_test(test_blocks_quantized),
		cmocka_unit_test(test_blocks_numbers_whole),
		cmocka_unit_test(test_views_text_fits),
		cmocka_unit_test(test_compare_screen),
		cmocka_unit_test(test_compare_plot),
		cmocka_unit_test(test_export),
		cmocka_unit_test(test_export_slash_name),
	};
	return cmocka_run_group_tests(tests, setup_env, teardown_env);
}
