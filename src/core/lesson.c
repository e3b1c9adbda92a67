/* lesson.c — the lesson file parser (format: lesson.h, lessons/README.md).
 *
 * Line by line: header lines, then steps ("--- Title"); in a step, fenced
 * code, @-directives, markup lines and prose. Every {=...} of prose, list,
 * heading and quiz text is evaluated once here, so a lesson with a bad
 * expression fails to load with its line instead of showing a hole later.
 */
#include "qlens/lesson.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define MAX_LESSON_BYTES (1u << 20)

static char *dupn(const char *s, size_t n)
{
	char *d = malloc(n + 1);
	if (d) {
		memcpy(d, s, n);
		d[n] = '\0';
	}
	return d;
}

static char *dup(const char *s)
{
	return dupn(s, strlen(s));
}

/* ---- the lesson ------------------------------------------------------------- */

static void free_block(ql_lesson_block *b)
{
	free(b->text);
	ql_lesson_free_words(b->argc, b->argv);
	for (int i = 0; i < b->nchoices; i++)
		free(b->choices[i]);
	free(b->choices);
	free(b->answer);
	free(b->hint);
	free(b->explain);
	free(b->check_key);
	free(b->check_expr);
	for (int i = 0; i < b->nkeep; i++)
		free(b->keep[i]);
	free(b->keep);
}

void ql_lesson_free(ql_lesson *l)
{
	if (!l)
		return;
	for (int s = 0; s < l->nsteps; s++) {
		ql_lesson_step *st = &l->steps[s];
		for (int b = 0; b < st->nblocks; b++)
			free_block(&st->blocks[b]);
		free(st->blocks);
		free(st->title);
		free(st->notes);
	}
	free(l->steps);
	for (int i = 0; i < l->nsources; i++)
		free(l->sources[i]);
	free(l->sources);
	free(l->path);
	free(l->name);
	free(l->title);
	free(l->summary);
	free(l);
}

typedef struct parser {
	ql_lesson *l;
	const char *path;
	int line;
	ql_error *err;
	bool in_code;
	int code_line; /* where the open ``` block began */
	bool para_open; /* the last block is a paragraph that takes more lines */
} parser;

static int fail(parser *p, const char *fmt, const char *arg)
{
	char msg[QL_ERROR_MAX + 64];
	snprintf(msg, sizeof msg, fmt, arg ? arg : "");
	return ql_error_set(p->err, "%s:%d: %s", p->path, p->line, msg);
}

static int grow(void **arr, int n, size_t size)
{
	/* room for one more: arrays hold powers of two, so only a count that
	 * is one (0, 1, 2, 4, ...) is full */
	if (n > 0 && (n & (n - 1)) != 0)
		return 0;
	void *a = realloc(*arr, (size_t)(n ? 2 * n : 1) * size);
	if (!a)
		return -1;
	*arr = a;
	return 0;
}

static int push_str(char ***arr, int *n, const char *s)
{
	char *d = dup(s);
	if (!d || grow((void **)arr, *n, sizeof **arr) != 0) {
		free(d);
		return -1;
	}
	(*arr)[(*n)++] = d;
	return 0;
}

static ql_lesson_step *cur_step(parser *p)
{
	return p->l->nsteps ? &p->l->steps[p->l->nsteps - 1] : NULL;
}

static ql_lesson_block *last_block(parser *p)
{
	ql_lesson_step *st = cur_step(p);
	return st && st->nblocks ? &st->blocks[st->nblocks - 1] : NULL;
}

static ql_lesson_block *new_block(parser *p, ql_lesson_kind kind)
{
	ql_lesson_step *st = cur_step(p);
	if (grow((void **)&st->blocks, st->nblocks, sizeof *st->blocks) != 0)
		return NULL;
	ql_lesson_block *b = &st->blocks[st->nblocks++];
	memset(b, 0, sizeof *b);
	b->kind = kind;
	b->line = p->line;
	b->right = -1;
	return b;
}

/* Checks that every {=...} of s evaluates. */
static int check_expand(parser *p, const char *s)
{
	char *out;
	ql_error e;
	if (ql_lesson_expand(s, &out, &e) != 0)
		return fail(p, "%s", e.msg);
	free(out);
	return 0;
}

static int append_text(parser *p, char **dst, const char *s, const char *sep)
{
	size_t a = *dst ? strlen(*dst) : 0, b = strlen(s), c = *dst ? strlen(sep) : 0;
	char *n = realloc(*dst, a + b + c + 1);
	if (!n)
		return fail(p, "out of memory", NULL);
	memcpy(n + a, sep, c);
	memcpy(n + a + c, s, b + 1);
	*dst = n;
	return 0;
}

