/* test_tui_inspect.c — the checkpoint inspector's screens on the virtual
 * terminal (tui.h): the tensor tree, the tensor view, "Open a file"
 * (test_tui_views.c has the cells, blocks and comparison views and export).
 *
 * Inputs: tests/golden/inspect/model.safetensors (gen_inspect.py: a small
 * model named as real checkpoints are, layers 0, 1, 2 and 10, F16/BF16/F32,
 * a tensor with NaN and inf, __metadata__; model.txt lists its tensors) and
 * tests/golden/tstats/ (gen_tstats.py: inputs and NumPy's statistics of
 * them). Environment pinned as in test_tui.c (tui_inspect_util.h).
 */
#include "testutil.h"
#include "tui_inspect_util.h"

/* ---- the tree ------------------------------------------------------------- */

/* Groups by dotted names, totals per group, every tensor listed once. */
static void test_tree_grouping(void **state)
{
	(void)state;
	ql_tui *t = open_file(50, 160, model);
	expect_text(t, "19 tensors");
	expect_text(t, "model");
	int y = find_row(t, 0, "▾ model");
	assert_true(y > 0);
	/* model: 18 tensors, 68.6 KiB of the file's 68.9 */
	assert_non_null(strstr(row(t, y), " 18 "));
	assert_non_null(strstr(row(t, y), "68.6 KiB"));
	assert_non_null(strstr(row(t, y), "F16,BF16,F32"));
	/* layers is closed at first; * opens every group */
	expect_no_text(t, "q_proj.weight");
	key(t, '*');
	/* every tensor of model.txt has its leaf, once per layer */
	char path[600];
	snprintf(path, sizeof path, "%s/../inspect/model.txt", tstats_dir);
	FILE *f = fopen(path, "r");
	assert_non_null(f);
	char line[512], name[256], dt[16], shape[32];
	unsigned long bytes;
	int n = 0;
	while (fgets(line, sizeof line, f) && sscanf(line, "%255s %15s %31s %lu", name, dt, shape, &bytes) == 4) {
		const char *leaf = name + strlen(name);
		int dots = 0;
		while (leaf > name && !(leaf[-1] == '.' && ++dots == 2))
			leaf--;
		char pat[300];
		snprintf(pat, sizeof pat, " %s ", leaf);
		if (find_row(t, 0, pat) < 0) {
			dump(t);
			fail_msg("no row for %s (%s)", name, leaf);
		}
		n++;
	}
	fclose(f);
	assert_int_equal(n, 19);
	assert_int_equal(count_rows(t, " q_proj.weight "), 4);
	assert_int_equal(count_rows(t, " down_proj.weight "), 4);
	/* a layer group: 4 tensors, 15.1 KiB */
	y = find_row(t, 0, "▾ 10 ");
	assert_true(y > 0);
	assert_non_null(strstr(row(t, y), " 4 "));
	assert_non_null(strstr(row(t, y), "15.1 KiB"));
	ql_tui_close(t);
}

/* Layer 2 before layer 10 (numeric), and sorting by size. */
static void test_tree_sort(void **state)
{
	(void)state;
	ql_tui *t = open_file(50, 160, model);
	key(t, '*');
	int y2 = find_row(t, 0, "▾ 2 "), y10 = find_row(t, 0, "▾ 10 "), y1 = find_row(t, 0, "▾ 1 ");
	assert_true(y1 > 0 && y2 > y1 && y10 > y2);
	int mlp = find_row(t, y1, "mlp"), attn = find_row(t, y1, "self_attn");
	assert_true(attn > mlp); /* by name: m < s */
	int ln = find_row(t, y1, "input_layernorm.weight");
	assert_true(ln < mlp); /* a leaf among groups by name: i < m */
	expect_text(t, "sorted by name");
	key(t, 's');
	expect_text(t, "sorted by size");
	y1 = find_row(t, 0, "▾ 1 ");
	/* by size: mlp (12 KiB), self_attn (3 KiB), the norm (128 B) */
	mlp = find_row(t, y1, "mlp");
	attn = find_row(t, y1, "self_attn");
	ln = find_row(t, y1, "input_layernorm.weight");
	assert_true(mlp < attn && attn < ln);
	/* q_proj (2 KiB) before k_proj (1 KiB) by size; k before q by name */
	assert_true(find_row(t, attn, "q_proj") < find_row(t, attn, "k_proj"));
	key(t, 's');
	attn = find_row(t, find_row(t, 0, "▾ 1 "), "self_attn");
	assert_true(find_row(t, attn, "k_proj") < find_row(t, attn, "q_proj"));
	ql_tui_close(t);
}

