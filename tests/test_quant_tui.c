/* test_quant_tui.c — the quantization explorer on a virtual terminal.
 *
 * The real screen (ql_tui_open_virtual_args, as test_tui.c does) on the
 * samples of assets/samples: the hand-readable one's exact grid and codes,
 * the readout equal to `qlens quantize --json` for the same options, what
 * each key changes (bits, symmetry, manual clip, calibration marks, the
 * outlier, per-channel selection), 80x24 in monochrome and ASCII, and a
 * large tensor computed in the background while keys keep coming.
 * Expected figures: tests/golden/quant_tui.txt (gen_quant_tui.py, PyTorch)
 * and the command's own JSON, parsed with jansson.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <curses.h>
#include <jansson.h>
#include <locale.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "qlens/command.h"
#include "qlens/io.h"
#include "qlens/tui.h"
#include "testutil.h"

const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
	return "leak:libncursesw\nleak:libtinfo\nleak:libreadline\n";
}

enum { W = 80, H = 24 };

static char state_dir[256], golden_text[8192], row_buf[4096];

static const char *golden(const char *key)
{
	static char out[1024];
	size_t kl = strlen(key);
	for (const char *p = golden_text; *p;) {
		const char *e = strchr(p, '\n');
		size_t len = e ? (size_t)(e - p) : strlen(p);
		if (len > kl && strncmp(p, key, kl) == 0 && p[kl] == '\t') {
			size_t vl = len - kl - 1 < sizeof out - 1 ? len - kl - 1 : sizeof out - 1;
			memcpy(out, p + kl + 1, vl);
			out[vl] = '\0';
			return out;
		}
		p += len + (e != NULL);
	}
	fail_msg("no golden value '%s'", key);
	return "";
}

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

static int find_row(ql_tui *t, const char *s)
{
	for (int y = 0; y < LINES; y++)
		if (strstr(row(t, y), s))
			return y;
	return -1;
}

static void expect_text(ql_tui *t, const char *s)
{
	if (find_row(t, s) < 0) {
		dump(t);
		fail_msg("not on screen: '%s'", s);
	}
}

static void expect_no_text(ql_tui *t, const char *s)
{
	if (find_row(t, s) >= 0) {
		dump(t);
		fail_msg("on screen but should not be: '%s'", s);
	}
}

/* The number after `label ` on the screen ("SQNR 19.05 dB" -> 19.05). */
static double figure(ql_tui *t, const char *label)
{
	char pat[64];
	snprintf(pat, sizeof pat, "%s ", label);
	int y = find_row(t, pat);
	if (y < 0) {
		dump(t);
		fail_msg("no figure '%s'", label);
	}
	return strtod(strstr(row(t, y), pat) + strlen(pat), NULL);
}

static void key(ql_tui *t, int k)
{
	assert_int_equal(ql_tui_feed_key(t, k), 0);
}

static ql_tui *open_q(int lines, int cols, const char *line)
{
	int argc;
	char **argv;
	ql_error err = {{0}};
	assert_int_equal(ql_split_words(line, &argc, &argv, &err), 0);
	ql_tui *t = ql_tui_open_virtual_args("xterm-256color", lines, cols, "quantize", argc, argv, &err);
	ql_free_words(argc, argv);
	if (!t)
		fail_msg("open: %s", err.msg);
	ql_tui_idle(t, 50);
	return t;
}

/* Ticks every 40 ms until `s` shows (the background work), up to 60 s. */
static void wait_text(ql_tui *t, const char *s)
{
	for (int i = 0; i < 1500 && find_row(t, s) < 0; i++)
		ql_tui_idle(t, 40);
	expect_text(t, s);
}

/* Until the calibration marks are in. */
static void wait_marks(ql_tui *t)
{
	for (int i = 0; i < 1500 && (find_row(t, "computing...") >= 0 || find_row(t, "values...") >= 0); i++)
		ql_tui_idle(t, 40);
	expect_no_text(t, "computing...");
}

static int setup_env(void **state)
{
	(void)state;
	setenv("INPUTRC", "/dev/null", 1);
	/* a key waits for its result however slow the sanitized build is */
	setenv("QLENS_TUI_WAIT_MS", "20000", 1);
	unsetenv("NO_COLOR");
	unsetenv("QLENS_DATADIR");
	setlocale(LC_CTYPE, "C.UTF-8");
	const char *dir = getenv("QLENS_SRCDIR");
	if (dir && chdir(dir))
		return -1;
	snprintf(state_dir, sizeof state_dir, "/tmp/qlens-test-qtui-XXXXXX");
	if (!mkdtemp(state_dir))
		return -1;
	setenv("XDG_STATE_HOME", state_dir, 1);
	FILE *f = fopen("tests/golden/quant_tui.txt", "r");
	if (!f)
		return -1;
	size_t n = fread(golden_text, 1, sizeof golden_text - 1, f);
	golden_text[n] = '\0';
	fclose(f);
	return 0;
}

static int teardown_env(void **state)
{
	(void)state;
	char cmd[512];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", state_dir);
	return system(cmd) == 0 ? 0 : -1;
}

/* ---- tests --------------------------------------------------------------- */

/* The hand-readable sample at int4: fifteen ticks with their codes, the
 * clip marks at both ends, the mapping, PyTorch's figures. */
