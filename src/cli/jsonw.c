/* jsonw.c — streaming JSON output (see qlens/jsonw.h). */
#include "qlens/jsonw.h"

#include "qlens/escape.h"

#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define NUMBER_MAX 32 /* a number's text: 25 bytes at most */

void ql_jsonw_init(ql_jsonw *j, FILE *f)
{
	memset(j, 0, sizeof *j);
	j->f = f;
	j->first[0] = true;
	j->pretty = true;
}

/* The writer is its stream's only user while it writes (one thread), so
 * the bytes go out by the unlocked stdio calls: taking the stream's lock
 * for each comma and indent was most of the time of an array of millions
 * of numbers once their digits came fast (shortest.c). */

/* ",\n" and the indent of depth d: one write. */
static void separator(ql_jsonw *j, bool comma)
{
	static const char sp[] = ",\n                                                                "
				 "                ";
	int d = j->depth < QL_JSONW_DEPTH ? j->depth : QL_JSONW_DEPTH;
	size_t len = j->pretty ? 1 + 2 * (size_t)d : 0;
	if (comma)
		fwrite_unlocked(sp, 1, len + 1, j->f);
	else if (len)
		fwrite_unlocked(sp + 1, 1, len, j->f);
}

static void indent(ql_jsonw *j)
{
	separator(j, false);
}

/* Before any value: a comma and a newline, unless it follows a key. */
static void before_value(ql_jsonw *j)
{
	if (j->after_key) {
		j->after_key = false;
		return;
	}
	bool comma = !j->first[j->depth];
	if (j->depth > 0)
		separator(j, comma);
	else if (comma)
		fputc_unlocked(',', j->f);
	j->first[j->depth] = false;
}

static void open(ql_jsonw *j, char c)
{
	before_value(j);
	fputc_unlocked(c, j->f);
	if (j->depth + 1 < QL_JSONW_DEPTH)
		j->depth++;
	j->first[j->depth] = true;
}

static void close_(ql_jsonw *j, char c)
{
	bool empty = j->first[j->depth];
	if (j->depth > 0)
		j->depth--;
	if (!empty)
		indent(j);
	fputc_unlocked(c, j->f);
}

void ql_json_begin_object(ql_jsonw *j) { open(j, '{'); }
void ql_json_end_object(ql_jsonw *j) { close_(j, '}'); }
void ql_json_begin_array(ql_jsonw *j) { open(j, '['); }
void ql_json_end_array(ql_jsonw *j) { close_(j, ']'); }

static void write_string(FILE *f, const char *s)
{
	fputc('"', f);
	ql_escape_fputs(f, s, QL_ESC_JSON);
	fputc('"', f);
}

void ql_json_key(ql_jsonw *j, const char *key)
{
	before_value(j);
	write_string(j->f, key);
	fputs(j->pretty ? ": " : ":", j->f);
	j->after_key = true;
}

void ql_json_string(ql_jsonw *j, const char *s)
{
	before_value(j);
	write_string(j->f, s);
}

/* A value already in JSON's syntax (a number's text), written as is. */
static void raw(ql_jsonw *j, const char *text)
{
	before_value(j);
	fputs_unlocked(text, j->f);
}

/* The shortest %.*g that reads back (shortest.c): 25 bytes at most. */
static void number_text(char *out, double v)
{
	ql_shortest_g(v, out);
}

void ql_json_number(ql_jsonw *j, double v)
{
	char tmp[NUMBER_MAX];
	number_text(tmp, v);
	raw(j, tmp);
}


void ql_json_int(ql_jsonw *j, int64_t v)
{
	before_value(j);
	/* by hand: printf's format parsing was most of `info --json` on a
	 * header of 80,000 tensors */
	char d[24], *o = d + sizeof d;
	uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
	do {
		*--o = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	if (v < 0)
		*--o = '-';
	fwrite(o, 1, (size_t)(d + sizeof d - o), j->f);
}

void ql_json_bool(ql_jsonw *j, bool v)
{
	before_value(j);
	fputs(v ? "true" : "false", j->f);
}

void ql_json_null(ql_jsonw *j)
{
	before_value(j);
	fputs("null", j->f);
}

void ql_jsonw_finish(ql_jsonw *j)
{
	fputc('\n', j->f);
	fflush(j->f);
}

/* ---- long float arrays: the texts made on threads, written in order ----
 * (a scale per group: 2M of them for 64M values in q4_0, most of whose
 * --json time was the search for each number's shortest digits) */
#define FMT_BLOCK 65536
#define FMT_THREADS 16

typedef char numtext[NUMBER_MAX];

typedef struct fmt_job {
	const float *v;
	numtext *out;
	int64_t n;
} fmt_job;

static void *fmt_run(void *arg)
{
	const fmt_job *f = arg;
	for (int64_t i = 0; i < f->n; i++)
		number_text(f->out[i], (double)f->v[i]);
	return NULL;
}

/* The texts of v[0..n) into out, on up to `threads` threads (0: one per
 * CPU); a thread that cannot start leaves its share to this one. */
static void fmt_f32(const float *v, int64_t n, numtext *out, int threads)
{
	if (threads <= 0) {
		long c = sysconf(_SC_NPROCESSORS_ONLN);
		threads = c > 0 ? (int)c : 1;
	}
	int T = threads < FMT_THREADS ? threads : FMT_THREADS;
	if (T < 2 || n < 4096) {
		fmt_run(&(fmt_job){v, out, n});
		return;
	}
	fmt_job jobs[FMT_THREADS];
	pthread_t th[FMT_THREADS];
	bool started[FMT_THREADS] = {false};
	int64_t per = (n + T - 1) / T;
	for (int t = 0; t < T; t++) {
		int64_t a = t * per < n ? t * per : n, b = a + per < n ? a + per : n;
		jobs[t] = (fmt_job){v + a, out + a, b - a};
		if (t > 0)
			started[t] = pthread_create(&th[t], NULL, fmt_run, &jobs[t]) == 0;
	}
	fmt_run(&jobs[0]);
	for (int t = 1; t < T; t++) {
		if (started[t])
			pthread_join(th[t], NULL);
		else
			fmt_run(&jobs[t]);
	}
}

/* Element k of a block: its text when made, else formatted now. */
static void put_f32(ql_jsonw *j, const numtext *texts, int64_t k, float x)
{
	if (texts)
		raw(j, texts[k]);
	else /* short, or no memory for the texts: one at a time */
		ql_json_number(j, (double)x);
}

void ql_json_f32_array(ql_jsonw *j, const float *v, const float *w, int64_t n, int threads)
{
	ql_json_begin_array(j);
	numtext *tv = n > FMT_BLOCK / 4 ? malloc(2 * (size_t)FMT_BLOCK * sizeof *tv) : NULL;
	numtext *tw = tv ? tv + FMT_BLOCK : NULL;
	for (int64_t b = 0; b < n; b += FMT_BLOCK) {
		int64_t m = n - b < FMT_BLOCK ? n - b : FMT_BLOCK;
		if (tv)
			fmt_f32(v + b, m, tv, threads);
		if (tw && w)
			fmt_f32(w + b, m, tw, threads);
		for (int64_t i = 0; i < m; i++) {
			if (!w) {
				put_f32(j, tv, i, v[b + i]);
				continue;
			}
			ql_json_begin_array(j); /* [lo, hi] */
			put_f32(j, tv, i, v[b + i]);
			put_f32(j, tw, i, w[b + i]);
			ql_json_end_array(j);
		}
	}
	free(tv);
	ql_json_end_array(j);
}