/* / filters as the text is typed; Enter keeps it, Esc restores the one
 * before. */
static void test_tree_filter(void **state)
{
	(void)state;
	ql_tui *t = open_file(50, 160, model);
	key(t, '/');
	keys(t, "dow");
	/* while typing: only the down_proj tensors, their groups opened */
	assert_int_equal(count_rows(t, " down_proj.weight "), 4);
	expect_no_text(t, "q_proj");
	expect_no_text(t, "lm_head");
	expect_text(t, "filter \"dow\"");
	int y = find_row(t, 0, "▾ model");
	assert_non_null(strstr(row(t, y), " 4 ")); /* 4 of its 18 tensors match */
	keys(t, "n_PROJ"); /* case-insensitive */
	assert_int_equal(count_rows(t, " down_proj.weight "), 4);
	key(t, '\r');
	expect_text(t, "filter \"down_PROJ\"");
	assert_int_equal(count_rows(t, " down_proj.weight "), 4);
	/* no match */
	key(t, '/');
	keys(t, "zzz");
	expect_text(t, "No tensor name contains the filter.");
	key(t, 27); /* Esc: back to "down_PROJ" */
	assert_int_equal(count_rows(t, " down_proj.weight "), 4);
	/* clearing it shows everything again */
	key(t, '/');
	for (int i = 0; i < 9; i++)
		key(t, KEY_BACKSPACE);
	key(t, '\r');
	expect_text(t, "lm_head.weight");
	expect_no_text(t, "filter \"");
	/* and the help says what Esc does (it said "Esc clears") */
	key(t, '?');
	expect_text(t, "Enter keeps it, Esc puts the one before back");
	ql_tui_close(t);
}

/* Enter opens and closes groups; Left goes to the parent; the metadata is
 * beside the tree at 160 columns and on m. */
static void test_tree_keys_and_meta(void **state)
{
	(void)state;
	ql_tui *t = open_file(24, 80, model);
	expect_no_text(t, "Metadata"); /* no side pane at 80 columns */
	/* rows: lm_head.weight, model (open), embed_tokens, layers, norm */
	key(t, KEY_DOWN);
	key(t, KEY_DOWN);
	key(t, KEY_DOWN); /* layers */
	expect_text(t, "row 4 of 5");
	key(t, '\r');
	expect_text(t, "row 4 of 9");
	key(t, KEY_DOWN);
	key(t, KEY_LEFT); /* on "0", closed: to its parent */
	expect_text(t, "row 4 of 9");
	key(t, KEY_LEFT); /* closes layers */
	expect_text(t, "row 4 of 5");
	key(t, 'm');
	expect_text(t, "model_type = qlens-test");
	expect_text(t, "format = pt");
	key(t, 'q');
	expect_text(t, "row 4 of 5");
	ql_tui_close(t);
	t = open_file(50, 160, model);
	expect_text(t, "Metadata");
	expect_text(t, "model_type = qlens-test");
	ql_tui_close(t);
}

/* A number before the last part is a group too: a sharded checkpoint's
 * "model.layers.0.w" is model > layers > 0 > w; every shard's tensors in one
 * tree. */
