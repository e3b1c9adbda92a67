/* screen_file.c — one file's tensors as a tree, like ncdu shows a disk.
 *
 * Arguments: PATH [--tensor NAME]. The file is opened headers only (doc.c),
 * so a checkpoint of many gigabytes shows at once. Each row is a group of
 * the dotted names or a tensor: its tensors, elements, bytes, a bar of its
 * share of the file's bytes, and its dtypes. Enter or Right opens a group
 * (Enter on a tensor opens the tensor view), Left or Backspace closes it or
 * goes to its parent, s sorts by name (numbers in numeric order) or by
 * size, / filters as you type, * opens or closes every group, m shows the
 * metadata. Wide windows (140 columns or more) show the metadata beside
 * the tree.
 */
#include "tui_impl.h"
#include "inspect.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qlens/tensor.h"

typedef struct file_state {
	ql_doc *doc;
	ql_ttree tree;
	int sel, top;
	int page;            /* rows shown at the last frame */
	bool filtering;      /* the '/' prompt is ours */
	char saved_filter[256];
	long start_tensor;   /* --tensor: opened once the screen is up */
	bool all_open;
} file_state;

static void file_close(void *vst)
{
	file_state *st = vst;
	if (!st)
		return;
	ql_ttree_free(&st->tree);
	ql_doc_unref(st->doc);
	free(st);
}

static void *file_open(ql_app *app, int argc, char **argv, ql_error *err)
{
	(void)app;
	const char *path = NULL, *tensor = NULL;
	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--tensor") == 0 || strcmp(argv[i], "-t") == 0) {
			if (i + 1 >= argc) {
				ql_error_set(err, "--tensor needs a tensor's name");
				return NULL;
			}
			tensor = argv[++i];
		} else if (!path) {
			path = argv[i];
		} else {
			ql_error_set(err, "unexpected argument '%s'", argv[i]);
			return NULL;
		}
	}
	if (!path) {
		ql_error_set(err, "which file? (qlens FILE)");
		return NULL;
	}
	file_state *st = calloc(1, sizeof *st);
	if (!st) {
		ql_error_set(err, "out of memory");
		return NULL;
	}
	st->start_tensor = -1;
	if (!(st->doc = ql_doc_open(path, err)))
		goto fail;
	if (tensor && (st->start_tensor = ql_source_find(st->doc->src, tensor)) < 0) {
		ql_error_set(err, "%s: no tensor called '%s'", path, tensor);
		goto fail;
	}
	if (ql_ttree_build(&st->tree, st->doc->src, err))
		goto fail;
	ql_recent_add(path);
	if (st->start_tensor >= 0) {
		int r = ql_ttree_reveal(&st->tree, st->start_tensor);
		st->sel = r > 0 ? r : 0;
	}
	return st;
fail:
	file_close(st);
	return NULL;
}

static void open_tensor(ql_app *app, file_state *st, long tensor)
{
	const ql_tensor *t = ql_source_tensor(st->doc->src, (size_t)tensor);
	char *args[] = {st->doc->path, "--tensor", (char *)t->name, NULL};
	ql_app_push(app, &ql_screen_tensor, 3, args);
}

static void file_opened(ql_app *app, void *vst)
{
	file_state *st = vst;
	if (st->start_tensor >= 0)
		open_tensor(app, st, st->start_tensor);
}

static ql_tnode *sel_node(file_state *st)
{
	if (st->sel < 0 || st->sel >= st->tree.nrows)
		return NULL;
	return &st->tree.nodes[st->tree.rows[st->sel]];
}

static void clamp(file_state *st)
{
	if (st->sel >= st->tree.nrows)
		st->sel = st->tree.nrows - 1;
	if (st->sel < 0)
		st->sel = 0;
}

/* The row of node, or the nearest row above where it was. */
static void select_node(file_state *st, int node)
{
	for (int r = 0; r < st->tree.nrows; r++)
		if (st->tree.rows[r] == node) {
			st->sel = r;
			return;
		}
	clamp(st);
}

static void filter_done(ql_app *app, void *data, const char *line)
{
	(void)app;
	file_state *st = data;
	st->filtering = false;
	ql_tnode *n = sel_node(st);
	int node = n ? (int)(n - st->tree.nodes) : 0;
	ql_ttree_set_filter(&st->tree, st->doc->src, line ? line : st->saved_filter);
	select_node(st, node);
}