static const char *skip_ws(const char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	return s;
}

/* "@word rest": the directive's rest, or NULL when the line is not it. */
static const char *directive(const char *line, const char *word)
{
	size_t n = strlen(word);
	if (strncmp(line, word, n) != 0 || (line[n] && line[n] != ' ' && line[n] != '\t'))
		return NULL;
	return skip_ws(line + n);
}

static int words_block(parser *p, ql_lesson_kind kind, const char *rest, const char *what)
{
	if (!*rest)
		return fail(p, "%s needs a command", what);
	ql_lesson_block *b = new_block(p, kind);
	if (!b)
		return fail(p, "out of memory", NULL);
	ql_error e;
	if (ql_lesson_split(rest, &b->argc, &b->argv, &e) != 0)
		return fail(p, "%s", e.msg);
	if (kind == QL_LB_RUN && strncmp(b->argv[0], "lines=", 6) == 0) {
		char *end;
		long a = strtol(b->argv[0] + 6, &end, 10), z = a;
		if (*end == '-')
			z = strtol(end + 1, &end, 10);
		if (*end || a < 1 || z < a || z > 100000)
			return fail(p, "lines=A-B takes line numbers, 1 <= A <= B: '%s'", b->argv[0]);
		b->from = (int)a;
		b->to = (int)z;
		free(b->argv[0]);
		memmove(b->argv, b->argv + 1, (size_t)b->argc * sizeof *b->argv);
		if (--b->argc == 0)
			return fail(p, "%s needs a command after lines=", what);
	}
	b->writes = ql_lesson_words_write(b->argc, b->argv);
	b->text = dup(rest);
	return b->text ? 0 : fail(p, "out of memory", NULL);
}

static ql_lesson_block *last_of(parser *p, ql_lesson_kind kind)
{
	ql_lesson_block *b = last_block(p);
	return b && b->kind == kind ? b : NULL;
}

static int parse_check(parser *p, ql_lesson_block *b, const char *rest)
{
	/* KEY OP EXPR */
	const char *k = rest;
	while (*rest && *rest != ' ' && *rest != '\t' && !strchr("<>=!", *rest))
		rest++;
	if (rest == k)
		return fail(p, "@check needs KEY OP VALUE, e.g. metrics.sqnr_db > 25", NULL);
	b->check_key = dupn(k, (size_t)(rest - k));
	rest = skip_ws(rest);
	static const struct { const char *s; ql_check_op op; } ops[] = {
		{"<=", QL_OP_LE}, {">=", QL_OP_GE}, {"==", QL_OP_EQ}, {"!=", QL_OP_NE},
		{"<", QL_OP_LT}, {">", QL_OP_GT},
	};
	size_t i;
	for (i = 0; i < sizeof ops / sizeof ops[0]; i++)
		if (strncmp(rest, ops[i].s, strlen(ops[i].s)) == 0)
			break;
	if (i == sizeof ops / sizeof ops[0])
		return fail(p, "@check: no comparison (< <= > >= == !=) after the key", NULL);
	b->check_op = ops[i].op;
	rest = skip_ws(rest + strlen(ops[i].s));
	double v;
	ql_error e;
	if (ql_lesson_calc(rest, &v, &e) != 0)
		return fail(p, "@check: %s", e.msg);
	b->check_expr = dup(rest);
	return b->check_key && b->check_expr ? 0 : fail(p, "out of memory", NULL);
}

static int parse_answer(parser *p, ql_lesson_block *b, const char *rest)
{
	/* EXPR [+- TOL] */
	char *copy = dup(rest);
	if (!copy)
		return fail(p, "out of memory", NULL);
	char *pm = strstr(copy, "+-");
	double tol = 0, v;
	ql_error e;
	if (pm) {
		*pm = '\0';
		if (ql_lesson_calc(pm + 2, &tol, &e) != 0 || !(tol >= 0)) {
			free(copy);
			return fail(p, "@answer: the tolerance after +- is not a number >= 0", NULL);
		}
	}
	if (ql_lesson_calc(copy, &v, &e) != 0) {
		free(copy);
		return fail(p, "@answer: %s", e.msg);
	}
	b->answer = copy;
	b->tol = tol;
	return 0;
}