static void test_tree_shards(void **state)
{
	(void)state;
	char path[600];
	snprintf(path, sizeof path, "%s/../readers/sharded/model.safetensors.index.json", tstats_dir);
	ql_tui *t = open_file(24, 80, path);
	expect_text(t, "4 tensors");
	expect_text(t, "safetensors-sharded");
	key(t, '*');
	int y0 = find_row(t, 0, "- 0 ");
	if (y0 < 0)
		y0 = find_row(t, 0, "▾ 0 ");
	assert_true(y0 > 0);
	assert_non_null(strstr(row(t, y0 + 1), " w "));
	expect_text(t, "lm_head.weight");
	expect_text(t, "embed_tokens.weight");
	ql_tui_close(t);
}

/* ---- the tensor view -------------------------------------------------- */

static const char *golden_stat(const char *name, const char *key_)
{
	static char val[128];
	char path[600], line[512], c[64], k[64];
	snprintf(path, sizeof path, "%s/tstats.txt", tstats_dir);
	FILE *f = fopen(path, "r");
	assert_non_null(f);
	while (fgets(line, sizeof line, f))
		if (sscanf(line, "%63s %63s %127s", c, k, val) == 3 && !strcmp(c, name) && !strcmp(k, key_)) {
			fclose(f);
			return val;
		}
	fclose(f);
	fail_msg("no golden %s %s", name, key_);
	return "";
}

/* The label's value on screen, as the screen prints it (%.6g of NumPy's). */
static void expect_stat(ql_tui *t, const char *name, const char *label, const char *key_)
{
	char want[64], pat[128];
	snprintf(want, sizeof want, "%.6g", strtod(golden_stat(name, key_), NULL));
	snprintf(pat, sizeof pat, "%-8s %s ", label, want);
	for (int y = 0; y < LINES; y++) {
		char r[4200];
		snprintf(r, sizeof r, "%s ", row(t, y));
		if (strstr(r, pat))
			return;
	}
	dump(t);
	fail_msg("no '%s' (NumPy's %s of %s)", pat, key_, name);
}

static void test_tensor_stats_numpy(void **state)
{
	(void)state;
	static const char *const cases[] = {"normal", "ties_subnormal", "cube"};
	for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
		char path[600];
		snprintf(path, sizeof path, "%s/%s.npy", tstats_dir, cases[c]);
		char *args[] = {path, NULL};
		ql_tui *t = open_args(24, 80, "tensor", 1, args);
		wait_stats(t);
		expect_stat(t, cases[c], "min", "min");
		expect_stat(t, cases[c], "max", "max");
		expect_stat(t, cases[c], "mean", "mean");
		expect_stat(t, cases[c], "std", "std");
		expect_stat(t, cases[c], "absmax", "absmax");
		expect_stat(t, cases[c], "p0.1", "p0.1");
		expect_stat(t, cases[c], "p1", "p1");
		expect_stat(t, cases[c], "p50", "p50");
		expect_stat(t, cases[c], "p99", "p99");
		expect_stat(t, cases[c], "p99.9", "p99.9");
		expect_text(t, "Histogram of values: 64 bins, linear counts");
		key(t, 'L');
		expect_text(t, "Histogram of values: 64 bins, log counts");
		ql_tui_close(t);
	}
	/* the outlier of "normal": row 20 is 8x louder, column 7 holds 0.9 */
	char path[600];
	snprintf(path, sizeof path, "%s/normal.npy", tstats_dir);
	char *args[] = {path, NULL};
	ql_tui *t = open_args(24, 80, "tensor", 1, args);
	wait_stats(t);
	expect_text(t, "row 5: 0.9 ");
	expect_text(t, "col 7: 0.9 ");
	ql_tui_close(t);
}

/* NaN and inf are counted, the rest is over the finite values, and the
 * first bad index is named. */
static void test_tensor_nonfinite(void **state)
{
	(void)state;
	char path[600];
	snprintf(path, sizeof path, "%s/nonfinite.npy", tstats_dir);
	char *args[] = {path, NULL};
	ql_tui *t = open_args(24, 80, "tensor", 1, args);
	wait_stats(t);
	expect_text(t, "NaN      2 ");
	expect_text(t, "inf      +1 -1");
	expect_text(t, "first NaN/inf at [3]");
	expect_text(t, "over the 996 finite values");
	expect_stat(t, "nonfinite", "p50", "p50");
	expect_stat(t, "nonfinite", "std", "std");
	ql_tui_close(t);
	/* in a safetensors file, a 2-D index */
	char *a2[] = {model, "--tensor", "lm_head.weight", NULL};
	t = open_args(24, 80, "tensor", 3, a2);
	wait_stats(t);
	expect_text(t, "first NaN/inf at [2, 5]");
	ql_tui_close(t);
}