static void test_hand12_exact(void **state)
{
	(void)state;
	ql_tui *t = open_q(H, W, "assets/samples/hand12.npy --dtype int4");
	expect_text(t, "--dtype int4 --sym   (int4 sym per-tensor minmax)");
	int y = find_row(t, "┴");
	assert_true(y > 0);
	assert_string_equal(row(t, y), " [────┴─────┴────┴─────┴────┴─────┴─────┴────┴─────┴────┴─────┴────┴─────┴────]");
	assert_string_equal(row(t, y + 1), " -7  -6    -5   -4    -3   -2    -1     0    1     2    3     4    5     6    7");
	assert_string_equal(row(t, y + 2), " -3.5                                   ▲                                   3.5");
	/* every calibration's clip, side by side at both ends */
	wait_marks(t);
	assert_string_equal(row(t, y + 3), " MPEK                                                                      KEPM");
	expect_text(t, "├-7────");
	expect_text(t, "zero point 0");
	char s[64];
	snprintf(s, sizeof s, "scale %s", golden("hand12_scale"));
	expect_text(t, s);
	snprintf(s, sizeof s, "SQNR %s dB", golden("hand12_sqnr"));
	expect_text(t, s);
	snprintf(s, sizeof s, "MSE %s", golden("hand12_mse"));
	expect_text(t, s);
	snprintf(s, sizeof s, "cosine %s", golden("hand12_cosine"));
	expect_text(t, s);
	expect_text(t, "clipped 0 (0%)");
	/* the cursor reads a value through the grid: from 0 rightwards to the
	 * end, each column's x gives code round(x / 0.5) (PyTorch's scale) and
	 * x̂ = code * 0.5; columns within 0.01 of a tie are skipped (x is
	 * printed to four digits) */
	double scale = strtod(golden("hand12_scale"), NULL);
	int checked = 0;
	for (int i = 0; i < 45; i++) {
		key(t, KEY_RIGHT);
		const char *r = strstr(row(t, 1), "▲ ");
		assert_non_null(r);
		double x, xh;
		int code;
		/* "▲ X → code C → X̂" (parsed by hand: glibc's sscanf does not
		 * match the arrows as literal bytes) */
		const char *c = strstr(r, " code "), *a = c ? strstr(c, "→ ") : NULL;
		if (!c || !a) {
			dump(t);
			fail_msg("no cursor readout");
		}
		x = strtod(r + strlen("▲ "), NULL);
		code = (int)strtol(c + strlen(" code "), NULL, 10);
		xh = strtod(a + strlen("→ "), NULL);
		double u = x / scale;
		if (fabs(u - floor(u) - 0.5) < 0.01)
			continue;
		long want = lround(u);
		want = want > 7 ? 7 : want;
		if (code != want || xh != (double)want * scale) {
			dump(t);
			fail_msg("cursor at %g: code %d -> %g, want %ld -> %g", x, code, xh, want, want * scale);
		}
		checked++;
	}
	assert_true(checked > 30);
	ql_tui_close(t);
}

/* Every figure of the readout is the CLI's JSON at the printed precision. */
static void check_against_cli(const char *file, const char *opts)
{
	char line[512], *obuf = NULL, *ebuf = NULL;
	size_t olen = 0, elen = 0;
	snprintf(line, sizeof line, "quantize %s %s --json", file, opts);
	int argc;
	char **argv;
	ql_error err;
	assert_int_equal(ql_split_words(line, &argc, &argv, &err), 0);
	FILE *out = open_memstream(&obuf, &olen), *ef = open_memstream(&ebuf, &elen);
	ql_cmd_ctx ctx = {.out = out, .err = ef};
	assert_int_equal(ql_command_run(&ctx, argc, argv), 0);
	fclose(out);
	fclose(ef);
	ql_free_words(argc, argv);
	json_error_t je;
	json_t *j = json_loads(obuf, 0, &je);
	assert_non_null(j);
	json_t *m = json_object_get(j, "metrics");

	snprintf(line, sizeof line, "%s %s", file, opts);
	ql_tui *t = open_q(45, 140, line);
	struct {
		const char *label, *key;
	} figs[] = {{"SQNR", "sqnr_db"}, {"MSE", "mse"}, {"RMSE", "rmse"}, {"max|e|", "max_abs_err"},
		    {"mean|e|", "mean_abs_err"}, {"cosine", "cosine"}};
	char want[64], got[64];
	for (size_t i = 0; i < sizeof figs / sizeof figs[0]; i++) {
		snprintf(want, sizeof want, "%.4g", json_number_value(json_object_get(m, figs[i].key)));
		snprintf(got, sizeof got, "%.4g", figure(t, figs[i].label));
		if (strcmp(want, got)) {
			dump(t);
			fail_msg("%s %s: screen %s, CLI %s", line, figs[i].label, got, want);
		}
	}
	assert_int_equal((json_int_t)figure(t, "clipped"), json_integer_value(json_object_get(m, "clipped")));
	snprintf(want, sizeof want, "%.4g", json_number_value(json_object_get(j, "bits_per_weight")));
	snprintf(got, sizeof got, "%.4g", figure(t, "bits/weight"));
	assert_string_equal(got, want);
	snprintf(want, sizeof want, "%lld bytes", (long long)json_integer_value(json_object_get(j, "bytes")));
	expect_text(t, want);
	snprintf(want, sizeof want, "qmin %lld  qmax %lld", (long long)json_integer_value(json_object_get(j, "qmin")),
		 (long long)json_integer_value(json_object_get(j, "qmax")));
	expect_text(t, want);
	json_t *sc = json_object_get(j, "scale");
	if (json_is_number(sc)) {
		snprintf(want, sizeof want, "scale %.4g", json_number_value(sc));
		expect_text(t, want);
	} else {
		snprintf(want, sizeof want, "%zu scales", json_array_size(sc));
		expect_text(t, want);
		snprintf(want, sizeof want, "#0: %.4g", json_number_value(json_array_get(sc, 0)));
		expect_text(t, want);
	}
	json_decref(j);
	free(obuf);
	free(ebuf);
	ql_tui_close(t);
}