static int parse_directive(parser *p, const char *line)
{
	const char *r;
	ql_lesson_block *b;
	p->para_open = false;
	if ((r = directive(line, "@run")))
		return words_block(p, QL_LB_RUN, r, "@run");
	if ((r = directive(line, "@open")))
		return words_block(p, QL_LB_OPEN, r, "@open");
	if ((r = directive(line, "@note"))) {
		ql_lesson_step *st = cur_step(p);
		return append_text(p, &st->notes, r, "\n");
	}
	if ((r = directive(line, "@source"))) {
		if (!*r)
			return fail(p, "@source needs text", NULL);
		return push_str(&p->l->sources, &p->l->nsources, r) ? fail(p, "out of memory", NULL) : 0;
	}
	if ((r = directive(line, "@quiz")) || (r = directive(line, "@task"))) {
		bool quiz = line[1] == 'q';
		if (!*r)
			return fail(p, quiz ? "@quiz needs a question" : "@task needs a goal", NULL);
		if (check_expand(p, r) != 0)
			return -1;
		if (!(b = new_block(p, quiz ? QL_LB_QUIZ : QL_LB_TASK)) || !(b->text = dup(r)))
			return fail(p, "out of memory", NULL);
		return 0;
	}
	if ((r = directive(line, "@choice")) || (r = directive(line, "@right"))) {
		if (!(b = last_of(p, QL_LB_QUIZ)))
			return fail(p, "%s outside a @quiz", line[1] == 'c' ? "@choice" : "@right");
		if (b->answer)
			return fail(p, "a quiz has choices or an @answer, not both", NULL);
		if (line[1] == 'r' && b->right >= 0)
			return fail(p, "a quiz has one @right choice", NULL);
		if (!*r)
			return fail(p, "a choice needs text", NULL);
		if (check_expand(p, r) != 0)
			return -1;
		if (line[1] == 'r')
			b->right = b->nchoices;
		if (b->nchoices >= 9)
			return fail(p, "a quiz has at most 9 choices", NULL);
		return push_str(&b->choices, &b->nchoices, r) ? fail(p, "out of memory", NULL) : 0;
	}
	if ((r = directive(line, "@answer"))) {
		if (!(b = last_of(p, QL_LB_QUIZ)))
			return fail(p, "@answer outside a @quiz", NULL);
		if (b->nchoices || b->answer)
			return fail(p, "a quiz has choices or one @answer, not both", NULL);
		return parse_answer(p, b, r);
	}
	if ((r = directive(line, "@hint")) || (r = directive(line, "@explain"))) {
		bool hint = line[1] == 'h';
		b = last_block(p);
		if (!b || (b->kind != QL_LB_QUIZ && b->kind != QL_LB_TASK))
			return fail(p, "%s outside a @quiz or @task", hint ? "@hint" : "@explain");
		if (check_expand(p, r) != 0)
			return -1;
		return append_text(p, hint ? &b->hint : &b->explain, r, " ");
	}
	if ((r = directive(line, "@try"))) {
		if (!(b = last_of(p, QL_LB_TASK)))
			return fail(p, "@try outside a @task", NULL);
		if (b->argv)
			return fail(p, "a task has one @try", NULL);
		ql_error e;
		if (!*r)
			return fail(p, "@try needs a command", NULL);
		if (ql_lesson_split(r, &b->argc, &b->argv, &e) != 0)
			return fail(p, "%s", e.msg);
		b->writes = ql_lesson_words_write(b->argc, b->argv);
		return 0;
	}
	if ((r = directive(line, "@check"))) {
		if (!(b = last_of(p, QL_LB_TASK)))
			return fail(p, "@check outside a @task", NULL);
		if (b->check_key)
			return fail(p, "a task has one @check", NULL);
		return parse_check(p, b, r);
	}
	if ((r = directive(line, "@keep"))) {
		if (!(b = last_of(p, QL_LB_TASK)))
			return fail(p, "@keep outside a @task", NULL);
		if (!*r)
			return fail(p, "@keep needs words", NULL);
		return push_str(&b->keep, &b->nkeep, r) ? fail(p, "out of memory", NULL) : 0;
	}
	char word[32];
	snprintf(word, sizeof word, "%.*s", (int)strcspn(line, " \t"), line);
	return fail(p, "unknown directive %s (see lessons/README.md)", word);
}

/* Whole blocks are checked once the step (or file) ends. */
static int finish_step(parser *p)
{
	ql_lesson_step *st = cur_step(p);
	if (!st)
		return 0;
	int at = p->line; /* a failure names the block's line; reading goes on from here */
	for (int i = 0; i < st->nblocks; i++) {
		ql_lesson_block *b = &st->blocks[i];
		p->line = b->line;
		if (b->kind == QL_LB_QUIZ) {
			if (!b->answer && b->nchoices < 2)
				return fail(p, "a quiz needs two or more @choice/@right, or an @answer", NULL);
			if (!b->answer && b->right < 0)
				return fail(p, "a multiple-choice quiz needs one @right choice", NULL);
		}
		if (b->kind == QL_LB_TASK && (!b->argv || !b->check_key))
			return fail(p, "a task needs a @try command and a @check", NULL);
		if (b->kind == QL_LB_TASK && b->writes)
			return fail(p, "a task's command may not write a file", NULL);
	}
	p->line = at;
	return 0;
}