/* `qlens FILE --tensor NAME`: the tree with the tensor view on top; q goes
 * back to the tree on that tensor; n and p walk the file. */
static void test_open_on_tensor(void **state)
{
	(void)state;
	char *args[] = {model, "--tensor", "model.layers.10.mlp.down_proj.weight", NULL};
	ql_tui *t = open_args(24, 80, "file", 3, args);
	expect_text(t, "Tensors");
	expect_text(t, "Tensor ");
	expect_text(t, "model.layers.10.mlp.down_proj.weight");
	expect_text(t, "F32 · shape 32x96 · 3072 elements (3.07k)");
	wait_stats(t);
	key(t, 'n');
	expect_text(t, "model.layers.10.input_layernorm.weight");
	key(t, 'p');
	key(t, 'p');
	expect_text(t, "model.layers.10.self_attn.k_proj.weight");
	wait_stats(t);
	/* e: the quantization explorer with the scheme, or the cells view
	 * where the program has no explorer */
	key(t, 'e');
	if (!strstr(row(t, 0), "Quantize a tensor"))
		expect_text(t, "Cells");
	key(t, 'q');
	expect_text(t, "model.layers.10.self_attn.k_proj.weight");
	key(t, 'q');
	expect_text(t, "model.layers.10.mlp.down_proj.weight 32x96");
	ql_tui_close(t);
	char *bad[] = {model, "--tensor", "nope", NULL};
	ql_error err = {{0}};
	assert_null(ql_tui_open_virtual_args("xterm-256color", 24, 80, "file", 3, bad, &err));
	assert_non_null(strstr(err.msg, "no tensor called 'nope'"));
}

/* Moving away cancels: a 16M-value tensor's statistics, left at once; the
 * key returns within 50 ms and the job stops on its own. */
static void test_tensor_cancel(void **state)
{
	(void)state;
	char path[600];
	snprintf(path, sizeof path, "%s/big.npy", state_dir);
	FILE *f = tu_npy_create(path, "<f4", false, 4096, 4096);
	float *x = malloc(4096 * sizeof *x);
	assert_non_null(x);
	uint32_t r = 7;
	for (int i = 0; i < 4096; i++) {
		for (int j = 0; j < 4096; j++) {
			r = r * 1664525u + 1013904223u;
			x[j] = (float)(r >> 8) / 16777216.0f;
		}
		fwrite(x, sizeof *x, 4096, f);
	}
	free(x);
	fclose(f);
	char *args[] = {path, NULL};
	ql_tui *t = open_file(24, 80, path);
	key(t, '\r'); /* the one tensor */
	expect_text(t, "Computing statistics");
	struct timespec a, b;
	clock_gettime(CLOCK_MONOTONIC, &a);
	key(t, 'q');
	clock_gettime(CLOCK_MONOTONIC, &b);
	double ms = (double)(b.tv_sec - a.tv_sec) * 1e3 + (double)(b.tv_nsec - a.tv_nsec) / 1e6;
	expect_text(t, "4096x4096");
	expect_no_text(t, "Computing");
	assert_true(ms < 50);
	/* and reopened, it finishes */
	key(t, '\r');
	wait_stats(t);
	expect_text(t, "p50");
	ql_tui_close(t);
	(void)args;
	unlink(path);
}


/* Headers only: a 32 GiB checkpoint (sparse) of 1000 tensors, named as a
 * 125-layer model's, shows its tree at once. The program (-O2) draws it in
 * about 50 ms at 160x50 (QLENS_TUI_STATS=1, README); under the sanitizers,
 * on a shared machine, the bound here is 400 ms: reading the tensors' data
 * (32 GiB) would take minutes, an O(n^2) tree seconds. */