static void test_readout_equals_cli(void **state)
{
	(void)state;
	check_against_cli("assets/samples/faceapi_conv64_1_conv1.npy", "--dtype int4 --group 32");
	check_against_cli("assets/samples/gnubg_contact_hidden.npy", "--dtype int8 --axis 0 --calib percentile:99.9");
	check_against_cli("assets/samples/synth_laplace.npy", "--dtype uint8 --asym --calib mse");
	check_against_cli("assets/samples/synth_outliers.npy", "--dtype nf4");
	check_against_cli("assets/samples/synth_gaussian.npy", "--dtype fp8_e4m3");
	check_against_cli("assets/samples/synth_bimodal.npy", "--dtype q4_0");
	check_against_cli("assets/samples/synth_uniform.npy", "--dtype int5 --group 32");
	check_against_cli("assets/samples/gnubg_contact_hidden.npy", "--dtype uint3 --axis 0");
	check_against_cli("assets/samples/synth_laplace.npy", "--dtype int6 --calib entropy");
}

/* The codes under the grid (the row below the one with the ticks) step
 * evenly: every gap between neighbouring labels the same, 0 among them.
 * Returns that step. */
static long label_step(ql_tui *t)
{
	int y = find_row(t, "┴");
	if (y < 0)
		y = find_row(t, "+-");
	assert_true(y >= 0);
	const char *r = row(t, y + 1);
	long v[64], step = 0;
	int n = 0;
	bool zero = false;
	for (char *p = (char *)r, *e; n < 64; p = e) {
		long k = strtol(p, &e, 10);
		if (e == p)
			break;
		zero |= k == 0;
		v[n++] = k;
	}
	if (n < 3 || !zero) {
		dump(t);
		fail_msg("no row of codes under the grid");
	}
	step = v[1] - v[0];
	for (int i = 2; i < n; i++)
		if (v[i] - v[i - 1] != step || step <= 0) {
			dump(t);
			fail_msg("codes under the grid step unevenly: %ld, %ld", v[i - 1], v[i]);
		}
	return step;
}

/* b: one bit fewer each, 8 -> 7 -> ... -> 2, then 8 again; the grid
 * coarsens and SQNR falls at every step (about 6 dB a bit), each step
 * showing the figure before it; B climbs back. s: symmetric <->
 * asymmetric. */
static void test_bits_and_symmetry(void **state)
{
	(void)state;
	ql_tui *t = open_q(H, W, "assets/samples/synth_gaussian.npy");
	expect_text(t, "qmin -127  qmax 127");
	/* 255 levels on 78 columns: a tick every 8, a code every 16 */
	assert_int_equal(label_step(t), 16);
	double prev = figure(t, "SQNR"), s8 = prev, s4 = 0;
	char want[64];
	for (int bits = 7; bits >= 2; bits--) {
		key(t, 'b');
		snprintf(want, sizeof want, "--dtype int%d ", bits);
		expect_text(t, want);
		int h = (1 << (bits - 1)) - 1;
		snprintf(want, sizeof want, "qmin %d  qmax %d", -h, h);
		expect_text(t, want);
		double sq = figure(t, "SQNR");
		snprintf(want, sizeof want, "dB, was %.4g", prev);
		expect_text(t, want);
		if (!(sq < prev - (bits > 2 ? 4.0 : 0.5))) {
			dump(t);
			fail_msg("%d bits: SQNR %g, %d bits: %g", bits, sq, bits + 1, prev);
		}
		long step = label_step(t);
		assert_true(step >= 1 && step <= 16);
		if (bits <= 4)
			assert_int_equal(step, 1); /* every level's code */
		if (bits == 4)
			s4 = sq;
		prev = sq;
	}
	assert_true(s8 > s4 + 20 && s4 > prev);
	key(t, 'b'); /* 2 -> 8 */
	expect_text(t, "qmin -127  qmax 127");
	key(t, 'B'); /* 8 -> 2 */
	expect_text(t, "qmin -1  qmax 1");
	key(t, 'B');
	expect_text(t, "--dtype int3 ");
	expect_text(t, "qmin -3  qmax 3");
	/* unsigned keeps its signedness while stepping */
	key(t, 'u');
	expect_text(t, "--dtype uint3");
	expect_text(t, "qmin 0  qmax 7");
	key(t, 'B');
	expect_text(t, "--dtype uint4");
	key(t, 'b');
	key(t, 'b');
	expect_text(t, "--dtype uint2");
	expect_text(t, "qmin 0  qmax 3");
	key(t, 'u');
	expect_text(t, "--dtype int2");
	for (int i = 0; i < 6; i++)
		key(t, 'B');
	expect_text(t, "qmin -127  qmax 127");
	/* asymmetric: the full code range and a zero point of its own */
	key(t, 's');
	expect_text(t, "--asym");
	expect_text(t, "qmin -128  qmax 127");
	key(t, 's');
	expect_text(t, "--sym");
	/* unsigned: uint8 is asymmetric by default */
	key(t, 'u');
	expect_text(t, "--dtype uint8");
	expect_text(t, "qmin 0  qmax 255");
	ql_tui_close(t);
}

/* A manual clip: the hi bound moved in (symmetric, so lo follows) to
 * [-c, c] with 1.0 <= c < 1.15 clamps the six values beyond 1.0 (the
 * clamp starts past 7.5 * c / 7 >= 1.07; 1.25 is clamped while c < 1.167),
 * as PyTorch's kernel does with c = 1.0; the count rises one at a time on
 * the way; 'a' comes
 * back to the calibration's clip. */
