/* inspect.h — what the checkpoint inspector's screens share (private to
 * src/tui):
 *
 *   doc.c          open files, shared by the screens that show them (one
 *                  ql_source per path, reference-counted, with a lock for
 *                  reading tensor data from a background thread), and the
 *                  recently opened files under $XDG_STATE_HOME/qlens/recent
 *   tree.c         the tensor tree: dotted names grouped, totals per group,
 *                  natural or size order, the filter, the visible rows
 *   screen_open.c  "Open a file": a path prompt and the recent files
 *   screen_file.c  the tree of one file, and its metadata
 *   jobs.c         background work on a tensor, cancelled by moving away
 *   screen_tensor.c one tensor: header, statistics, histogram, absmax
 *                  strips, computed in a background thread
 */
#ifndef QLENS_TUI_INSPECT_H
#define QLENS_TUI_INSPECT_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "qlens/error.h"
#include "qlens/io.h"
#include "tui_impl.h"

/* ---- open files (doc.c) ------------------------------------------------- */

typedef struct ql_doc {
	char *path;          /* as given */
	ql_source *src;      /* headers read; data mapped on demand */
	pthread_mutex_t lock; /* held while a tensor's bytes are read */
	int refs;            /* under the cache's lock */
	double open_ms;      /* how long opening took */
} ql_doc;

/* The file at path, opened (headers only) or shared with a screen that has
 * it open already. NULL with err "PATH: what is wrong". */
ql_doc *ql_doc_open(const char *path, ql_error *err);
void ql_doc_unref(ql_doc *d);
struct ql_job;
/* Tensor i as float32 (malloc'd, nelem values), read under the doc's lock
 * and released after (the mapped pages may go). From a job j (NULL: none):
 * decoded in pieces, reporting progress up to `share` of the job, and
 * stopped ("cancelled") when the job is. */
int ql_doc_read_f32(ql_doc *d, size_t i, float **out, struct ql_job *j, double share, ql_error *err);

#define QL_RECENT_MAX 12

/* The recent files, most recent first (at most QL_RECENT_MAX): fills
 * paths[] with malloc'd strings, returns how many. */
int ql_recent_load(char **paths, int max);
/* Puts path (made absolute) first in the list file; drop: removes it. */
void ql_recent_add(const char *path);
void ql_recent_drop(const char *path);

/* ---- the tensor tree (tree.c) ------------------------------------------- */

typedef struct ql_tnode {
	char *label;         /* "layers", "0", "q_proj.weight" */
	int parent;          /* -1 for the root */
	int *kids, nkids, capkids;
	long tensor;         /* the source's index for a leaf, -1 for a group */
	bool open;           /* a group's children are shown */
	/* totals over the tensors below (all of them, and those the filter
	 * keeps) */
	int64_t ntensors, nelem;
	uint64_t bytes;
	uint64_t dtypes;     /* bit per ql_dtype */
	int64_t f_ntensors, f_nelem;
	uint64_t f_bytes, f_dtypes;
} ql_tnode;

typedef enum ql_tsort { QL_TSORT_NAME, QL_TSORT_SIZE } ql_tsort;

typedef struct ql_ttree {
	ql_tnode *nodes;     /* nodes[0] is the root */
	int n, cap;
	char filter[256];
	ql_tsort sort;
	int *rows;           /* the visible rows: node indices, depth-first */
	int *depth;          /* the depth of each row (0: a child of the root) */
	int nrows, caprows;
} ql_ttree;

/* Builds the tree of src's tensor names (groups open to depth 1...):
 * "model.layers.0.self_attn.q_proj.weight" is model > layers > 0 >
 * self_attn > q_proj.weight: the last two parts stay one leaf, unless the
 * first of them is a number ("layers.0.w": layers > 0 > w). */
int ql_ttree_build(ql_ttree *t, const ql_source *src, ql_error *err);
void ql_ttree_free(ql_ttree *t);
/* Natural order: digit runs compare as numbers ("2" < "10"). */
int ql_natural_cmp(const char *a, const char *b);
/* Re-sorts, re-filters (case-insensitive substring of the full name) and
 * lays out the visible rows. */
void ql_ttree_set_sort(ql_ttree *t, const ql_source *src, ql_tsort s);
void ql_ttree_set_filter(ql_ttree *t, const ql_source *src, const char *filter);
void ql_ttree_layout(ql_ttree *t);
/* The row showing tensor i (opening its groups), or -1. */
int ql_ttree_reveal(ql_ttree *t, long tensor);
/* Opens or closes every group. */
void ql_ttree_open_all(ql_ttree *t, bool open);