static bool file_action(ql_app *app, void *vst, ql_action a)
{
	file_state *st = vst;
	ql_tnode *n = sel_node(st);
	int page = st->page > 1 ? st->page - 1 : 1;
	switch (a) {
	case QL_ACT_UP: st->sel--; break;
	case QL_ACT_DOWN: st->sel++; break;
	case QL_ACT_PAGE_UP: st->sel -= page; break;
	case QL_ACT_PAGE_DOWN: st->sel += page; break;
	case QL_ACT_FIRST: st->sel = 0; break;
	case QL_ACT_LAST: st->sel = st->tree.nrows - 1; break;
	case QL_ACT_OPEN:
	case QL_ACT_RIGHT:
		if (!n)
			break;
		if (n->tensor >= 0) {
			if (a == QL_ACT_OPEN)
				open_tensor(app, st, n->tensor);
		} else if (!st->tree.filter[0]) {
			n->open = a == QL_ACT_RIGHT ? true : !n->open;
			ql_ttree_layout(&st->tree);
		}
		break;
	case QL_ACT_LEFT:
	case QL_ACT_COLLAPSE:
		if (!n)
			break;
		if (n->tensor < 0 && n->open && !st->tree.filter[0]) {
			n->open = false;
			ql_ttree_layout(&st->tree);
		} else if (n->parent > 0) {
			select_node(st, n->parent);
		}
		break;
	case QL_ACT_SORT: {
		int node = n ? (int)(n - st->tree.nodes) : 0;
		ql_ttree_set_sort(&st->tree, st->doc->src,
				  st->tree.sort == QL_TSORT_NAME ? QL_TSORT_SIZE : QL_TSORT_NAME);
		select_node(st, node);
		break;
	}
	case QL_ACT_EXPAND_ALL: {
		int node = n ? (int)(n - st->tree.nodes) : 0;
		st->all_open = !st->all_open;
		ql_ttree_open_all(&st->tree, st->all_open);
		select_node(st, node);
		while (!sel_node(st) && st->sel > 0)
			st->sel--;
		/* the selected row's group, when it was hidden */
		if (!st->all_open && n) {
			int p = node;
			while (p > 0 && st->tree.nodes[p].parent > 0)
				p = st->tree.nodes[p].parent;
			select_node(st, p);
		}
		break;
	}
	case QL_ACT_FILTER:
		snprintf(st->saved_filter, sizeof st->saved_filter, "%s", st->tree.filter);
		st->filtering = true;
		ql_prompt_open(ql_app_prompt(app), QL_PROMPT_VALUE, "/", st->tree.filter, filter_done, st);
		break;
	case QL_ACT_META: {
		ql_source *src = st->doc->src;
		size_t nm = ql_source_meta_count(src);
		char *text = NULL;
		size_t len = 0;
		FILE *f = open_memstream(&text, &len);
		if (!f)
			break;
		if (nm == 0)
			fprintf(f, "%s has no metadata.\n", st->doc->path);
		for (size_t i = 0; i < nm; i++) {
			const ql_meta *m = ql_source_meta(src, i);
			fprintf(f, "%s = %s\n", m->key, m->value);
		}
		fclose(f);
		char title[300];
		snprintf(title, sizeof title, "Metadata of %s", st->doc->path);
		ql_app_show_text(app, title, text, len);
		free(text);
		break;
	}
	default:
		return false;
	}
	clamp(st);
	return true;
}

/* "F16,Q4_0" */
static void dtype_list(uint64_t mask, char *buf, size_t n)
{
	size_t k = 0;
	buf[0] = '\0';
	for (int d = 0; d < QL_DT_COUNT && k + 1 < n; d++)
		if (mask & ((uint64_t)1 << d))
			k += (size_t)snprintf(buf + k, n - k, "%s%s", k ? "," : "",
					      d == QL_DT_OTHER ? "other" : ql_dtypes[d].name);
	if (k >= n)
		buf[n - 1] = '\0';
}

static void draw_bar(const ql_theme *th, WINDOW *w, int y, int x, int width, double share, ql_role r)
{
	int full = (int)(share * width + 0.5);
	if (share > 0 && full == 0)
		full = 1;
	for (int i = 0; i < width; i++)
		ql_put(th, w, y, x + i, 1, i < full ? r : QL_R_DIM, i < full ? th->g.bar : th->g.bar_sub);
}

static void draw_meta_pane(const ql_theme *th, WINDOW *w, const ql_source *src, int y0, int x0, int h, int wd)
{
	size_t nm = ql_source_meta_count(src);
	for (int y = y0; y < y0 + h; y++)
		ql_put(th, w, y, x0, 1, QL_R_FRAME, th->g.vline);
	ql_put(th, w, y0, x0 + 2, wd - 3, QL_R_LABEL, nm ? "Metadata (m: all of it)" : "No metadata");
	int y = y0 + 1;
	for (size_t i = 0; i < nm && y < y0 + h; i++, y++) {
		const ql_meta *m = ql_source_meta(src, i);
		int x = x0 + 2;
		x += ql_put(th, w, y, x, wd - 3, QL_R_DIM, m->key);
		x += ql_put(th, w, y, x, x0 + wd - x, QL_R_DIM, " = ");
		ql_put(th, w, y, x, x0 + wd - x, QL_R_NORMAL, m->value);
	}
}