static void test_manual_clip(void **state)
{
	(void)state;
	ql_tui *t = open_q(H, W, "assets/samples/hand12.npy --dtype int4");
	expect_text(t, "clipped 0 (0%)");
	long last = 0;
	bool checked = false;
	for (int i = 0; i < 40 && !checked; i++) {
		key(t, '{');
		expect_text(t, "--scale");
		int y = find_row(t, "clip [");
		assert_true(y >= 0);
		double c = strtod(strstr(strstr(row(t, y), "clip ["), ", ") + 2, NULL);
		long n = (long)figure(t, "clipped");
		assert_true(n >= last && n <= last + 1);
		last = n;
		if (c >= 1.0 && c < 1.15) {
			assert_int_equal(n, atol(golden("clip1_clipped")));
			checked = true;
		}
	}
	assert_true(checked);
	/* the calibrations' marks stay, to compare the manual clip with */
	wait_marks(t);
	int ym = find_row(t, "┴") + 3;
	for (const char *m = "MPEK"; *m; m++)
		if (!strchr(row(t, ym), *m)) {
			dump(t);
			fail_msg("mark %c missing beside a manual clip", *m);
		}
	key(t, '=');
	expect_text(t, "--scale");
	key(t, 'a');
	expect_text(t, "clipped 0 (0%)");
	expect_no_text(t, "--scale");
	ql_tui_close(t);
}

/* c steps through the methods; every method's mark is on the axis at once. */
static void test_calibration_marks(void **state)
{
	(void)state;
	ql_tui *t = open_q(H, W, "assets/samples/synth_laplace.npy --dtype int4");
	wait_marks(t);
	int y = find_row(t, "┴") + 3;
	const char *r = row(t, y);
	for (const char *m = "MPEK"; *m; m++)
		if (!strchr(r, *m)) {
			dump(t);
			fail_msg("mark %c missing", *m);
		}
	double mm = figure(t, "SQNR");
	key(t, 'c');
	expect_text(t, "--calib percentile:99.9");
	key(t, 'c');
	expect_text(t, "--calib mse");
	/* on heavy tails the MSE clip beats minmax */
	assert_true(figure(t, "SQNR") > mm);
	key(t, 'c');
	expect_text(t, "--calib entropy");
	key(t, 'c');
	expect_no_text(t, "--calib");
	key(t, 'p');
	expect_text(t, "--calib percentile:99.5");
	ql_tui_close(t);
	/* fp8 takes minmax and percentile only: c goes between the two (it
	 * went on to mse, was refused, and stayed on percentile) */
	t = open_q(H, W, "assets/samples/synth_laplace.npy --dtype fp8_e4m3");
	key(t, 'c');
	expect_text(t, "--calib percentile:99.9");
	key(t, 'c');
	expect_no_text(t, "--calib");
	expect_no_text(t, "is for integer targets");
	key(t, 'c');
	expect_text(t, "--calib percentile:99.9");
	ql_tui_close(t);
}

/* One outlier 10 x the absmax: the scale jumps tenfold, SQNR falls. */
static void test_outlier(void **state)
{
	(void)state;
	ql_tui *t = open_q(H, W, "assets/samples/synth_gaussian.npy --dtype int4");
	double s0 = figure(t, "scale"), q0 = figure(t, "SQNR");
	key(t, 'o');
	expect_text(t, "--dtype int4 --sym   +1 outlier (o removes it)");
	double s1 = figure(t, "scale");
	assert_true(fabs(s1 / s0 - 10.0) < 1e-3);
	assert_true(figure(t, "SQNR") < q0 - 10);
	key(t, 'o');
	expect_no_text(t, "+1 outlier");
	assert_true(figure(t, "scale") == s0);
	ql_tui_close(t);
}

/* Per channel: a unit is picked with Down, its values and grid shown; the
 * real weights' outlier channel (gnubg's hidden unit with the largest
 * absmax, PyTorch's per-channel observer's largest scale) is reached with
 * PageDown and Down and shows that scale. */
static void test_per_channel(void **state)
{
	(void)state;
	ql_tui *t = open_q(H, W, "assets/samples/gnubg_contact_hidden.npy --dtype int8");
	long nch = atol(golden("gnubg_axis0_channels")), big = atol(golden("gnubg_axis0_max_channel"));
	char s[64];
	key(t, 'g');
	expect_text(t, "--axis 0");
	snprintf(s, sizeof s, "channel 0 of %ld", nch);
	expect_text(t, s);
	snprintf(s, sizeof s, "%ld scales", nch);
	expect_text(t, s);
	/* the scales' overhead shows, "was" figures and all, at 80x24 */
	expect_text(t, "bits/weight 8.128 (32512 bytes), was 8.001");
	expect_text(t, "cosine ");
	key(t, KEY_DOWN);
	snprintf(s, sizeof s, "channel 1 of %ld", nch);
	expect_text(t, s);
	expect_text(t, "#1: ");
	key(t, KEY_UP);
	for (long i = 0; i < big / 10; i++)
		key(t, KEY_NPAGE);
	for (long i = 0; i < big % 10; i++)
		key(t, KEY_DOWN);
	snprintf(s, sizeof s, "channel %ld of %ld", big, nch);
	expect_text(t, s);
	/* the outlier channel's scale, the largest: its absmax over 127 */
	snprintf(s, sizeof s, "#%ld: %s", big, golden("gnubg_axis0_max_scale"));
	expect_text(t, s);
	key(t, 'g');
	expect_text(t, "--axis 1");
	key(t, 'g');
	expect_text(t, "--group 32");
	ql_tui_close(t);
}

