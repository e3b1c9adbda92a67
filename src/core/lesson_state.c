/* lesson_state.c — a learner's progress and the presenter's position, as
 * small text files under $XDG_STATE_HOME/qlens/ (lesson.h).
 *
 *   lessons/NAME.progress   "step N", "seen N", "mark STEP BLOCK r|w|d"
 *   present                 "NAME STEP BLANK"
 *
 * Unknown or broken lines are skipped: a damaged file loses what it cannot
 * say, never the lesson.
 */
#include "qlens/lesson.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int ql_lesson_state_dir(char *out, size_t n, ql_error *err)
{
	const char *x = getenv("XDG_STATE_HOME");
	const char *home = getenv("HOME");
	int k;
	if (x && x[0] == '/')
		k = snprintf(out, n, "%s/qlens", x);
	else if (home && home[0])
		k = snprintf(out, n, "%s/.local/state/qlens", home);
	else
		return ql_error_set(err, "no $XDG_STATE_HOME or $HOME to keep progress in");
	if (k < 0 || (size_t)k >= n)
		return ql_error_set(err, "state folder path too long");
	return 0;
}

static int mkdirs(char *path, ql_error *err)
{
	for (char *p = path + 1;; p++) {
		if (*p == '/' || !*p) {
			char c = *p;
			*p = '\0';
			int rc = mkdir(path, 0700);
			int e = errno;
			*p = c;
			if (rc != 0 && e != EEXIST)
				return ql_error_set(err, "%s: %s", path, strerror(e));
			if (!c)
				return 0;
		}
	}
}

static bool safe_name(const char *name)
{
	if (!name[0] || strlen(name) > 100)
		return false;
	for (const char *p = name; *p; p++)
		if (*p == '/' || *p == ' ' || (unsigned char)*p < 0x20)
			return false;
	return name[0] != '.';
}

static int progress_path(const char *name, char *out, size_t n, bool make, ql_error *err)
{
	char dir[3800];
	if (!safe_name(name))
		return ql_error_set(err, "'%s' is not a lesson name", name);
	if (ql_lesson_state_dir(dir, sizeof dir - 16, err) != 0)
		return -1;
	strcat(dir, "/lessons");
	if (make && mkdirs(dir, err) != 0)
		return -1;
	snprintf(out, n, "%s/%s.progress", dir, name);
	return 0;
}

char ql_lesson_mark_get(const ql_lesson_progress *p, int step, int block)
{
	for (int i = 0; i < p->nmarks; i++)
		if (p->marks[i].step == step && p->marks[i].block == block)
			return p->marks[i].result;
	return 0;
}

void ql_lesson_mark_set(ql_lesson_progress *p, int step, int block, char result)
{
	for (int i = 0; i < p->nmarks; i++)
		if (p->marks[i].step == step && p->marks[i].block == block) {
			p->marks[i].result = result;
			return;
		}
	if (p->nmarks < (int)(sizeof p->marks / sizeof p->marks[0]))
		p->marks[p->nmarks++] = (ql_lesson_mark){step, block, result};
}

int ql_lesson_progress_load(const char *name, ql_lesson_progress *p, ql_error *err)
{
	char path[4096];
	memset(p, 0, sizeof *p);
	if (progress_path(name, path, sizeof path, false, err) != 0)
		return -1;
	FILE *f = fopen(path, "r");
	if (!f)
		return errno == ENOENT ? 0 : ql_error_set(err, "%s: %s", path, strerror(errno));
	char line[256];
	while (fgets(line, sizeof line, f)) {
		int a, b;
		char r;
		if (sscanf(line, "step %d", &a) == 1 && a >= 0 && a < 10000)
			p->step = a;
		else if (sscanf(line, "seen %d", &a) == 1 && a >= 0 && a < 10000)
			p->seen = a;
		else if (sscanf(line, "mark %d %d %c", &a, &b, &r) == 3 && a >= 0 && b >= 0 &&
			 (r == 'r' || r == 'w' || r == 'd'))
			ql_lesson_mark_set(p, a, b, r);
	}
	fclose(f);
	return 0;
}

/* Writes text to path through a temporary file renamed into place. */
static int write_atomic(const char *path, const char *text, ql_error *err)
{
	char tmp[4200];
	snprintf(tmp, sizeof tmp, "%s.%ld.tmp", path, (long)getpid());
	FILE *f = fopen(tmp, "w");
	if (!f)
		return ql_error_set(err, "%s: %s", tmp, strerror(errno));
	bool ok = fputs(text, f) >= 0;
	ok &= fclose(f) == 0;
	if (!ok || rename(tmp, path) != 0) {
		int e = errno;
		remove(tmp);
		return ql_error_set(err, "%s: %s", path, strerror(e));
	}
	return 0;
}

int ql_lesson_progress_save(const char *name, const ql_lesson_progress *p, ql_error *err)
{
	char path[4096];
	if (progress_path(name, path, sizeof path, true, err) != 0)
		return -1;
	char text[256 * 24 + 64];
	size_t o = (size_t)snprintf(text, sizeof text, "step %d\nseen %d\n", p->step, p->seen);
	for (int i = 0; i < p->nmarks && o < sizeof text; i++)
		o += (size_t)snprintf(text + o, sizeof text - o, "mark %d %d %c\n", p->marks[i].step,
				      p->marks[i].block, p->marks[i].result);
	return write_atomic(path, text, err);
}

int ql_lesson_present_write(const char *name, int step, bool blank, ql_error *err)
{
	char dir[4000], path[4096], text[160];
	if (!safe_name(name))
		return ql_error_set(err, "'%s' is not a lesson name", name);
	if (ql_lesson_state_dir(dir, sizeof dir, err) != 0 || mkdirs(dir, err) != 0)
		return -1;
	snprintf(path, sizeof path, "%s/present", dir);
	snprintf(text, sizeof text, "%s %d %d\n", name, step, blank ? 1 : 0);
	return write_atomic(path, text, err);
}

int ql_lesson_present_read(char *name, size_t n, int *step, bool *blank, ql_error *err)
{
	char dir[4000], path[4096], nm[128];
	if (ql_lesson_state_dir(dir, sizeof dir, err) != 0)
		return -1;
	snprintf(path, sizeof path, "%s/present", dir);
	FILE *f = fopen(path, "r");
	if (!f)
		return ql_error_set(err, "no presentation running (%s: %s)", path, strerror(errno));
	int s, b;
	int k = fscanf(f, "%127s %d %d", nm, &s, &b);
	fclose(f);
	if (k != 3 || s < 0)
		return ql_error_set(err, "%s: not a presenter state", path);
	snprintf(name, n, "%s", nm);
	*step = s;
	*blank = b != 0;
	return 0;
}