static int parse_line(parser *p, char *line)
{
	size_t n = strlen(line);
	while (n && (line[n - 1] == '\r' || line[n - 1] == ' ' || line[n - 1] == '\t'))
		line[--n] = '\0';
	ql_lesson *l = p->l;
	if (p->in_code) {
		if (strncmp(line, "```", 3) == 0) {
			p->in_code = false;
			return 0;
		}
		ql_lesson_block *b = last_block(p);
		if (check_expand(p, line) != 0)
			return -1;
		return append_text(p, &b->text, line, b->level++ ? "\n" : "");
	}
	if (line[0] == ';')
		return 0;
	if (strncmp(line, "---", 3) == 0) {
		if (finish_step(p) != 0)
			return -1;
		const char *t = skip_ws(line + 3);
		while (*t == '-')
			t++;
		t = skip_ws(t);
		if (!*t)
			return fail(p, "a step needs a title after ---", NULL);
		if (grow((void **)&l->steps, l->nsteps, sizeof *l->steps) != 0)
			return fail(p, "out of memory", NULL);
		ql_lesson_step *st = &l->steps[l->nsteps++];
		memset(st, 0, sizeof *st);
		st->line = p->line;
		p->para_open = false;
		if (check_expand(p, t) != 0)
			return -1;
		return (st->title = dup(t)) ? 0 : fail(p, "out of memory", NULL);
	}
	if (!cur_step(p)) {
		/* the header */
		if (!line[0])
			return 0;
		const char *r;
		if ((r = directive(line, "title:")))
			return (free(l->title), l->title = dup(r)) ? 0 : fail(p, "out of memory", NULL);
		if ((r = directive(line, "summary:")))
			return (free(l->summary), l->summary = dup(r)) ? 0 : fail(p, "out of memory", NULL);
		if ((r = directive(line, "@source")))
			return parse_directive(p, line) ;
		return fail(p, "before the first step (--- Title) only title:, summary: and @source", NULL);
	}
	if (!line[0]) {
		p->para_open = false;
		return 0;
	}
	if (line[0] == '@')
		return parse_directive(p, line);
	if (line[0] == '\\' && line[1] == '@')
		line++;
	if (strncmp(line, "```", 3) == 0) {
		ql_lesson_block *b = new_block(p, QL_LB_CODE);
		if (!b || !(b->text = dup("")))
			return fail(p, "out of memory", NULL);
		p->in_code = true;
		p->code_line = p->line;
		p->para_open = false;
		return 0;
	}
	if (check_expand(p, line) != 0)
		return -1;
	if (line[0] == '#') {
		int level = line[1] == '#' ? 2 : 1;
		ql_lesson_block *b = new_block(p, QL_LB_HEADING);
		if (!b || !(b->text = dup(skip_ws(line + level))))
			return fail(p, "out of memory", NULL);
		b->level = level;
		p->para_open = false;
		return 0;
	}
	if ((line[0] == '-' || line[0] == '*') && line[1] == ' ') {
		ql_lesson_block *b = new_block(p, QL_LB_LIST);
		if (!b || !(b->text = dup(skip_ws(line + 2))))
			return fail(p, "out of memory", NULL);
		p->para_open = true; /* an indented next line continues the item */
		return 0;
	}
	ql_lesson_block *b = last_block(p);
	if (p->para_open && b && (b->kind == QL_LB_TEXT || b->kind == QL_LB_LIST))
		return append_text(p, &b->text, skip_ws(line), " ");
	b = new_block(p, QL_LB_TEXT);
	if (!b || !(b->text = dup(skip_ws(line))))
		return fail(p, "out of memory", NULL);
	p->para_open = true;
	return 0;
}

static void name_of(const char *path, ql_lesson *l)
{
	const char *base = strrchr(path, '/');
	base = base ? base + 1 : path;
	size_t n = strlen(base);
	if (n > 7 && strcmp(base + n - 7, ".lesson") == 0)
		n -= 7;
	l->name = dupn(base, n);
	l->number = -1;
	if (isdigit((unsigned char)base[0])) {
		char *end;
		long v = strtol(base, &end, 10);
		if (*end == '-' && v >= 0 && v < 1000)
			l->number = (int)v;
	}
}

