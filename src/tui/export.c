/* export.c — writing a quantized tensor from the inspector, and opening the
 * quantization explorer on it (see inspect.h).
 *
 * The write is `qlens quantize FILE --tensor NAME SCHEME-OPTIONS -o OUT`,
 * run through the command table with its output captured: the same
 * quantizer and the same writer (temporary file, rename, never over an
 * input), so the file is byte for byte what the command writes. The path
 * prompt proposes NAME_SCHEME.safetensors beside the input (a '/' or a
 * control character of NAME made '_'); a path that
 * exists is replaced only after a "y" to the question that follows.
 *
 * The quantization explorer (screen "quantize", when the program has it)
 * takes the same words; without it the cells view stands in.
 */
#include "inspect.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "qlens/command.h"

typedef struct export_req {
	char *file, *tensor, *out;
	ql_scheme scheme;
} export_req;

static export_req *pending; /* the one export being asked about */

static void req_free(export_req *r)
{
	if (!r)
		return;
	free(r->file);
	free(r->tensor);
	free(r->out);
	free(r);
}

void ql_inspect_scheme_args(const ql_scheme *s, char **argv, int *n, char bufs[4][64])
{
	argv[(*n)++] = "--dtype";
	argv[(*n)++] = (char *)ql_qdtype_name(s->dtype);
	if (s->sym == QL_SYM)
		argv[(*n)++] = "--sym";
	else if (s->sym == QL_ASYM)
		argv[(*n)++] = "--asym";
	if (s->gran == QL_GRAN_CHANNEL) {
		snprintf(bufs[0], 64, "%d", s->axis);
		argv[(*n)++] = "--axis";
		argv[(*n)++] = bufs[0];
	} else if (s->gran == QL_GRAN_GROUP) {
		snprintf(bufs[0], 64, "%lld", (long long)s->group);
		argv[(*n)++] = "--group";
		argv[(*n)++] = bufs[0];
	}
	if (s->calib != QL_CALIB_MINMAX) {
		if (s->calib == QL_CALIB_PERCENTILE)
			snprintf(bufs[1], 64, "percentile:%.17g", s->percentile);
		else
			snprintf(bufs[1], 64, "%s", ql_calib_name(s->calib));
		argv[(*n)++] = "--calib";
		argv[(*n)++] = bufs[1];
	}
	if (s->has_scale) {
		snprintf(bufs[2], 64, "%.9g", (double)s->scale);
		argv[(*n)++] = "--scale";
		argv[(*n)++] = bufs[2];
	}
	if (s->has_zero_point) {
		snprintf(bufs[3], 64, "%d", (int)s->zero_point);
		argv[(*n)++] = "--zero-point";
		argv[(*n)++] = bufs[3];
	}
	if (s->scale_dtype != QL_SCALE_FP32) {
		argv[(*n)++] = "--scale-dtype";
		argv[(*n)++] = (char *)ql_scale_dtype_name(s->scale_dtype);
	}
}

static void run(ql_app *app, export_req *r)
{
	char *argv[32], bufs[4][64];
	int n = 0;
	argv[n++] = "quantize";
	argv[n++] = r->file;
	argv[n++] = "--tensor";
	argv[n++] = r->tensor;
	ql_inspect_scheme_args(&r->scheme, argv, &n, bufs);
	argv[n++] = "-o";
	argv[n++] = r->out;
	argv[n++] = "--force"; /* asked already; the writer still never replaces an input */
	argv[n] = NULL;
	ql_cmd_ctx ctx = {.interactive = true, .progress = false};
	ql_captured cap;
	int rc = ql_app_run_captured(app, &ctx, n, argv, &cap);
	if (rc < 0) /* no memory: said on the status line */
		return;
	char *ebuf = cap.err;
	if (rc == 0) {
		ql_app_message(app, QL_R_INFO, "wrote %s (as qlens quantize -o writes it)", r->out);
	} else {
		size_t k = ebuf ? strcspn(ebuf, "\n") : 0;
		if (ebuf)
			ebuf[k] = '\0';
		ql_app_message(app, QL_R_ERROR, "%s", ebuf && ebuf[0] ? ebuf : "qlens quantize: failed");
	}
	free(cap.out);
	free(cap.err);
}

static void confirm_done(ql_app *app, void *data, const char *line)
{
	(void)data;
	export_req *r = pending;
	pending = NULL;
	if (line && (line[0] == 'y' || line[0] == 'Y'))
		run(app, r);
	else
		ql_app_message(app, QL_R_INFO, "not written: %s is left as it was", r->out);
	req_free(r);
}

static void path_done(ql_app *app, void *data, const char *line)
{
	(void)data;
	export_req *r = pending;
	if (!line || !line[0]) {
		pending = NULL;
		req_free(r);
		return;
	}
	r->out = strdup(line);
	if (!r->out) {
		pending = NULL;
		req_free(r);
		return;
	}
	if (access(r->out, F_OK) == 0) {
		/* the prompt's label is short: the path is the line just typed */
		ql_prompt_open(ql_app_prompt(app), QL_PROMPT_KEY, "exists; replace it? (y/n) ", NULL,
			       confirm_done, NULL);
		return;
	}
	pending = NULL;
	run(app, r);
	req_free(r);
}

void ql_inspect_explore(ql_app *app, ql_doc *doc, long index, const ql_scheme *s)
{
	const ql_tensor *t = ql_source_tensor(doc->src, (size_t)index);
	const ql_screen_ops *explorer = ql_screen_find("quantize");
	if (!explorer) {
		char w[QL_SCHEME_WORD_MAX];
		ql_scheme_word(s, w, sizeof w);
		char *args[] = {doc->path, "--tensor", (char *)t->name, "--scheme", w, NULL};
		ql_app_push(app, &ql_screen_cells, 5, args);
		return;
	}
	char *argv[32], bufs[4][64];
	int n = 0;
	argv[n++] = doc->path;
	argv[n++] = "--tensor";
	argv[n++] = (char *)t->name;
	ql_inspect_scheme_args(s, argv, &n, bufs);
	argv[n] = NULL;
	ql_app_push(app, explorer, n, argv);
}

void ql_inspect_export(ql_app *app, ql_doc *doc, long index, const ql_scheme *s)
{
	req_free(pending);
	pending = calloc(1, sizeof *pending);
	const ql_tensor *t = ql_source_tensor(doc->src, (size_t)index);
	if (!pending || !(pending->file = strdup(doc->path)) || !(pending->tensor = strdup(t->name))) {
		req_free(pending);
		pending = NULL;
		ql_app_message(app, QL_R_ERROR, "qlens: out of memory");
		return;
	}
	pending->scheme = *s;
	/* a proposal: NAME_WORD.safetensors in the input's folder (a '/' of
	 * the name, as in "model/dense/kernel" or "../x", or a control
	 * character would name another folder or hide in the file name) */
	char word[QL_SCHEME_WORD_MAX], name[sizeof t->name], prop[1024], dir[512];
	ql_scheme_word(s, word, sizeof word);
	for (char *p = word; *p; p++)
		if (*p == '/' || *p == ':')
			*p = '_';
	snprintf(name, sizeof name, "%s", t->name);
	for (char *p = name; *p; p++)
		if (*p == '/' || (unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '_';
	const char *slash = strrchr(doc->path, '/');
	snprintf(dir, sizeof dir, "%.*s", slash ? (int)(slash - doc->path + 1) : 0, doc->path);
	snprintf(prop, sizeof prop, "%s%s_%s.safetensors", dir, name, word);
	ql_prompt_open(ql_app_prompt(app), QL_PROMPT_PATH, "write to: ", prop, path_done, NULL);
}
