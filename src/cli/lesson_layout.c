/* lesson_layout.c — a lesson's step laid out as lines for a width
 * (lessonview.h): prose wrapped with its markup, widgets with their output,
 * quizzes and tasks in their current state; and the whole lesson as plain
 * text for --print.
 */
#include "qlens/lessonview.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lesson_impl.h"

/* ---- layout ------------------------------------------------------------- */

void ql_lv_lines_free(ql_lv_lines *ls)
{
	for (int i = 0; i < ls->n; i++)
		free(ls->v[i].text);
	free(ls->v);
	memset(ls, 0, sizeof *ls);
}

static int add(ql_lv_lines *ls, ql_lv_role role, int block, int choice, unsigned attrs,
	       const char *text, size_t n)
{
	if (ls->n == ls->cap) {
		int cap = ls->cap ? 2 * ls->cap : 32;
		ql_lv_line *v = realloc(ls->v, (size_t)cap * sizeof *v);
		if (!v)
			return -1;
		ls->v = v;
		ls->cap = cap;
	}
	char *t = strndup(text, n);
	if (!t)
		return -1;
	ls->v[ls->n++] = (ql_lv_line){role, block, choice, attrs, t};
	return 0;
}

static int addf(ql_lv_lines *ls, ql_lv_role role, int block, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static int addf(ql_lv_lines *ls, ql_lv_role role, int block, const char *fmt, ...)
{
	char buf[2048];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	return add(ls, role, block, -1, 0, buf, strlen(buf));
}

void ql_lv_spans(const char *text, unsigned *attrs, ql_lv_span_fn fn, void *ctx)
{
	unsigned a = *attrs;
	const char *run = text;
	for (const char *p = text; *p; p++) {
		bool marker = false;
		if (*p == '`') {
			marker = true;
		} else if (*p == '*' && !(a & QL_LV_INLINE_CODE)) {
			if (!(a & QL_LV_EMPH))
				marker = p[1] && p[1] != ' ' && p[1] != '*';
			else
				marker = p > text && p[-1] != ' ';
		}
		if (!marker)
			continue;
		if (p > run && fn)
			fn(ctx, run, (size_t)(p - run), a);
		a ^= *p == '`' ? QL_LV_INLINE_CODE : QL_LV_EMPH;
		run = p + 1;
	}
	if (*run && fn)
		fn(ctx, run, strlen(run), a);
	*attrs = a;
}

static void count_span(void *ctx, const char *s, size_t n, unsigned attrs)
{
	(void)attrs;
	for (size_t i = 0; i < n; i++)
		*(int *)ctx += ((unsigned char)s[i] & 0xC0) != 0x80;
}

int ql_lv_width(const char *s)
{
	int w = 0;
	unsigned a = 0;
	ql_lv_spans(s, &a, count_span, &w);
	return w;
}

/* Word-wraps text into lines of at most width columns, first line after
 * `first`, the next ones after `indent` (both counted in the width). */
static int wrap(ql_lv_lines *ls, ql_lv_role role, int block, int choice, const char *first,
		const char *indent, const char *text, int width)
{
	size_t tl = strlen(text);
	char *line = malloc(tl + strlen(first) + strlen(indent) + 2);
	if (!line)
		return -1;
	unsigned attrs = 0, start_attrs = 0;
	const char *p = text;
	int rc = 0;
	bool firstline = true;
	while (*p && rc == 0) {
		strcpy(line, firstline ? first : indent);
		size_t o = strlen(line);
		int lw = ql_lv_width(line);
		bool any = false;
		while (*p) {
			while (*p == ' ')
				p++;
			size_t wl = strcspn(p, " ");
			if (!wl)
				break;
			char word[1024];
			snprintf(word, sizeof word, "%.*s", (int)(wl < 1023 ? wl : 1023), p);
			unsigned a2 = attrs;
			int ww = 0;
			ql_lv_spans(word, &a2, count_span, &ww);
			if (any && lw + 1 + ww > width)
				break;
			if (any)
				line[o++] = ' ', lw++;
			memcpy(line + o, p, wl);
			o += wl;
			lw += ww;
			attrs = a2;
			any = true;
			p += wl;
		}
		line[o] = '\0';
		rc = add(ls, role, block, choice, start_attrs, line, o);
		start_attrs = attrs;
		firstline = false;
	}
	if (!*text)
		rc = add(ls, role, block, choice, 0, first, strlen(first));
	free(line);
	return rc;
}

/* Wraps a line of output at blanks (runs of blanks kept), next lines
 * after `indent`; a word longer than the width is cut. */
static int wrap_raw(ql_lv_lines *ls, ql_lv_role role, int block, const char *indent,
		    const char *line, int width)
{
	size_t il = strlen(indent);
	const char *p = line;
	bool first = true;
	while (*p) {
		int room = width - (first ? 0 : (int)il);
		size_t n = strlen(p);
		size_t cut = n;
		if ((int)n > room) {
			cut = (size_t)room;
			while (cut > 0 && p[cut] != ' ')
				cut--;
			if (cut == 0)
				cut = (size_t)room;
		}
		char buf[1024];
		snprintf(buf, sizeof buf, "%s%.*s", first ? "" : indent, (int)cut, p);
		if (add(ls, role, block, -1, 0, buf, strlen(buf)) != 0)
			return -1;
		p += cut;
		while (*p == ' ')
			p++;
		first = false;
	}
	return 0;
}

static int add_some_lines(ql_lv_lines *ls, ql_lv_role role, int block, const char *prefix,
			  const char *text, int from, int to, int width)
{
	int rc = 0, k = 0;
	size_t pl = strlen(prefix);
	for (const char *p = text; *p && rc == 0;) {
		size_t n = strcspn(p, "\n");
		k++;
		if (from && (k < from || k > to)) {
			p += n + (p[n] == '\n');
			continue;
		}
		char *l = malloc(pl + n + 1);
		if (!l)
			return -1;
		memcpy(l, prefix, pl);
		memcpy(l + pl, p, n);
		l[pl + n] = '\0';
		/* a wide line (a table) is kept whole: the player clips it and
		 * shows the whole output in its pager */
		(void)width;
		rc = add(ls, role, block, -1, 0, l, pl + n);
		free(l);
		p += n + (p[n] == '\n');
	}
	return rc;
}

static int add_text_lines(ql_lv_lines *ls, ql_lv_role role, int block, const char *prefix,
			  const char *text)
{
	return add_some_lines(ls, role, block, prefix, text, 0, 0, 0);
}

static int wrap_expanded(ql_lv_lines *ls, ql_lv_role role, int block, int choice,
			 const char *first, const char *indent, const char *text, int width,
			 ql_error *err)
{
	char *t;
	if (ql_lesson_expand(text, &t, err) != 0)
		return -1;
	int rc = wrap(ls, role, block, choice, first, indent, t, width);
	free(t);
	return rc;
}

static char *join_words(int argc, char **argv)
{
	size_t n = 1;
	for (int i = 0; i < argc; i++)
		n += strlen(argv[i]) + 1;
	char *s = malloc(n);
	if (!s)
		return NULL;
	s[0] = '\0';
	for (int i = 0; i < argc; i++) {
		if (i)
			strcat(s, " ");
		strcat(s, argv[i]);
	}
	return s;
}

static const char *const op_names[] = {"<", "<=", ">", ">=", "=", "!="};

static int render_quiz(ql_lesson_run *r, int s, int bi, int width, ql_lv_lines *ls, ql_error *err)
{
	const ql_lesson_block *b = &r->l->steps[s].blocks[bi];
	ql_lv_block *x = blk(r, s, bi);
	if (wrap_expanded(ls, QL_LV_QUIZ, bi, -1, "? ", "  ", b->text, width, err) != 0)
		return -1;
	for (int c = 0; c < b->nchoices; c++) {
		char first[16];
		snprintf(first, sizeof first, "  %c) ", 'a' + c);
		if (wrap_expanded(ls, QL_LV_CHOICE, bi, c, first, "     ", b->choices[c], width, err))
			return -1;
	}
	char m = ql_lesson_mark_get(&r->prog, s, bi);
	double v = 0;
	char val[128] = "";
	if (b->answer) {
		if (ql_lesson_quiz_value(b, &v, err) != 0)
			return -1;
		ql_lesson_format(v, "", val, sizeof val, NULL);
	}
	if (r->print) {
		if (b->answer)
			addf(ls, QL_LV_RIGHT, bi, "  Answer: %s%s", val,
			     b->tol > 0 ? " (give or take a little)" : "");
		else
			addf(ls, QL_LV_RIGHT, bi, "  Answer: %c) %s", 'a' + b->right,
			     b->choices[b->right]);
		if (b->explain)
			return wrap_expanded(ls, QL_LV_DIM, bi, -1, "  ", "  ", b->explain, width, err);
		return 0;
	}
	if (b->answer && !m)
		return addf(ls, QL_LV_DIM, bi, "  Your answer: (Tab selects this quiz, Enter types it)");
	if (!b->answer && !m)
		return addf(ls, QL_LV_DIM, bi, "  (Tab selects this quiz, Up/Down a choice, Enter answers)");
	if (b->answer && x->entered)
		addf(ls, QL_LV_DIM, bi, "  Your answer: %s", x->entered);
	if (m == 'r') {
		addf(ls, QL_LV_RIGHT, bi, "  Right!%s%s", b->answer ? " It is " : "", b->answer ? val : "");
		if (b->explain)
			return wrap_expanded(ls, QL_LV_RIGHT, bi, -1, "  ", "  ", b->explain, width, err);
	} else if (m == 'w') {
		addf(ls, QL_LV_WRONG, bi, "  Not quite: try again.");
		if (b->hint)
			return wrap_expanded(ls, QL_LV_WRONG, bi, -1, "  Hint: ", "  ", b->hint, width, err);
	}
	return 0;
}

static int render_task(ql_lesson_run *r, int s, int bi, int width, ql_lv_lines *ls, ql_error *err)
{
	const ql_lesson_block *b = &r->l->steps[s].blocks[bi];
	ql_lv_block *x = blk(r, s, bi);
	if (wrap_expanded(ls, QL_LV_QUIZ, bi, -1, "Task: ", "      ", b->text, width, err) != 0)
		return -1;
	char *line = ql_lesson_task_line(r, s, bi);
	char *dl = malloc(strlen(line ? line : "") + 16);
	if (dl) {
		sprintf(dl, "  $ qlens %s", line ? line : "");
		wrap_raw(ls, QL_LV_WIDGET, bi, "        ", dl, width);
	}
	free(dl);
	free(line);
	if (r->print && !x->checked)
		ql_lesson_task_check(r, s, bi);
	char goal[128];
	double want = 0;
	ql_lesson_calc(b->check_expr, &want, NULL);
	char wv[64];
	ql_lesson_format(want, "", wv, sizeof wv, NULL);
	snprintf(goal, sizeof goal, "%s %s %s", b->check_key, op_names[b->check_op], wv);
	bool done = ql_lesson_mark_get(&r->prog, s, bi) == 'd' || x->met;
	if (x->checked && x->check_err)
		addf(ls, QL_LV_ERROR, bi, "  %s", x->check_err);
	else if (x->checked) {
		char got[64];
		ql_lesson_format(x->value, "g6", got, sizeof got, NULL);
		addf(ls, x->met ? QL_LV_RIGHT : QL_LV_WRONG, bi, "  %s %s = %s (goal: %s)",
		     x->met ? "Done!" : "Not yet:", b->check_key, got, goal);
	} else {
		addf(ls, QL_LV_DIM, bi, "  Goal: %s. %s", goal,
		     done ? "Done before." : r->print ? "" : "Tab selects it, Enter edits and runs it.");
	}
	if (x->checked && !x->met && b->hint)
		return wrap_expanded(ls, QL_LV_WRONG, bi, -1, "  Hint: ", "  ", b->hint, width, err);
	if (x->met && b->explain)
		return wrap_expanded(ls, QL_LV_RIGHT, bi, -1, "  ", "  ", b->explain, width, err);
	return 0;
}

int ql_lesson_render(ql_lesson_run *r, int s, int width, ql_lv_lines *ls, ql_error *err)
{
	const ql_lesson_step *st = &r->l->steps[s];
	memset(ls, 0, sizeof *ls);
	if (width < 20)
		width = 20;
	int rc = wrap_expanded(ls, QL_LV_TITLE, -1, -1, "", "", st->title, width, err);
	for (int bi = 0; bi < st->nblocks && rc == 0; bi++) {
		const ql_lesson_block *b = &st->blocks[bi];
		/* a blank line between blocks, but list items stay together */
		if (!(b->kind == QL_LB_LIST && bi > 0 && st->blocks[bi - 1].kind == QL_LB_LIST))
			add(ls, QL_LV_TEXT, -1, -1, 0, "", 0);
		char *words;
		const char *out;
		int orc = 0;
		switch (b->kind) {
		case QL_LB_TEXT:
			rc = wrap_expanded(ls, QL_LV_TEXT, bi, -1, "", "", b->text, width, err);
			break;
		case QL_LB_LIST:
			rc = wrap_expanded(ls, QL_LV_TEXT, bi, -1, "- ", "  ", b->text, width, err);
			break;
		case QL_LB_HEADING:
			rc = wrap_expanded(ls, QL_LV_HEADING, bi, -1, "", "", b->text, width, err);
			break;
		case QL_LB_CODE: {
			char *t = NULL;
			if ((rc = ql_lesson_expand(b->text, &t, err)) == 0)
				rc = add_text_lines(ls, QL_LV_CODE, bi, "  ", t);
			free(t);
			break;
		}
		case QL_LB_RUN:
		case QL_LB_OPEN:
			words = join_words(b->argc, b->argv);
			if (b->kind == QL_LB_OPEN && !r->print) {
				char *dl = malloc(strlen(words ? words : "") + 64);
				if (dl) {
					sprintf(dl, b->writes ? "[ %s ]  writes a file: Enter runs it"
							      : "[ %s ]  Tab, then Enter opens it; Esc comes back",
						words ? words : "");
					rc = wrap_raw(ls, QL_LV_WIDGET, bi, "    ", dl, width);
				}
				free(dl);
				free(words);
				break;
			}
			if (b->kind == QL_LB_OPEN && !ql_lesson_command_ok(b->argv[0])) {
				addf(ls, QL_LV_WIDGET, bi, "[ %s ]  (a screen: open it in the player)",
				     words ? words : "");
				free(words);
				break;
			}
			{
				char *dl = malloc(strlen(words ? words : "") + 16);
				if (dl) {
					sprintf(dl, "$ qlens %s", words ? words : "");
					rc = wrap_raw(ls, QL_LV_WIDGET, bi, "      ", dl, width);
				}
				free(dl);
			}
			free(words);
			out = ql_lesson_output(r, s, bi, false, &orc);
			if (!out && r->print)
				addf(ls, QL_LV_DIM, bi, "  (writes a file: not run in print)");
			else if (!out)
				addf(ls, QL_LV_DIM, bi, "  (writes a file: Tab selects it, Enter runs it)");
			else
				rc = add_some_lines(ls, orc ? QL_LV_ERROR : QL_LV_OUTPUT, bi, "", out,
						    orc ? 0 : b->from, b->to, width);
			break;
		case QL_LB_QUIZ:
			rc = render_quiz(r, s, bi, width, ls, err);
			break;
		case QL_LB_TASK:
			rc = render_task(r, s, bi, width, ls, err);
			break;
		}
	}
	if (rc != 0) {
		if (!err || !err->msg[0])
			ql_error_set(err, "out of memory");
		ql_lv_lines_free(ls);
	}
	return rc;
}

static void print_span(void *ctx, const char *s, size_t n, unsigned attrs)
{
	FILE *f = ctx;
	if (attrs & QL_LV_INLINE_CODE)
		fprintf(f, "`%.*s`", (int)n, s);
	else
		fwrite(s, 1, n, f);
}

int ql_lesson_print(ql_lesson_run *r, int width, FILE *out, ql_error *err)
{
	const ql_lesson *l = r->l;
	fprintf(out, "%s\n", l->title);
	for (size_t i = strlen(l->title); i > 0; i--)
		fputc('=', out);
	fputc('\n', out);
	if (l->summary)
		fprintf(out, "%s\n", l->summary);
	for (int s = 0; s < l->nsteps; s++) {
		ql_lv_lines ls;
		if (ql_lesson_render(r, s, width, &ls, err) != 0)
			return -1;
		fprintf(out, "\n--- Step %d of %d: ", s + 1, l->nsteps);
		for (int i = 0; i < ls.n; i++) {
			unsigned a = ls.v[i].attrs;
			if (ls.v[i].role == QL_LV_TEXT || ls.v[i].role == QL_LV_TITLE ||
			    ls.v[i].role == QL_LV_HEADING || ls.v[i].role == QL_LV_QUIZ ||
			    ls.v[i].role == QL_LV_CHOICE)
				ql_lv_spans(ls.v[i].text, &a, print_span, out);
			else
				fputs(ls.v[i].text, out);
			fputc('\n', out);
		}
		ql_lv_lines_free(&ls);
	}
	return 0;
}
