/* test_tui_inspect.c — the checkpoint inspector's screens on the virtual
 * terminal (tui.h): the tensor tree, the tensor view, "Open a file".
 *
 * Inputs: tests/golden/inspect/model.safetensors (gen_inspect.py: a small
 * model named as real checkpoints are, layers 0, 1, 2 and 10, F16/BF16/F32,
 * a tensor with NaN and inf, __metadata__; model.txt lists its tensors) and
 * tests/golden/tstats/ (gen_tstats.py: inputs and NumPy's statistics of
 * them). Environment pinned as in test_tui.c: INPUTRC=/dev/null, a fresh
 * XDG_STATE_HOME, a UTF-8 locale.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <curses.h>
#include <locale.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sys/stat.h>

#include "qlens/command.h"
#include "qlens/io.h"
#include "qlens/tui.h"

const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
	return "leak:libncursesw\nleak:libtinfo\nleak:libreadline\n";
}

static char state_dir[256];
static char model[512], tstats_dir[512];

static char row_buf[4096];

static const char *row(ql_tui *t, int y)
{
	ql_tui_row(t, y, row_buf, sizeof row_buf);
	return row_buf;
}

static void dump(ql_tui *t)
{
	static char buf[65536];
	ql_tui_dump(t, buf, sizeof buf);
	print_message("%s", buf);
}

static int find_row(ql_tui *t, int from, const char *s)
{
	for (int y = from; y < LINES; y++)
		if (strstr(row(t, y), s))
			return y;
	return -1;
}

static void expect_text(ql_tui *t, const char *s)
{
	if (find_row(t, 0, s) < 0) {
		dump(t);
		fail_msg("not on screen: '%s'", s);
	}
}

static void expect_no_text(ql_tui *t, const char *s)
{
	int y = find_row(t, 0, s);
	if (y >= 0) {
		dump(t);
		fail_msg("on screen (row %d) but should not be: '%s'", y, s);
	}
}

static int count_rows(ql_tui *t, const char *s)
{
	int n = 0;
	for (int y = 0; y < LINES; y++)
		n += strstr(row(t, y), s) != NULL;
	return n;
}

static ql_tui *open_args(int lines, int cols, const char *screen, int argc, char **argv)
{
	ql_error err = {{0}};
	ql_tui *t = ql_tui_open_virtual_args("xterm-256color", lines, cols, screen, argc, argv, &err);
	if (!t)
		fail_msg("ql_tui_open_virtual_args: %s", err.msg);
	return t;
}

static ql_tui *open_file(int lines, int cols, const char *path)
{
	char *args[] = {(char *)path, NULL};
	return open_args(lines, cols, "file", 1, args);
}

static void key(ql_tui *t, int k)
{
	assert_int_equal(ql_tui_feed_key(t, k), 0);
}

static void keys(ql_tui *t, const char *s)
{
	assert_int_equal(ql_tui_feed_keys(t, s), 0);
}

/* Lets the background statistics finish (at most 10 s). */
static void wait_stats(ql_tui *t)
{
	for (int i = 0; i < 1000 && find_row(t, 0, "Computing statistics") >= 0; i++)
		ql_tui_idle(t, 10);
	if (find_row(t, 0, "Computing statistics") >= 0) {
		dump(t);
		fail_msg("the statistics did not finish");
	}
}

static int setup_env(void **state)
{
	(void)state;
	setenv("INPUTRC", "/dev/null", 1);
	unsetenv("NO_COLOR");
	setlocale(LC_CTYPE, "C.UTF-8");
	snprintf(state_dir, sizeof state_dir, "/tmp/qlens-test-inspect-XXXXXX");
	if (!mkdtemp(state_dir))
		return -1;
	setenv("XDG_STATE_HOME", state_dir, 1);
	const char *src = getenv("QLENS_SRCDIR");
	snprintf(model, sizeof model, "%s/tests/golden/inspect/model.safetensors", src ? src : ".");
	snprintf(tstats_dir, sizeof tstats_dir, "%s/tests/golden/tstats", src ? src : ".");
	return 0;
}