/* 80x24, no colour (NO_COLOR), then ASCII (LANG=C): everything still says
 * which bar is which. */
static void test_mono_ascii(void **state)
{
	(void)state;
	setenv("NO_COLOR", "1", 1);
	ql_tui *t = open_q(H, W, "assets/samples/synth_outliers.npy --dtype int4 --group 32");
	assert_false(ql_tui_uses_color(t));
	expect_text(t, "█ rounding  ▒ clipping");
	ql_tui_close(t);
	unsetenv("NO_COLOR");
	setlocale(LC_CTYPE, "C");
	t = open_q(H, W, "assets/samples/hand12.npy --dtype int4");
	for (int y = 0; y < H; y++)
		for (const unsigned char *p = (const unsigned char *)row(t, y); *p; p++)
			if (*p >= 0x80) {
				dump(t);
				fail_msg("non-ASCII on row %d under LANG=C", y);
			}
	expect_text(t, "# rounding  x clipping");
	expect_text(t, "[----+-----+");
	ql_tui_close(t);
	setlocale(LC_CTYPE, "C.UTF-8");
}

static double ms_since(const struct timespec *a)
{
	struct timespec b;
	clock_gettime(CLOCK_MONOTONIC, &b);
	return (double)(b.tv_sec - a->tv_sec) * 1e3 + (double)(b.tv_nsec - a->tv_nsec) / 1e6;
}

/* 4M values: computed in the background. Keys answer at once while it
 * runs; each newer key cancels the older work, and what comes in the end
 * is the last key's scheme. */
static void test_background(void **state)
{
	(void)state;
	enum { N = 1 << 22 };
	char path[300];
	snprintf(path, sizeof path, "%s/big.npy", state_dir);
	float *x = malloc(N * sizeof *x);
	assert_non_null(x);
	for (int i = 0; i < N; i++)
		x[i] = (float)((i * 2654435761u) % 2001u) / 1000.0f - 1.0f;
	ql_writer *w;
	ql_error err;
	int64_t shape[1] = {N};
	assert_int_equal(ql_writer_open(path, true, &w, &err), 0);
	assert_int_equal(ql_writer_add(w, "big", QL_DT_F32, shape, 1, x, &err), 0);
	assert_int_equal(ql_writer_close(w, &err), 0);
	free(x);

	char line[400];
	snprintf(line, sizeof line, "%s --dtype int8", path);
	int argc;
	char **argv;
	assert_int_equal(ql_split_words(line, &argc, &argv, &err), 0);
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ql_tui *t = ql_tui_open_virtual_args("xterm-256color", H, W, "quantize", argc, argv, &err);
	ql_free_words(argc, argv);
	assert_non_null(t);
	double open_ms = ms_since(&t0);
	double worst = 0;
	for (int i = 0; i < 3; i++) {
		clock_gettime(CLOCK_MONOTONIC, &t0);
		key(t, 'b');
		double d = ms_since(&t0);
		worst = d > worst ? d : worst;
	}
	expect_text(t, "values...");
	print_message("4M values: open %.1f ms, worst key %.1f ms while computing (ASan build)\n", open_ms,
		      worst);
	assert_true(worst < 100);
	/* int8 -> int7 -> int6 -> int5: the last one wins */
	wait_text(t, "qmin -15  qmax 15");
	ql_tui_idle(t, 100);
	expect_text(t, "--dtype int5");
	expect_no_text(t, "values...");
	/* the mse calibration of 4M values takes a while: its progress shows as
	 * a percentage of ql_quantize's jobs, rising (percentile on the way is
	 * cancelled) */
	key(t, 'c');
	key(t, 'c');
	int seen = 0, last = -1;
	for (int i = 0; i < 3000 && find_row(t, "--calib mse") < 0; i++) {
		ql_tui_idle(t, 20);
		int y = find_row(t, "values...");
		if (y < 0)
			continue;
		const char *r = row(t, y);
		const char *q = strstr(r, "quantizing 4194304 values... ");
		if (q) {
			int pct = atoi(q + strlen("quantizing 4194304 values... "));
			assert_non_null(strchr(q, '%'));
			assert_true(pct >= last && pct <= 100);
			last = pct;
			seen++;
		}
	}
	print_message("progress seen %d times, last %d%%\n", seen, last);
	assert_true(seen >= 1);
	wait_text(t, "--calib mse");
	expect_no_text(t, "values...");
	ql_tui_close(t);
	unlink(path);
}

/* From home: "Quantize a tensor" opens the first sample (hand12.npy); n
 * steps on; the prompt's `quantize FILE --tui` opens the explorer on top;
 * with QLENS_DATADIR pointing elsewhere the samples are not found. */
/* A block format of blockfmt.h (q4_k: sub-block scales and mins, so no one
 * grid of levels per unit) opens with its figures and an empty grid; the
 * same for the ternary tq2_0. */
static void test_table_block_formats(void **state)
{
	(void)state;
	ql_tui *t = open_q(H, W, "assets/samples/synth_laplace.npy --dtype q4_k");
	wait_text(t, "SQNR");
	expect_text(t, "--dtype q4_k");
	expect_text(t, "4.5");
	ql_tui_close(t);
	t = open_q(H, W, "assets/samples/synth_laplace.npy --dtype tq2_0");
	wait_text(t, "SQNR");
	expect_text(t, "--dtype tq2_0");
	ql_tui_close(t);
}