static void file_draw(ql_app *app, void *vst, WINDOW *w)
{
	file_state *st = vst;
	const ql_theme *th = ql_app_theme(app);
	ql_ttree *tr = &st->tree;
	const ql_source *src = st->doc->src;
	int h = getmaxy(w), cols = getmaxx(w);

	/* following the filter as it is typed */
	if (st->filtering && ql_prompt_active(ql_app_prompt(app))) {
		const char *typed = ql_prompt_text(ql_app_prompt(app));
		if (strcmp(typed, tr->filter) != 0) {
			ql_ttree_set_filter(tr, src, typed);
			clamp(st);
		}
	}

	int wd = cols;
	if (cols >= 140) {
		wd = cols * 3 / 5;
		draw_meta_pane(th, w, src, 0, wd, h, cols - wd);
	}
	const ql_tnode *root = &tr->nodes[0];
	char a[32], b[32], line[1024];
	ql_fmt_count(root->nelem, a, sizeof a);
	ql_fmt_bytes(root->bytes, b, sizeof b);
	snprintf(line, sizeof line, "%lld tensors %s %s elements %s %s %s %s %s ", (long long)root->ntensors,
		 th->g.sep, a, th->g.sep, b, th->g.sep, ql_source_format(src), th->g.sep);
	int px = 1 + ql_put_fit(th, w, 0, 1, wd - 2, QL_R_LABEL, line);
	ql_put_path(th, w, 0, px, wd - 1 - px, QL_R_LABEL, st->doc->path);

	/* columns, from the right */
	bool narrow = wd < 100;
	/* at 80 columns the bar alone tells the share: the names need the room */
	int w_dt = narrow ? 12 : 18, w_bar = narrow ? 5 : 12, w_pct = narrow ? -1 : 6, w_bytes = narrow ? 9 : 10,
	    w_el = narrow ? 8 : 9, w_cnt = 7;
	int x_dt = wd - 1 - w_dt;
	int x_bar = x_dt - 1 - w_bar;
	int x_pct = x_bar - 1 - w_pct;
	int x_bytes = x_pct - 1 - w_bytes;
	int x_el = x_bytes - 1 - w_el;
	int x_cnt = x_el - 1 - w_cnt;
	int w_name = x_cnt - 2;
	ql_put(th, w, 1, 1, w_name, QL_R_DIM, "name");
	ql_put(th, w, 1, x_cnt + w_cnt - 7, 7, QL_R_DIM, "tensors");
	ql_put(th, w, 1, x_el + w_el - 8, 8, QL_R_DIM, "elements");
	ql_put(th, w, 1, x_bytes + w_bytes - 5, 5, QL_R_DIM, "bytes");
	ql_put(th, w, 1, w_pct > 0 ? x_pct : x_bar, w_pct + 1 + w_bar, QL_R_DIM, w_pct > 0 ? " share" : "share");
	ql_put(th, w, 1, x_dt, w_dt, QL_R_DIM, "dtypes");

	int y0 = 2, rows = h - y0 - 1;
	if (rows < 1)
		rows = 1;
	st->page = rows;
	if (st->sel < st->top)
		st->top = st->sel;
	if (st->sel >= st->top + rows)
		st->top = st->sel - rows + 1;
	if (st->top > tr->nrows - rows)
		st->top = tr->nrows - rows > 0 ? tr->nrows - rows : 0;
	bool filtering = tr->filter[0] != '\0';
	uint64_t total = root->bytes ? root->bytes : 1;
	for (int r = st->top; r < tr->nrows && r < st->top + rows; r++) {
		int y = y0 + r - st->top;
		const ql_tnode *n = &tr->nodes[tr->rows[r]];
		bool sel = r == st->sel;
		ql_role base = sel ? QL_R_SELECTED : QL_R_NORMAL;
		if (sel) {
			for (int x = 0; x < wd; x++)
				ql_put(th, w, y, x, 1, QL_R_SELECTED, " ");
		}
		int x = 1 + 2 * tr->depth[r];
		if (x > w_name / 2)
			x = w_name / 2;
		const char *mark = n->tensor >= 0 ? " " : n->open || filtering ? (th->utf8 ? "▾" : "-") : th->g.pointer;
		x += ql_put(th, w, y, x, 2, sel ? base : QL_R_DIM, mark);
		x++;
		int room = w_name - x + 1;
		ql_role lr = n->tensor >= 0 || sel ? base : QL_R_LABEL;
		if (ql_text_width(th, n->label) > room && room > 3) {
			/* clipped: the end of the name is what tells leaves apart */
			int ew = ql_text_width(th, th->g.ellipsis);
			x += ql_put(th, w, y, x, ew, QL_R_DIM, th->g.ellipsis);
			const char *tail = n->label + strlen(n->label);
			while (tail > n->label) {
				const char *c = tail - 1; /* whole UTF-8 characters only */
				while (c > n->label && ((unsigned char)*c & 0xC0) == 0x80)
					c--;
				if (ql_text_width(th, c) > room - ew)
					break;
				tail = c;
			}
			ql_put(th, w, y, x, room - ew, lr, tail);
		} else {
			ql_put(th, w, y, x, room, lr, n->label);
		}
		int64_t cnt = filtering ? n->f_ntensors : n->ntensors;
		int64_t el = filtering ? n->f_nelem : n->nelem;
		uint64_t by = filtering ? n->f_bytes : n->bytes;
		uint64_t dt = filtering ? n->f_dtypes : n->dtypes;
		char c[32], e[32], bb[32], pc[16], d[128];
		if (n->tensor < 0) {
			snprintf(c, sizeof c, "%lld", (long long)cnt);
			ql_put(th, w, y, x_cnt + w_cnt - (int)strlen(c), w_cnt, base, c);
		}
		ql_fmt_count(el, e, sizeof e);
		ql_fmt_bytes(by, bb, sizeof bb);
		double share = (double)by / (double)total;
		snprintf(pc, sizeof pc, "%5.1f%%", share * 100);
		ql_put(th, w, y, x_el + w_el - (int)strlen(e), w_el, base, e);
		ql_put(th, w, y, x_bytes + w_bytes - (int)strlen(bb), w_bytes, base, bb);
		if (w_pct > 0)
			ql_put(th, w, y, x_pct, w_pct, base, pc);
		draw_bar(th, w, y, x_bar, w_bar, share, sel ? QL_R_SELECTED : QL_R_AXIS);
		if (n->tensor >= 0 && ql_source_tensor(src, (size_t)n->tensor)->dtype == QL_DT_OTHER)
			snprintf(d, sizeof d, "%s", ql_source_tensor(src, (size_t)n->tensor)->other_name);
		else
			dtype_list(dt, d, sizeof d);
		if ((int)strlen(d) > w_dt) {
			/* clipped: say so */
			int ew = ql_text_width(th, th->g.ellipsis);
			ql_put(th, w, y, x_dt, w_dt - ew, base, d);
			ql_put(th, w, y, x_dt + w_dt - ew, ew, base, th->g.ellipsis);
		} else {
			ql_put(th, w, y, x_dt, w_dt, base, d);
		}
	}
	if (tr->nrows == 0)
		ql_put(th, w, y0, 3, wd - 4, QL_R_DIM,
		       filtering ? "No tensor name contains the filter." : "This file holds no tensors.");

	char foot[1024];
	const ql_tnode *n = sel_node(st);
	char shape[64] = "";
	if (n && n->tensor >= 0) {
		const ql_tensor *t = ql_source_tensor(src, (size_t)n->tensor);
		ql_shape_string(t, shape, sizeof shape);
	}
	snprintf(foot, sizeof foot, "%s%s%s  sorted by %s%s%s%s  row %d of %d", n && n->tensor >= 0 ? ql_source_tensor(src, (size_t)n->tensor)->name : "",
		 shape[0] ? " " : "", shape, tr->sort == QL_TSORT_NAME ? "name" : "size",
		 filtering ? "  filter \"" : "", filtering ? tr->filter : "", filtering ? "\"" : "",
		 tr->nrows ? st->sel + 1 : 0, tr->nrows);
	ql_put_fit(th, w, h - 1, 1, wd - 2, QL_R_DIM, foot);
}

static bool file_click(ql_app *app, void *vst, int y, int x)
{
	(void)x;
	file_state *st = vst;
	int r = st->top + y - 2;
	if (y < 2 || r >= st->tree.nrows)
		return false;
	if (r == st->sel)
		return file_action(app, st, QL_ACT_OPEN);
	st->sel = r;
	return true;
}

const ql_screen_ops ql_screen_file = {
	.name = "file",
	.title = "Tensors",
	.scope = QL_SC_FILE,
	.min_lines = 10,
	.min_cols = 60,
	.open = file_open,
	.close = file_close,
	.action = file_action,
	.click = file_click,
	.draw = file_draw,
	.opened = file_opened,
};