static int teardown_env(void **state)
{
	(void)state;
	char cmd[512];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", state_dir);
	return system(cmd) == 0 ? 0 : -1;
}

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
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	const char *hdr = "{'descr': '<f4', 'fortran_order': False, 'shape': (4096, 4096), }";
	char h[128];
	int hl = snprintf(h, sizeof h, "%-117s\n", hdr);
	fwrite("\x93NUMPY\x01\x00", 1, 8, f);
	unsigned char len[2] = {(unsigned char)(hl & 0xff), (unsigned char)(hl >> 8)};
	fwrite(len, 1, 2, f);
	fwrite(h, 1, (size_t)hl, f);
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


/* ---- cells, blocks, comparison, export ------------------------------------ */

/* Runs a CLI command in-process (the command table); its status. */
static int run_cli(int argc, char **argv)
{
	char *obuf = NULL, *ebuf = NULL;
	size_t olen = 0, elen = 0;
	FILE *out = open_memstream(&obuf, &olen), *err = open_memstream(&ebuf, &elen);
	ql_cmd_ctx ctx = {.out = out, .err = err, .interactive = false, .progress = false};
	int rc = ql_command_run(&ctx, argc, argv);
	fclose(out);
	fclose(err);
	if (rc)
		print_message("%s: %s", argv[0], ebuf);
	free(obuf);
	free(ebuf);
	return rc;
}

/* Tensor `name` of a file, its bytes copied (malloc'd) and its shape. */
static void *read_tensor(const char *path, const char *name, ql_tensor *desc)
{
	ql_error err = {{0}};
	ql_source *src = NULL;
	if (ql_source_open(path, NULL, &src, &err))
		fail_msg("%s", err.msg);
	long i = ql_source_find(src, name);
	if (i < 0)
		fail_msg("%s: no %s", path, name);
	if (ql_source_read(src, (size_t)i, &err))
		fail_msg("%s", err.msg);
	*desc = *ql_source_tensor(src, (size_t)i);
	void *copy = malloc(desc->nbytes + 1);
	assert_non_null(copy);
	memcpy(copy, desc->data, desc->nbytes);
	desc->data = copy;
	ql_source_close(src);
	return copy;
}

static void wait_ready(ql_tui *t, const char *busy)
{
	for (int i = 0; i < 1000 && find_row(t, 0, busy) >= 0; i++)
		ql_tui_idle(t, 10);
	if (find_row(t, 0, busy) >= 0) {
		dump(t);
		fail_msg("still '%s'", busy);
	}
}

/* The cells view's codes and scales are those `qlens quantize -o` writes:
 * int4/g32 and uint8/asym/ch0 on a 32x96 F32 tensor, cells all over it
 * (corners, a group's edges, the largest error). */
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
		expect_text(t, "original code   decoded     error");
		ql_tui_close(t);
		free(blocks);
	}
	/* a scheme without blocks says so and stays where it was */
	char *args[] = {model, "--tensor", (char *)name, "--scheme", "int8", NULL};
	ql_error err = {{0}};
	assert_null(ql_tui_open_virtual_args("xterm-256color", 24, 80, "blocks", 5, args, &err));
	assert_non_null(strstr(err.msg, "int8 has no blocks"));
}

/* The comparison screen: each scheme's bits per weight and SQNR as
 * `qlens compare` prints them, a point per scheme, Enter to its cells. */