static void test_entry_points(void **state)
{
	(void)state;
	ql_error err = {{0}};
	ql_tui *t = ql_tui_open_virtual("xterm-256color", H, W, NULL, NULL, &err);
	assert_non_null(t);
	expect_text(t, "Quantize a tensor");
	/* its home entry, wherever the menu lists it */
	assert_int_equal(ql_tui_feed_click(t, find_row(t, "Quantize a tensor"), 10), 0);
	expect_text(t, "hand12.npy");
	key(t, 'n');
	expect_text(t, "synth_gaussian.npy");
	/* f: any file, with quantize's words */
	ql_tui_feed_keys(t, "fassets/samples/synth_bimodal.npy --dtype int2\r");
	expect_text(t, "synth_bimodal.npy");
	expect_text(t, "qmin -1  qmax 1");
	key(t, 'q');
	ql_tui_feed_keys(t, ":quantize assets/samples/synth_uniform.npy --dtype int4 --asym --tui\r");
	expect_text(t, "synth_uniform.npy");
	expect_text(t, "--dtype int4 --asym");
	key(t, 'q');
	expect_text(t, "Pick something to explore");
	/* a tensor with NaN: the core's refusal, nothing opened */
	char path[300], cmd[400];
	snprintf(path, sizeof path, "%s/nan.npy", state_dir);
	float v[3] = {1.0f, NAN, 2.0f};
	int64_t shape[1] = {3};
	ql_writer *w;
	assert_int_equal(ql_writer_open(path, true, &w, &err), 0);
	assert_int_equal(ql_writer_add(w, "nan", QL_DT_F32, shape, 1, v, &err), 0);
	assert_int_equal(ql_writer_close(w, &err), 0);
	snprintf(cmd, sizeof cmd, ":quantize %s --tui\r", path);
	ql_tui_feed_keys(t, cmd);
	expect_text(t, "not finite");
	expect_text(t, "Pick something to explore");
	/* a bad option: the command's own message, nothing opened */
	ql_tui_feed_keys(t, ":quantize assets/samples/synth_uniform.npy --dtype int9 --tui\r");
	expect_text(t, "int9");
	expect_text(t, "Pick something to explore");
	ql_tui_close(t);
	/* the samples are found with ql_data_path: a $QLENS_DATADIR without
	 * them is an error naming it, and home stays */
	setenv("QLENS_DATADIR", state_dir, 1);
	t = ql_tui_open_virtual("xterm-256color", H, W, NULL, NULL, &err);
	assert_non_null(t);
	assert_int_equal(ql_tui_feed_click(t, find_row(t, "Quantize a tensor"), 10), 0);
	expect_text(t, "not in $QLENS_DATADIR");
	expect_text(t, "Pick something to explore");
	ql_tui_close(t);
	unsetenv("QLENS_DATADIR");
}

/* Writes n float32 values to state_dir/name as .npy; the path into
 * path[300]. */
static void write_npy(char *path, const char *name, const float *v, int64_t n)
{
	ql_writer *w;
	ql_error err;
	int64_t shape[1] = {n};
	snprintf(path, 300, "%s/%s", state_dir, name);
	assert_int_equal(ql_writer_open(path, true, &w, &err), 0);
	assert_int_equal(ql_writer_add(w, "t", QL_DT_F32, shape, 1, v, &err), 0);
	assert_int_equal(ql_writer_close(w, &err), 0);
}

/* The columns of row y that are not blank, from the left (at most max);
 * returns how many. */
static int bars_at(ql_tui *t, int y, int *cols, int max)
{
	int n = 0, c = 0;
	for (const unsigned char *p = (const unsigned char *)row(t, y); *p; p++) {
		if ((*p & 0xC0) == 0x80)
			continue; /* inside a glyph */
		if (*p != ' ' && n < max)
			cols[n++] = c;
		c++;
	}
	return n;
}

/* The values' histogram holds the largest value, on the view's right end
 * ([-1, 1, 0.5]: three bars, 1 in the last column; hand12's 3.5; one value
 * alone), as the inspector's histogram does. */
static void test_value_histogram_ends(void **state)
{
	(void)state;
	static const struct {
		float v[3];
		int n, bars;
	} cases[] = {{{-1.0f, 1.0f, 0.5f}, 3, 3}, {{3.0f}, 1, 1}, {{-2.0f, 4.0f}, 2, 2}};
	for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
		char path[300], line[400];
		write_npy(path, "ends.npy", cases[k].v, cases[k].n);
		snprintf(line, sizeof line, "%s --dtype int4", path);
		ql_tui *t = open_q(H, W, line);
		int y = find_row(t, "┴") - 1, cols[8]; /* the bottom row of bars */
		int n = bars_at(t, y, cols, 8);
		if (n != cases[k].bars || cols[n - 1] != W - 2) {
			dump(t);
			fail_msg("case %zu: %d bars, the last at column %d", k, n, n ? cols[n - 1] : -1);
		}
		ql_tui_close(t);
		unlink(path);
	}
	ql_tui *t = open_q(H, W, "assets/samples/hand12.npy --dtype int4");
	int cols[16], n = bars_at(t, find_row(t, "┴") - 1, cols, 16);
	assert_true(n >= 11); /* -3.1's fine bin may reach over two columns */
	assert_int_equal(cols[n - 1], W - 2);
	ql_tui_close(t);
}

/* Every error 0 (an all-zero tensor; one value on the grid): the error
 * view is one bar at 0, in the middle of its axis -0.5 .. 0.5, not a block
 * over the bin [0, 0.5] that counts them. */