static void test_tree_speed(void **state)
{
	(void)state;
	char path[600];
	snprintf(path, sizeof path, "%s/big.safetensors", state_dir);
	size_t cap = 1 << 20, k = 0;
	char *h = malloc(cap);
	assert_non_null(h);
	static const char *const parts[] = {"self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj",
					    "self_attn.o_proj", "mlp.gate_proj", "mlp.up_proj",
					    "mlp.down_proj", "input_layernorm"};
	const uint64_t one = 4096ull * 4096 * 2;
	k += (size_t)snprintf(h + k, cap - k, "{\"__metadata__\":{\"format\":\"pt\"}");
	for (int i = 0; i < 1000; i++)
		k += (size_t)snprintf(h + k, cap - k,
				      ",\"model.layers.%d.%s.weight\":{\"dtype\":\"F16\",\"shape\":[4096,4096],"
				      "\"data_offsets\":[%llu,%llu]}",
				      i / 8, parts[i % 8], (unsigned long long)(one * (uint64_t)i),
				      (unsigned long long)(one * (uint64_t)(i + 1)));
	k += (size_t)snprintf(h + k, cap - k, "}");
	while (k % 8)
		h[k++] = ' ';
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	uint64_t hl = k;
	unsigned char le[8];
	for (int i = 0; i < 8; i++)
		le[i] = (unsigned char)(hl >> (8 * i));
	fwrite(le, 1, 8, f);
	fwrite(h, 1, k, f);
	free(h);
	assert_int_equal(ftruncate(fileno(f), (off_t)(8 + k + one * 1000)), 0);
	fclose(f);
	struct timespec a, b;
	clock_gettime(CLOCK_MONOTONIC, &a);
	ql_tui *t = open_file(50, 160, path);
	clock_gettime(CLOCK_MONOTONIC, &b);
	double ms = (double)(b.tv_sec - a.tv_sec) * 1e3 + (double)(b.tv_nsec - a.tv_nsec) / 1e6;
	print_message("tree of 1000 tensors, 31.2 GiB: %.1f ms to the first frame\n", ms);
	expect_text(t, "1000 tensors");
	expect_text(t, "31.2 GiB");
	key(t, '*');
	key(t, 'G');
	expect_text(t, "row 1377 of 1377"); /* model, layers, 125 x (layer, mlp, self_attn), 1000 tensors */
	assert_true(ms < 400);
	ql_tui_close(t);
	unlink(path);
}


/* ---- opening ---------------------------------------------------------- */

/* Home lists "Open a file"; a bad path is one line on the status line and
 * the screen stays; a good one opens its tree and joins the recent list. */
