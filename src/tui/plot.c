/* plot.c — bars and axes for the screens: glyphs and scaling only.
 *
 * The numbers come from the core (histograms, levels); this file turns them
 * into cells. Bars are eighth blocks (▁▂▃▄▅▆▇█) in UTF-8 and '#', ':', '.'
 * in ASCII; a second series stacked on the first is drawn in its own glyph
 * (▒ / 'x') and role, so the two stay apart without colour. Log counts
 * scale log10(1 + count).
 */
#include "tui_impl.h"

#include <math.h>

#include "qlens/stats.h"

static const char *const eighths[9] = {" ", "▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"};

void ql_plot_columns(const ql_hist *h, double lo, double hi, int width, double *out)
{
	for (int c = 0; c < width; c++)
		out[c] = 0;
	if (!h || !h->counts || width <= 0 || !(hi > lo))
		return;
	double bw = (h->hi - h->lo) / h->nbins;
	for (int i = 0; i < h->nbins; i++) {
		if (!h->counts[i])
			continue;
		double centre = h->lo + (i + 0.5) * bw;
		int c = ql_plot_col(centre, lo, hi, width);
		if (c >= 0 && c < width)
			out[c] += (double)h->counts[i];
	}
}

int ql_plot_col(double v, double lo, double hi, int width)
{
	double f = (v - lo) / (hi - lo) * width;
	if (f < 0)
		return -1;
	if (f >= width)
		return f < width + 1e-9 ? width - 1 : width;
	return (int)f;
}

static double scaled(double v, bool logc)
{
	return logc ? log10(1.0 + v) : v;
}

void ql_plot_bars(const ql_theme *th, WINDOW *w, int y0, int x0, int rows, const double *a,
		  const double *b, int width, bool logc, ql_role ra, ql_role rb)
{
	double top = 0;
	for (int c = 0; c < width; c++) {
		double t = scaled(a[c] + (b ? b[c] : 0), logc);
		top = t > top ? t : top;
	}
	if (top <= 0 || rows <= 0)
		return;
	for (int c = 0; c < width; c++) {
		double total = scaled(a[c] + (b ? b[c] : 0), logc) / top * rows;
		double part_a = (b && a[c] + b[c] > 0) ? total * a[c] / (a[c] + b[c]) : total;
		/* at least a sliver for any count, so one value is never invisible */
		if (a[c] > 0 && part_a < 1.0 / 8)
			part_a = 1.0 / 8;
		int eighths_a = (int)lround(part_a * 8);
		int cells_b = (b && b[c] > 0) ? (int)ceil(total - eighths_a / 8.0 - 1e-9) : 0;
		if (b && b[c] > 0 && cells_b < 1)
			cells_b = 1;
		int y = y0 + rows - 1;
		for (; eighths_a >= 8 && y >= y0; eighths_a -= 8, y--)
			ql_put(th, w, y, x0 + c, 1, ra, th->utf8 ? eighths[8] : "#");
		if (eighths_a > 0 && y >= y0) {
			const char *g = th->utf8 ? eighths[eighths_a] : eighths_a >= 4 ? ":" : ".";
			ql_put(th, w, y, x0 + c, 1, ra, g);
			y--;
		}
		for (; cells_b > 0 && y >= y0; cells_b--, y--)
			ql_put(th, w, y, x0 + c, 1, rb, th->utf8 ? "▒" : "x");
	}
}

void ql_plot_strip(const ql_theme *th, WINDOW *w, int y, int x0, int width, const float *v, int64_t n,
		   int64_t sel, ql_role r, ql_role rs)
{
	static const char *const ramp = " .:-=+*#@";
	if (n <= 0 || width <= 0)
		return;
	int cols = n < width ? (int)n : width;
	double top = 0;
	for (int64_t i = 0; i < n; i++)
		top = fabs(v[i]) > top ? fabs(v[i]) : top;
	if (!(top > 0))
		return;
	for (int c = 0; c < cols; c++) {
		int64_t a = (int64_t)c * n / cols, b = (int64_t)(c + 1) * n / cols;
		double m = 0;
		for (int64_t i = a; i < b; i++)
			m = fabs(v[i]) > m ? fabs(v[i]) : m;
		int e = (int)ceil(m / top * 8);
		e = e < 1 ? 1 : e > 8 ? 8 : e;
		char g[2] = {ramp[e], 0};
		ql_put(th, w, y, x0 + c, 1, sel >= a && sel < b ? rs : r, th->utf8 ? eighths[e] : g);
	}
}
