/* qgolden.h — reads tests/golden/quant.txt (made by tests/golden/gen_quant.py)
 * for test_quant.c and test_blocks.c.
 *
 * The file is a list of cases:
 *     case KIND key=value ...
 *     NAME v v v ...      (floats as float.hex(), ints in decimal)
 *     end
 * Everything is static inline so each suite includes it alone.
 */
#ifndef QLENS_TESTS_QGOLDEN_H
#define QLENS_TESTS_QGOLDEN_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#define QG_MAX_ARR 8

typedef struct qg_array {
	char name[16];
	double *v;
	size_t n;
} qg_array;

typedef struct qg_case {
	char kind[16];
	char *head;        /* the whole "case ..." line */
	qg_array arr[QG_MAX_ARR];
	int narr;
} qg_case;

/* tests/golden/NAME, in the same case format. */
static inline FILE *qg_open_named(const char *name)
{
	const char *dir = getenv("QLENS_SRCDIR");
	char path[1024];
	snprintf(path, sizeof path, "%s/tests/golden/%s", dir ? dir : ".", name);
	return fopen(path, "r");
}

static inline FILE *qg_open(void)
{
	return qg_open_named("quant.txt");
}

static inline void qg_free(qg_case *c)
{
	free(c->head);
	for (int i = 0; i < c->narr; i++)
		free(c->arr[i].v);
	memset(c, 0, sizeof *c);
}

/* Reads the next case; false at the end of the file. */
static inline bool qg_next(FILE *f, qg_case *c)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	qg_free(c);
	while ((len = getline(&line, &cap, f)) > 0) {
		if (line[len - 1] == '\n')
			line[--len] = '\0';
		if (!strncmp(line, "case ", 5)) {
			c->head = strdup(line);
			sscanf(line + 5, "%15s", c->kind);
			continue;
		}
		if (!c->head || line[0] == '#' || line[0] == '\0')
			continue;
		if (!strcmp(line, "end")) {
			free(line);
			return true;
		}
		if (c->narr == QG_MAX_ARR)
			continue;
		qg_array *a = &c->arr[c->narr++];
		char *p = line;
		size_t k = 0;
		while (*p && *p != ' ' && k + 1 < sizeof a->name)
			a->name[k++] = *p++;
		a->name[k] = '\0';
		size_t acap = 16;
		a->v = malloc(acap * sizeof *a->v);
		for (;;) {
			while (*p == ' ')
				p++;
			if (!*p)
				break;
			char *end;
			double v = strtod(p, &end);
			if (end == p)
				break;
			if (a->n == acap) {
				acap *= 2;
				a->v = realloc(a->v, acap * sizeof *a->v);
			}
			a->v[a->n++] = v;
			p = end;
		}
	}
	free(line);
	return false;
}

/* The value of key=... on the case line (a static buffer), or NULL. */
static inline const char *qg_param(const qg_case *c, const char *key)
{
	static char buf[128];
	char pat[64];
	snprintf(pat, sizeof pat, " %s=", key);
	const char *p = strstr(c->head, pat);
	if (!p)
		return NULL;
	p += strlen(pat);
	size_t k = 0;
	while (p[k] && p[k] != ' ' && k + 1 < sizeof buf) {
		buf[k] = p[k];
		k++;
	}
	buf[k] = '\0';
	return buf;
}

static inline double qg_num(const qg_case *c, const char *key)
{
	const char *v = qg_param(c, key);
	return v ? strtod(v, NULL) : 0.0;
}

static inline const qg_array *qg_arr(const qg_case *c, const char *name)
{
	for (int i = 0; i < c->narr; i++)
		if (!strcmp(c->arr[i].name, name))
			return &c->arr[i];
	return NULL;
}

/* The array as float32 (malloc'd). */
static inline float *qg_floats(const qg_array *a)
{
	float *f = malloc((a->n ? a->n : 1) * sizeof *f);
	for (size_t i = 0; i < a->n; i++)
		f[i] = (float)a->v[i];
	return f;
}

/* ---- failure helpers (need <cmocka.h> included first) ------------------------ */

/* A line on stderr explaining the failure that follows. */
static inline void note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static inline void note(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
}

static inline uint32_t bits_of(float f)
{
	uint32_t u;
	memcpy(&u, &f, sizeof u);
	return u;
}

/* Bit-exact float comparison with a readable failure. */
static inline void check_same_float(float got, float want, const char *what, size_t i)
{
	if (bits_of(got) != bits_of(want)) {
		note("%s[%zu]: got %a (%.9g), want %a (%.9g)\n", what, i, (double)got,
		     (double)got, (double)want, (double)want);
		fail();
	}
}

#endif