/* "4.19M", "1.2k", "512" */
void ql_fmt_count(int64_t n, char *buf, size_t sz);
/* "8.0 MiB", "512 B" */
void ql_fmt_bytes(uint64_t n, char *buf, size_t sz);
/* v in at most width columns (6 or more: "-1e-38"): %.4g, or fewer digits
 * where an exponent needs the room ("-9.481e-38" in 9 is "-9.48e-38");
 * never a number cut short. */
void ql_fmt_fit(double v, int width, char *buf, size_t sz);

/* ---- background work (jobs.c) ------------------------------------------- */

typedef struct ql_job ql_job;
enum { QL_JOB_RUNNING, QL_JOB_DONE, QL_JOB_FAILED };

/* The work, in the job's thread: fills payload; 0, or -1 with err. It calls
 * ql_job_progress now and then and stops (-1, "cancelled") when that
 * returns false. */
typedef int (*ql_job_fn)(ql_job *j, ql_doc *doc, size_t index, void *payload, ql_error *err);

/* Runs fn on tensor `index` of doc in a thread. The payload is the job's
 * from now on (freed with free_payload with the job, even on failure).
 * NULL with err if no thread could start. */
ql_job *ql_job_start(ql_doc *doc, size_t index, ql_job_fn fn, void *payload,
		     void (*free_payload)(void *), ql_error *err);
/* The screen is done with the job: it stops at its next check, and is
 * freed by whichever of the two lets go last. NULL is fine. */
void ql_job_cancel(ql_job *j);
/* From fn: the share done (0..1); false once cancelled. */
bool ql_job_progress(ql_job *j, double done);
int ql_job_state(const ql_job *j);
int ql_job_permille(const ql_job *j);
/* The payload; read it only once the state is QL_JOB_DONE. */
void *ql_job_payload(const ql_job *j);
const char *ql_job_error(const ql_job *j);

/* Waits until no job is running (cancelled jobs finish on their own); the
 * virtual terminal calls it before it closes. */
void ql_inspect_wait_jobs(void);

/* ---- quantizing a tensor in the background (qjob.c) --------------------- */

#include "qlens/quant.h"
#include "qlens/scheme_text.h"

typedef struct ql_qjob {
	ql_scheme scheme;
	char word[QL_SCHEME_WORD_MAX]; /* the scheme as one word */
	float *x;            /* the original, float32 */
	ql_qresult r;        /* with the dequantized tensor */
	int64_t worst;       /* flat index of the largest |error|, -1 if empty */
} ql_qjob;

/* Starts quantizing tensor `index` of doc with scheme s (the payload is a
 * ql_qjob). */
ql_job *ql_qjob_start(ql_doc *doc, size_t index, const ql_scheme *s, ql_error *err);

/* The scale (and group) of flat element i of a result: its index in
 * r->scales. */
int64_t ql_qjob_scale_index(const ql_qresult *r, int64_t i);

/* PATH --tensor NAME [--scheme WORD] (the cells and blocks views' words):
 * the doc (a reference), the tensor's index, the scheme (int8 without
 * --scheme). 0, or -1 with err (screen_cells.c). */
int ql_inspect_parse_target(int argc, char **argv, ql_doc **doc, long *index, ql_scheme *s,
			    ql_error *err);

/* Writes tensor `index` of doc quantized with s, as `qlens quantize -o`
 * does (it runs that command): asks for the path, and for a confirmation
 * before it replaces a file (export.c). */
void ql_inspect_export(ql_app *app, ql_doc *doc, long index, const ql_scheme *s);

/* The scheme as `qlens quantize` options (--dtype, --sym/--asym, --axis or
 * --group, --calib, --scale, --zero-point, --scale-dtype), appended to argv
 * at *n; the numbers are written into bufs (export.c). */
void ql_inspect_scheme_args(const ql_scheme *s, char **argv, int *n, char bufs[4][64]);

/* Opens the quantization explorer (the screen called "quantize") on tensor
 * `index` with scheme s, or the cells view where there is no explorer. */
void ql_inspect_explore(ql_app *app, ql_doc *doc, long index, const ql_scheme *s);

/* A running job as one line at row y: "WHAT... 43% ████░░░" and, below,
 * what the keys do meanwhile (screen_tensor.c). */
void ql_draw_job_progress(const ql_theme *th, WINDOW *w, int y, const char *what, const ql_job *j);

#endif