static void test_open_screen(void **state)
{
	(void)state;
	char recent[400];
	snprintf(recent, sizeof recent, "%s/qlens/recent", state_dir);
	unlink(recent); /* the other tests opened files */
	ql_tui *t = open_args(24, 80, NULL, 0, NULL);
	expect_text(t, "Open a file");
	int y = find_row(t, 0, "Open a file");
	assert_int_equal(ql_tui_feed_click(t, y, 10), 0);
	expect_text(t, "Type a path");
	expect_text(t, "No recent files yet.");
	/* the keys, too long for one row at 80 columns, on two */
	y = find_row(t, 0, "Enter opens;");
	assert_true(y > 0);
	assert_non_null(strstr(two_rows(t, y), "Enter opens; o types a path (Tab completes); x forgets a recent "
						 "file. From the shell: qlens FILE"));
	key(t, 'o');
	keys(t, "/nonexistent/w.npy\r");
	expect_text(t, "qlens: /nonexistent/w.npy: No such file or directory");
	expect_text(t, "Type a path");
	/* /, ~ and . open the prompt too, as the path's first character (the
	 * / was lost, and ~ and . did nothing) */
	keys(t, "/nonexistent/x.npy\r");
	expect_text(t, "qlens: /nonexistent/x.npy: No such file or directory");
	keys(t, "./nonexistent/y.npy\r");
	expect_text(t, "qlens: ./nonexistent/y.npy: No such file or directory");
	keys(t, "~\r"); /* a folder, the home one: not a tensor file */
	expect_no_text(t, "qlens: ~");
	expect_text(t, "Type a path");
	/* a file that is there but not a tensor file */
	char bad[600];
	snprintf(bad, sizeof bad, "%s/../inspect/model.txt", tstats_dir);
	key(t, 'o');
	keys(t, bad);
	key(t, '\r');
	expect_text(t, "qlens: ");
	expect_text(t, "Type a path");
	/* Tab completes file names: ".../inspect/mo" -> ".../inspect/model." */
	char part[600];
	snprintf(part, sizeof part, "%s/../inspect/mo", tstats_dir);
	key(t, 'o');
	keys(t, part);
	key(t, '\t');
	expect_text(t, "inspect/model.");
	keys(t, "safetensors\r");
	expect_text(t, "19 tensors");
	/* the path too long for the header: its end, the file's name */
	if (!strstr(row(t, 1), "safetensors · …/model.safetensors")) {
		dump(t);
		fail_msg("the header does not end with the file's name");
	}
	key(t, 'q');
	/* now it is the recent file, selected */
	expect_text(t, "Recent files:");
	expect_text(t, "inspect/model.safetensors");
	key(t, '\r');
	expect_text(t, "19 tensors");
	key(t, 'q');
	key(t, 'x'); /* forgotten */
	expect_text(t, "No recent files yet.");
	/* ~/ is the home folder, as the shell has it */
	const char *home = getenv("HOME");
	char *home_was = home ? strdup(home) : NULL;
	char golden[600];
	snprintf(golden, sizeof golden, "%s/..", tstats_dir);
	setenv("HOME", golden, 1);
	keys(t, "~/inspect/model.safetensors\r");
	expect_text(t, "19 tensors");
	key(t, 'q');
	key(t, 'x');
	/* and on the : prompt, whose Tab completes such words: the command
	 * gets the home folder's path (it got '~/...' and found no file) */
	key(t, ':');
	keys(t, "info ~/inspect/model.safetensors\r");
	expect_text(t, "format    safetensors");
	expect_no_text(t, "No such file");
	key(t, 'q');
	if (home_was)
		setenv("HOME", home_was, 1);
	else
		unsetenv("HOME");
	free(home_was);
	ql_tui_close(t);
	/* and kept in the state folder: opened again, then read back */
	assert_int_equal(access(recent, F_OK), 0);
	t = open_file(24, 80, model);
	ql_tui_close(t);
	FILE *f = fopen(recent, "r");
	assert_non_null(f);
	char line[600];
	assert_non_null(fgets(line, sizeof line, f));
	fclose(f);
	assert_true(line[0] == '/');
	assert_non_null(strstr(line, "tests/golden/inspect/model.safetensors\n"));
}

/* Monochrome and ASCII at 80x24: the tree still reads. */
static void test_tree_ascii(void **state)
{
	(void)state;
	setenv("NO_COLOR", "1", 1);
	setlocale(LC_CTYPE, "C");
	ql_tui *t = open_file(24, 80, model);
	assert_int_equal(ql_tui_uses_color(t), 0);
	expect_text(t, "- model");
	expect_text(t, "> layers");
	expect_text(t, "#");
	ql_tui_close(t);
	setlocale(LC_CTYPE, "C.UTF-8");
	unsetenv("NO_COLOR");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tree_grouping),
		cmocka_unit_test(test_tree_sort),
		cmocka_unit_test(test_tree_filter),
		cmocka_unit_test(test_tree_keys_and_meta),
		cmocka_unit_test(test_tree_shards),
		cmocka_unit_test(test_tensor_stats_numpy),
		cmocka_unit_test(test_tensor_nonfinite),
		cmocka_unit_test(test_open_on_tensor),
		cmocka_unit_test(test_tensor_cancel),
		cmocka_unit_test(test_tree_speed),
		cmocka_unit_test(test_open_screen),
		cmocka_unit_test(test_tree_ascii),
	};
	return cmocka_run_group_tests(tests, setup_env, teardown_env);
}