static void test_errors_all_zero(void **state)
{
	(void)state;
	float zeros[64] = {0}, one[1] = {3.0f};
	char path[300], line[400];
	for (int k = 0; k < 2; k++) {
		write_npy(path, "zero_err.npy", k ? one : zeros, k ? 1 : 64);
		snprintf(line, sizeof line, "%s --dtype %s", path, k ? "int4" : "int8");
		ql_tui *t = open_q(H, W, line);
		expect_text(t, "max|e| 0 ");
		int y = find_row(t, "error = x"), cols[8];
		assert_true(y > 0);
		assert_true(strncmp(row(t, y), " -0.5 ", 6) == 0);
		for (int r = y - 1; r > y - 3; r--) {
			int n = bars_at(t, r, cols, 8);
			if (n != 1 || cols[0] != 1 + (W - 2) / 2) {
				dump(t);
				fail_msg("%s: row %d: %d bars, the first at column %d", line, r, n, n ? cols[0] : -1);
			}
		}
		ql_tui_close(t);
		unlink(path);
	}
}

/* The words of row y between the axis's glyphs (├ ┤ ┼ ─ and spaces), each
 * of which must be one of `allowed` (NULL-terminated). */
static void expect_words(ql_tui *t, int y, const char *const *allowed)
{
	char buf[4096];
	snprintf(buf, sizeof buf, "%s", row(t, y));
	static const char *const glyphs[] = {"├", "┤", "┼", "─"};
	for (size_t g = 0; g < sizeof glyphs / sizeof glyphs[0]; g++)
		for (char *p; (p = strstr(buf, glyphs[g]));)
			memset(p, ' ', strlen(glyphs[g]));
	for (char *save = NULL, *wd = strtok_r(buf, " ", &save); wd; wd = strtok_r(NULL, " ", &save)) {
		bool ok = false;
		for (const char *const *a = allowed; *a && !ok; a++)
			ok = strcmp(wd, *a) == 0;
		if (!ok) {
			dump(t);
			fail_msg("row %d: '%s' is not a whole label", y, wd);
		}
	}
}

/* Labels never overwrite one another: with the outlier the clip is a few
 * columns wide, and the lo clip's label, with no room left of the axis,
 * is left out rather than cut by the zero's ┼ ("├-3.┼44┤"); the error
 * axis's legend moves left of the right end's label instead of being cut
 * by it ("█ rou 4"); the cursor's ▲ hides a label under it whole. */
static void test_labels_apart(void **state)
{
	(void)state;
	ql_tui *t = open_q(H, W, "assets/samples/synth_laplace.npy --dtype int4");
	ql_tui_feed_keys(t, "cco");
	expect_text(t, "+1 outlier");
	for (int logc = 0; logc < 2; logc++) {
		int yc = find_row(t, "clip [");
		assert_true(yc > 0);
		char lo[32] = "", hi[32] = "";
		assert_int_equal(sscanf(strstr(row(t, yc), "clip [") + 6, "%31[^,], %31[^]]", lo, hi), 2);
		int y = find_row(t, "├");
		assert_true(y > 0);
		const char *const ends[] = {lo, hi, NULL};
		const char *const codes[] = {"-7", "7", "zero", "point", "0", NULL};
		expect_words(t, y, ends);
		expect_words(t, y + 1, codes);
		expect_text(t, logc ? "error = x̂ - x   █ rounding  ▒ clipping  (log counts)"
				    : "error = x̂ - x   █ rounding  ▒ clipping");
		key(t, 'L');
	}
	/* the cursor at the right end: the end's label is left out, not cut
	 * by the ▲ ("73.▲") */
	key(t, KEY_END);
	const char *const values[] = {"-7.688", "76.88", "0", "▲", NULL};
	int y = find_row(t, "┴") + 2;
	assert_non_null(strstr(row(t, y), "▲"));
	expect_words(t, y, values);
	ql_tui_close(t);
}

/* The cursor's readout "▲ X → code C → X̂" at the top right, from the ▲ on;
 * and the column of the ▲ under the grid (-1: none). */
static void cursor_read(ql_tui *t, char *buf, size_t n, int *col)
{
	const char *r = strstr(row(t, 1), "▲ ");
	if (!r) {
		dump(t);
		fail_msg("no cursor readout");
	}
	snprintf(buf, n, "%s", r);
	int y = find_row(t, "┴") + 2;
	char labels[4096];
	snprintf(labels, sizeof labels, "%s", row(t, y));
	const char *a = strstr(labels, "▲");
	*col = -1;
	if (a) { /* the column: the glyphs before it */
		*col = 0;
		for (const char *p = labels; p < a; p++)
			*col += (*p & 0xC0) != 0x80;
	}
}

/* The cursor is a value: a resize (200x60 -> 80x24 -> 200x60) keeps it on
 * -7.063 of synth_outliers (it became 72.66 at the right edge, over the
 * axis's label), each width showing it at that value's column; z zooms at
 * it and keeps it. */
static void test_cursor_kept(void **state)
{
	(void)state;
	ql_tui *t = open_q(60, 200, "assets/samples/synth_outliers.npy");
	for (int i = 0; i < 10; i++)
		key(t, KEY_LEFT);
	char first[256], now[256];
	int c0, c;
	cursor_read(t, first, sizeof first, &c0);
	assert_true(c0 > 0);
	const int sizes[][2] = {{24, 80}, {30, 100}, {60, 200}};
	for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
		ql_tui_resize(t, sizes[k][0], sizes[k][1]);
		cursor_read(t, now, sizeof now, &c);
		if (strcmp(now, first)) {
			dump(t);
			fail_msg("%dx%d: '%s', was '%s'", sizes[k][1], sizes[k][0], now, first);
		}
		/* -7.063 of -73.6 .. 73.6: 45% of the plot's width, from column 1 */
		double x = strtod(first + strlen("▲ "), NULL);
		int want = 1 + (int)((x + 73.6) / (2 * 73.6) * (sizes[k][1] - 2));
		if (c < want - 1 || c > want + 1) {
			dump(t);
			fail_msg("%dx%d: the ▲ at column %d, not %d", sizes[k][1], sizes[k][0], c, want);
		}
	}
	assert_int_equal(c, c0);
	key(t, 'z');
	cursor_read(t, now, sizeof now, &c);
	assert_string_equal(now, first);
	assert_true(abs(c - 100) <= 1); /* the middle: zoomed at the cursor */
	ql_tui_close(t);
}