static void test_compare_screen(void **state)
{
	(void)state;
	const char *name = "model.embed_tokens.weight";
	char *args[] = {model, "--tensor", (char *)name, "--schemes", "int8,int4/g32,q4_0,nf4", NULL};
	ql_tui *t = open_args(24, 80, "compare", 5, args);
	wait_ready(t, "Quantizing with each scheme");
	/* the command's own numbers, for the same schemes */
	char *obuf = NULL;
	size_t olen = 0;
	FILE *out = open_memstream(&obuf, &olen), *err = fopen("/dev/null", "w");
	ql_cmd_ctx ctx = {.out = out, .err = err};
	char *argv[] = {"compare", model, "--tensor", (char *)name, "--schemes", "int8,int4/g32,q4_0,nf4", "--json", NULL};
	assert_int_equal(ql_command_run(&ctx, 7, argv), 0);
	fclose(out);
	fclose(err);
	static const char *const words[] = {"int8", "int4/g32", "q4_0", "nf4"};
	for (int i = 0; i < 4; i++) {
		/* "scheme": "int4/g32" ... "bits_per_weight": B ... "sqnr_db": S */
		char key_[64];
		snprintf(key_, sizeof key_, "\"scheme\": \"%s\"", words[i]);
		const char *p = strstr(obuf, key_);
		if (!p) {
			snprintf(key_, sizeof key_, "\"scheme\":\"%s\"", words[i]);
			p = strstr(obuf, key_);
		}
		assert_non_null(p);
		const char *b = strstr(p, "bits_per_weight");
		const char *s = strstr(p, "sqnr_db");
		assert_non_null(b);
		assert_non_null(s);
		double bpw = strtod(strpbrk(b, "-0123456789"), NULL), sq = strtod(strpbrk(s, "-0123456789"), NULL);
		char want[96];
		snprintf(want, sizeof want, "%2d %-18s", i + 1, words[i]);
		int y = find_row(t, 0, want);
		assert_true(y > 0);
		snprintf(want, sizeof want, " %8.3f ", bpw);
		if (!strstr(row(t, y), want)) {
			dump(t);
			fail_msg("%s: no bits per weight '%s'", words[i], want);
		}
		snprintf(want, sizeof want, " %8.2f ", sq);
		if (!strstr(row(t, y), want)) {
			dump(t);
			fail_msg("%s: no SQNR '%s'", words[i], want);
		}
	}
	free(obuf);
	expect_text(t, "SQNR dB (up) against bits per weight");
	key(t, KEY_DOWN);
	key(t, '\r');
	expect_text(t, "Cells");
	expect_text(t, "int4/g32");
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
	keys(t, "n\r");
	expect_text(t, "not written");
	struct stat sb;
	assert_int_equal(stat(mine, &sb), 0);
	assert_int_equal(sb.st_size, 10);
	key(t, 'w');
	key(t, 21);
	keys(t, mine);
	keys(t, "\ry\r");
	expect_text(t, "wrote ");
	assert_int_equal(stat(mine, &sb), 0);
	assert_int_equal((size_t)sb.st_size, nb);
	ql_tui_close(t);
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
	key(t, 'o');
	keys(t, "/nonexistent/w.npy\r");
	expect_text(t, "qlens: /nonexistent/w.npy: No such file or directory");
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
	key(t, 'q');
	/* now it is the recent file, selected */
	expect_text(t, "Recent files:");
	expect_text(t, "inspect/model.safetensors");
	key(t, '\r');
	expect_text(t, "19 tensors");
	key(t, 'q');
	key(t, 'x'); /* forgotten */
	expect_text(t, "No recent files yet.");
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
		cmocka_unit_test(test_cells_vs_quantize),
		cmocka_unit_test(test_cells_keys),
		cmocka_unit_test(test_cells_axes),
		cmocka_unit_test(test_blocks_stored_gguf),
		cmocka_unit_test(test_blocks_quantized),
		cmocka_unit_test(test_compare_screen),
		cmocka_unit_test(test_export),
		cmocka_unit_test(test_open_screen),
		cmocka_unit_test(test_tree_ascii),
	};
	return cmocka_run_group_tests(tests, setup_env, teardown_env);
}