int ql_lesson_parse(const char *path, const char *text, size_t len, ql_lesson **out,
		    ql_error *err)
{
	ql_lesson *l = calloc(1, sizeof *l);
	if (!l)
		return ql_error_set(err, "out of memory");
	l->path = dup(path);
	name_of(path, l);
	parser p = {.l = l, .path = path, .err = err};
	if (!l->path || !l->name) {
		ql_lesson_free(l);
		return ql_error_set(err, "out of memory");
	}
	if (memchr(text, '\0', len)) {
		ql_lesson_free(l);
		return ql_error_set(err, "%s: not a text file (holds a NUL byte)", path);
	}
	size_t i = 0;
	char *line = NULL;
	while (i < len) {
		size_t j = i;
		while (j < len && text[j] != '\n')
			j++;
		p.line++;
		free(line);
		line = dupn(text + i, j - i);
		if (!line || parse_line(&p, line) != 0) {
			if (!line)
				ql_error_set(err, "out of memory");
			free(line);
			ql_lesson_free(l);
			return -1;
		}
		i = j + 1;
	}
	free(line);
	p.line++;
	if (p.in_code) {
		ql_lesson_free(l);
		p.line = p.code_line; /* the line that opened it, not the file's end */
		return fail(&p, "this ``` code block is not closed", NULL);
	}
	if (finish_step(&p) != 0) {
		ql_lesson_free(l);
		return -1;
	}
	/* the sources make the last step */
	if (l->nsteps > 0 && l->nsources > 0) {
		if (grow((void **)&l->steps, l->nsteps, sizeof *l->steps) != 0) {
			ql_lesson_free(l);
			return ql_error_set(err, "out of memory");
		}
		ql_lesson_step *st = &l->steps[l->nsteps++];
		memset(st, 0, sizeof *st);
		st->line = p.line;
		st->title = dup("Sources");
		for (int k = 0; k < l->nsources && st->title; k++) {
			ql_lesson_block *b = new_block(&p, QL_LB_LIST);
			if (!b || !(b->text = dup(l->sources[k]))) {
				ql_lesson_free(l);
				return ql_error_set(err, "out of memory");
			}
			b->line = p.line;
		}
		if (!st->title) {
			ql_lesson_free(l);
			return ql_error_set(err, "out of memory");
		}
	}
	p.line = 1;
	if (!l->title) {
		ql_lesson_free(l);
		return fail(&p, "no title: line", NULL);
	}
	if (l->nsteps == 0) {
		ql_lesson_free(l);
		return fail(&p, "no steps (a step starts with --- Title)", NULL);
	}
	*out = l;
	return 0;
}

int ql_lesson_load(const char *path, ql_lesson **out, ql_error *err)
{
	/* Regular files only: a FIFO among the lessons would wait for a writer. */
	struct stat st;
	if (stat(path, &st) == 0 && !S_ISREG(st.st_mode))
		return ql_error_set(err, "%s: not a regular file, not a lesson", path);
	FILE *f = fopen(path, "rb");
	if (!f)
		return ql_error_set(err, "%s: %s", path, strerror(errno));
	char *buf = malloc(MAX_LESSON_BYTES + 1);
	if (!buf) {
		fclose(f);
		return ql_error_set(err, "out of memory");
	}
	size_t n = fread(buf, 1, MAX_LESSON_BYTES + 1, f);
	bool bad = ferror(f);
	fclose(f);
	int rc;
	if (bad)
		rc = ql_error_set(err, "%s: cannot read", path);
	else if (n > MAX_LESSON_BYTES)
		rc = ql_error_set(err, "%s: larger than 1 MiB, not a lesson", path);
	else
		rc = ql_lesson_parse(path, buf, n, out, err);
	free(buf);
	return rc;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void ql_lesson_list_free(char **names, int n)
{
	ql_lesson_free_words(n, names);
}

int ql_lesson_list(const char *dir, char ***out, int *n, ql_error *err)
{
	DIR *d = opendir(dir);
	if (!d)
		return ql_error_set(err, "%s: %s", dir, strerror(errno));
	char **v = NULL;
	int k = 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		const char *s = e->d_name;
		size_t len = strlen(s);
		if (len < 10 || !isdigit((unsigned char)s[0]) || !isdigit((unsigned char)s[1]) ||
		    s[2] != '-' || strcmp(s + len - 7, ".lesson") != 0)
			continue;
		if (push_str(&v, &k, s) != 0) {
			closedir(d);
			ql_lesson_list_free(v, k);
			return ql_error_set(err, "out of memory");
		}
	}
	closedir(d);
	if (k)
		qsort(v, (size_t)k, sizeof *v, cmp_str);
	*out = v;
	*n = k;
	return 0;
}