/* A big tensor's load says 'reading ...' while it holds the screen, and
 * the note is gone once the tensor is shown. */
static void test_big_load_note(void **state)
{
	(void)state;
	int64_t n = (int64_t)4 << 20;
	float *v = malloc((size_t)n * sizeof *v);
	assert_non_null(v);
	for (int64_t i = 0; i < n; i++)
		v[i] = (float)(i % 1000) / 1000.0f - 0.5f;
	char path[300], line[400];
	write_npy(path, "big4m.npy", v, n);
	free(v);
	snprintf(line, sizeof line, "%s --dtype int8", path);
	ql_tui *t = open_q(H, W, line);
	expect_text(t, "4194304 values");
	expect_no_text(t, "reading");
	ql_tui_close(t);
	unlink(path);
}

/* An empty tensor per channel has no scales: the readout says so instead
 * of reading scale #0 of none (ASan: a read past a zero-size buffer). */
static void test_empty_per_channel(void **state)
{
	(void)state;
	char path[300], line[400];
	float none = 0;
	write_npy(path, "empty.npy", &none, 0);
	snprintf(line, sizeof line, "%s --dtype int8 --axis 0", path);
	ql_tui *t = open_q(H, W, line);
	expect_text(t, "no scales (no values)");
	key(t, 'g'); /* per group: still nothing, nothing read */
	expect_text(t, "no scales (no values)");
	ql_tui_close(t);
}

/* f on a file with NaN and inf: the tensor shown stays, keys and all, and
 * the core's refusal is readable whole at 80 columns (the status line cuts
 * it; the screen shows it wrapped until the next key). */
static void test_open_refused(void **state)
{
	(void)state;
	float v[100];
	for (int i = 0; i < 100; i++)
		v[i] = (float)i / 50.0f - 1.0f;
	v[10] = NAN;
	v[20] = INFINITY;
	char path[300], keys[400];
	write_npy(path, "nan100.npy", v, 100);
	ql_tui *t = open_q(H, W, "assets/samples/hand12.npy --dtype int4");
	snprintf(keys, sizeof keys, "f%s\r", path);
	ql_tui_feed_keys(t, keys);
	ql_tui_idle(t, 50);
	expect_text(t, "hand12.npy [12] 12 values");
	expect_text(t, "qmin -7  qmax 7");
	expect_no_text(t, "values...");
	/* the message in full: the status line goes on in the row above it */
	char both[2048];
	char first[1024];
	snprintf(first, sizeof first, "%s", row(t, H - 2));
	tu_join_rows(first, row(t, H - 1), both, sizeof both);
	if (!strstr(both, "not finite (the first at index 10: nan); qlens quantizes finite values only")) {
		print_message("%s\n", both);
		fail_msg("the refusal is not whole on the status line");
	}
	for (int y = 0; y < H - 2; y++) /* once: not over the picture too */
		assert_null(strstr(row(t, y), "not finite"));
	key(t, 'b');
	expect_text(t, "--dtype int3");
	expect_text(t, "qmin -3  qmax 3");
	expect_no_text(t, "not finite");
	ql_tui_close(t);
	unlink(path);
}

/* Embedded as a widget: drawn into a 100x30 part of a 140x45 terminal,
 * the explorer stays inside it, and fits its picture to it. */
static void test_embedded(void **state)
{
	(void)state;
	ql_tui *t = open_q(45, 140, "assets/samples/hand12.npy --dtype int4");
	char before[45][512];
	for (int y = 0; y < 45; y++)
		snprintf(before[y], sizeof before[y], "%s", row(t, y));
	ql_tui_draw_embedded(t, 8, 20, 30, 100);
	for (int y = 0; y < 45; y++) {
		const char *r = row(t, y);
		if (y < 8 || y >= 38) {
			assert_string_equal(r, before[y]);
			continue;
		}
		/* the columns left of the widget are as before */
		assert_int_equal(strncmp(r, before[y], 20 - 1), 0);
	}
	/* its ticks span the widget's width: 15 levels, codes -7 .. 7 */
	int y = find_row(t, "-7   ");
	assert_true(y >= 8 && y < 38);
	const char *r = row(t, y);
	assert_non_null(strstr(r, " 7"));
	ql_tui_close(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hand12_exact),
		cmocka_unit_test(test_readout_equals_cli),
		cmocka_unit_test(test_bits_and_symmetry),
		cmocka_unit_test(test_manual_clip),
		cmocka_unit_test(test_calibration_marks),
		cmocka_unit_test(test_outlier),
		cmocka_unit_test(test_per_channel),
		cmocka_unit_test(test_mono_ascii),
		cmocka_unit_test(test_background),
		cmocka_unit_test(test_entry_points),
		cmocka_unit_test(test_open_refused),
		cmocka_unit_test(test_empty_per_channel),
		cmocka_unit_test(test_big_load_note),
		cmocka_unit_test(test_value_histogram_ends),
		cmocka_unit_test(test_errors_all_zero),
		cmocka_unit_test(test_labels_apart),
		cmocka_unit_test(test_cursor_kept),
		cmocka_unit_test(test_table_block_formats),
		cmocka_unit_test(test_embedded),
	};
	return cmocka_run_group_tests(tests, setup_env, teardown_env);
}
