/* evgolden.h — reads the case files of tests/golden/eval/ (made by
 * tests/golden/gen_eval.py) for test_model.c, test_divergence.c and
 * test_cli_eval.c.
 *
 * A case file is a list of blocks:
 *     case WORD...            (the words are the case's header)
 *     NAME v v v ...          (floats as float.hex(), ints in decimal)
 *     expect KEY VALUE        (any number of them)
 *     end
 * Everything is static inline so each suite includes it alone.
 */
#ifndef QLENS_TESTS_EVGOLDEN_H
#define QLENS_TESTS_EVGOLDEN_H

#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


#define EG_MAX_LINES 64

typedef struct eg_case {
	char head[256];              /* the words after "case" */
	int nlines;
	char *name[EG_MAX_LINES];    /* first word of each data line */
	char *rest[EG_MAX_LINES];    /* the rest of it */
} eg_case;

static inline FILE *eg_open(const char *file)
{
	const char *dir = getenv("QLENS_SRCDIR");
	char path[1024];
	snprintf(path, sizeof path, "%s/tests/golden/eval/%s", dir ? dir : ".", file);
	FILE *f = fopen(path, "r");
	if (!f)
		fprintf(stderr, "cannot open %s (run from the repository root or set QLENS_SRCDIR)\n",
			path);
	return f;
}

static inline void eg_free(eg_case *c)
{
	for (int i = 0; i < c->nlines; i++)
		free(c->name[i]);
	c->nlines = 0;
}

/* The next case of f, or false at the end. */
static inline bool eg_next(FILE *f, eg_case *c)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	memset(c, 0, sizeof *c);
	bool in = false;
	while ((len = getline(&line, &cap, f)) > 0) {
		if (line[len - 1] == '\n')
			line[--len] = '\0';
		if (!in) {
			if (strncmp(line, "case ", 5) == 0) {
				snprintf(c->head, sizeof c->head, "%s", line + 5);
				in = true;
			}
			continue;
		}
		if (strcmp(line, "end") == 0) {
			free(line);
			return true;
		}
		if (c->nlines == EG_MAX_LINES)
			continue;
		char *copy = strdup(line), *sp = strchr(copy, ' ');
		if (sp)
			*sp++ = '\0';
		c->name[c->nlines] = copy;
		c->rest[c->nlines] = sp ? sp : copy + strlen(copy);
		c->nlines++;
	}
	free(line);
	return false;
}

/* The data line NAME (NULL if none). For "expect", the line whose key is
 * `key`. */
static inline const char *eg_line(const eg_case *c, const char *name)
{
	for (int i = 0; i < c->nlines; i++)
		if (strcmp(c->name[i], name) == 0)
			return c->rest[i];
	return NULL;
}

static inline bool eg_expect(const eg_case *c, const char *key, double *v)
{
	size_t kl = strlen(key);
	for (int i = 0; i < c->nlines; i++)
		if (strcmp(c->name[i], "expect") == 0 && strncmp(c->rest[i], key, kl) == 0 &&
		    c->rest[i][kl] == ' ') {
			*v = strtod(c->rest[i] + kl + 1, NULL);
			return true;
		}
	return false;
}

/* Parses the numbers of a data line into a new array; *n gets the count. */
static inline double *eg_numbers(const char *s, size_t *n)
{
	size_t cap = 64, k = 0;
	double *v = malloc(cap * sizeof *v);
	char *end;
	while (s && *s) {
		double x = strtod(s, &end);
		if (end == s)
			break;
		if (k == cap)
			v = realloc(v, (cap *= 2) * sizeof *v);
		v[k++] = x;
		s = end;
	}
	*n = k;
	return v;
}

/* |got - want| <= abs + rel * |want|, with a message naming what. */
static inline bool eg_close(const char *what, double got, double want, double abs_tol,
			    double rel_tol)
{
	if ((isnan(want) && isnan(got)) || (isinf(want) && got == want))
		return true;
	if (fabs(got - want) <= abs_tol + rel_tol * fabs(want))
		return true;
	fprintf(stderr, "%s: got %.17g, want %.17g (diff %.3g)\n", what, got, want, got - want);
	return false;
}

#endif
