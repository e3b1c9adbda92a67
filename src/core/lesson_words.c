/* lesson_words.c — a widget's words: split without a shell, checked for
 * file writes and for the words a task must keep (lesson.h). */
#include "qlens/lesson.h"

#include <stdlib.h>
#include <string.h>

static char *dupn(const char *s, size_t n)
{
	char *d = malloc(n + 1);
	if (d) {
		memcpy(d, s, n);
		d[n] = '\0';
	}
	return d;
}

/* ---- words ----------------------------------------------------------------- */

void ql_lesson_free_words(int argc, char **argv)
{
	if (!argv)
		return;
	for (int i = 0; i < argc; i++)
		free(argv[i]);
	free(argv);
}

int ql_lesson_split(const char *line, int *argc, char ***argv, ql_error *err)
{
	size_t len = strlen(line);
	char **v = calloc(len / 2 + 2, sizeof *v);
	char *w = malloc(len + 1);
	int n = 0;
	if (!v || !w)
		goto oom;
	for (const char *p = line;;) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (!*p)
			break;
		size_t k = 0;
		char quote = 0;
		while (*p && (quote || (*p != ' ' && *p != '\t'))) {
			if (quote && *p == quote) {
				quote = 0;
			} else if (!quote && (*p == '\'' || *p == '"')) {
				quote = *p;
			} else if (*p == '\\' && quote != '\'' && p[1]) {
				w[k++] = *++p;
			} else {
				w[k++] = *p;
			}
			p++;
		}
		if (quote) {
			ql_lesson_free_words(n, v);
			free(w);
			return ql_error_set(err, "unbalanced %c quote", quote);
		}
		if (!(v[n] = dupn(w, k)))
			goto oom;
		n++;
	}
	free(w);
	*argc = n;
	*argv = v;
	return 0;
oom:
	ql_lesson_free_words(n, v);
	free(w);
	return ql_error_set(err, "out of memory");
}

bool ql_lesson_words_write(int argc, char **argv)
{
	for (int i = 0; i < argc; i++)
		if (strcmp(argv[i], "-o") == 0 || strncmp(argv[i], "--output", 8) == 0 ||
		    (strncmp(argv[i], "-o", 2) == 0 && argv[i][2]))
			return true;
	return false;
}

bool ql_lesson_keeps(const ql_lesson_block *b, int argc, char **argv)
{
	for (int k = 0; k < b->nkeep; k++) {
		/* "--dtype int4": the two words in a row; one word: anywhere */
		int kc;
		char **kv;
		if (ql_lesson_split(b->keep[k], &kc, &kv, NULL) != 0)
			return false;
		bool found = false;
		for (int i = 0; i + kc <= argc && !found; i++) {
			found = true;
			for (int j = 0; j < kc && found; j++)
				found = strcmp(argv[i + j], kv[j]) == 0;
		}
		ql_lesson_free_words(kc, kv);
		if (!found)
			return false;
	}
	return true;
}

