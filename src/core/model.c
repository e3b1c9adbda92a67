/* model.c — loading a model directory (see model.h): finding it by name,
 * reading its weights and held-out data through the tensor-source
 * interface, and checking every shape before the forward pass trusts it.
 */
#include "qlens/model.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "qlens/datadir.h"
#include "qlens/io.h"

static bool is_dir(const char *p)
{
	struct stat st;
	return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

static bool plain_name(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '_' || *s == '-'))
			return false;
	return true;
}

/* Where a model called `name` lives: assets/models/NAME in the data
 * folder (datadir.h: $QLENS_DATADIR, the source tree, the installed one). */
static int find_dir(const char *name, char *out, size_t n)
{
	char rel[128];
	ql_error e = { "" };
	snprintf(rel, sizeof rel, "assets/models/%s", name);
	return ql_data_path(rel, out, n, &e);
}

static const char *meta(const ql_source *src, const char *key)
{
	for (size_t i = 0; i < ql_source_meta_count(src); i++) {
		const ql_meta *e = ql_source_meta(src, i);
		if (strcmp(e->key, key) == 0)
			return e->value;
	}
	return NULL;
}

/* "[0, 8]" into buf. */
static const char *shape_str(char *buf, size_t cap, const int64_t *shape, int ndim)
{
	size_t len = 0;
	buf[0] = '\0';
	for (int d = 0; d < ndim && len + 24 < cap; d++)
		len += (size_t)snprintf(buf + len, cap - len, "%s%lld", d ? ", " : "[",
					(long long)shape[d]);
	snprintf(buf + len, cap - len, "]");
	return buf;
}

/* Reads tensor `name` as float32 with the expected shape (a dimension of
 * -1 takes any size and is returned in got[]). */
static int read_tensor(ql_source *src, const char *name, int ndim, const int64_t *want,
		       int64_t *got, float **out, ql_error *err)
{
	*out = NULL;
	long i = ql_source_find(src, name);
	if (i < 0)
		return ql_error_set(err, "%s: no tensor '%s'", ql_source_path(src), name);
	const ql_tensor *t = ql_source_tensor(src, (size_t)i);
	if (t->ndim != ndim)
		return ql_error_set(err, "%s: tensor '%s' has %d dimensions, not %d",
				    ql_source_path(src), name, t->ndim, ndim);
	for (int d = 0; d < ndim; d++) {
		if (t->shape[d] < 1 && want[d] < 0) { /* any size but none: an empty split */
			char sh[96];
			return ql_error_set(err, "%s: tensor '%s' is empty (shape %s): it needs at "
					    "least one %s", ql_source_path(src), name,
					    shape_str(sh, sizeof sh, t->shape, ndim),
					    ndim == 1 ? "value" : d == 0 ? "row" : "column");
		}
		if (t->shape[d] < 1 || (want[d] >= 0 && t->shape[d] != want[d]))
			return ql_error_set(err, "%s: tensor '%s' has dimension %d of size %lld, "
					    "not %lld", ql_source_path(src), name, d,
					    (long long)t->shape[d], (long long)want[d]);
		if (got)
			got[d] = t->shape[d];
	}
	if (ql_source_read_f32(src, (size_t)i, out, err))
		return -1;
	for (int64_t k = 0; k < t->nelem; k++)
		if (!isfinite((*out)[k])) {
			free(*out);
			*out = NULL;
			return ql_error_set(err, "%s: tensor '%s' holds a value that is not finite "
					    "(index %lld)", ql_source_path(src), name, (long long)k);
		}
	ql_source_release(src, (size_t)i);
	return 0;
}

/* Integer labels/tokens: whole numbers in [0, limit). */
static int read_ids(ql_source *src, const char *name, int64_t n_want, int64_t limit, int64_t *n_got,
		    int32_t **out, ql_error *err)
{
	float *f;
	int64_t want = n_want, got;
	if (read_tensor(src, name, 1, &want, &got, &f, err))
		return -1;
	int32_t *ids = malloc((size_t)got * sizeof *ids);
	if (!ids) {
		free(f);
		return ql_error_set(err, "out of memory");
	}
	for (int64_t i = 0; i < got; i++) {
		if (f[i] != floorf(f[i]) || f[i] < 0 || f[i] >= (float)limit) {
			ql_error_set(err, "%s: tensor '%s': element %lld is %g, not a whole number "
				     "in [0, %lld)", ql_source_path(src), name, (long long)i,
				     (double)f[i], (long long)limit);
			free(f);
			free(ids);
			return -1;
		}
		ids[i] = (int32_t)f[i];
	}
	free(f);
	*n_got = got;
	*out = ids;
	return 0;
}

static int add_mat(ql_model *m, ql_source *src, const char *name, int64_t rows, int64_t cols,
		   ql_error *err)
{
	ql_model_mat *x = &m->mats[m->nmats];
	int64_t want[2] = { rows, cols }, got[2];
	if (read_tensor(src, name, 2, want, got, &x->w, err))
		return -1;
	snprintf(x->name, sizeof x->name, "%s", name);
	x->rows = got[0];
	x->cols = got[1];
	return m->nmats++;
}

/* model.safetensors and data.safetensors are found by looking in the
 * model's directory, so only a regular file is opened: a FIFO there would
 * wait for a writer, /dev/zero be read for 1 GiB (README, "Input kinds"). */
static int open_found(const char *path, ql_source **src, ql_error *err)
{
	bool streams = ql_source_allow_streams(false);
	int rc = ql_source_open(path, NULL, src, err);
	ql_source_allow_streams(streams);
	return rc;
}

static int load_weights(ql_model *m, const char *path, ql_error *err)
{
	ql_source *src;
	if (open_found(path, &src, err))
		return -1;
	int rc = -1;
	const char *kind = meta(src, "qlens.kind"), *act = meta(src, "qlens.activation");
	if (!kind || (strcmp(kind, "classifier") && strcmp(kind, "charlm"))) {
		ql_error_set(err, "%s: __metadata__ needs qlens.kind = classifier or charlm", path);
		goto out;
	}
	m->kind = strcmp(kind, "charlm") == 0 ? QL_MODEL_CHARLM : QL_MODEL_CLASSIFIER;
	if (!act || strcmp(act, "relu") == 0)
		m->act = QL_ACT_RELU;
	else if (strcmp(act, "tanh") == 0)
		m->act = QL_ACT_TANH;
	else {
		ql_error_set(err, "%s: qlens.activation '%s' is not relu or tanh", path, act);
		goto out;
	}
	const char *v;
	if ((v = meta(src, "qlens.test_accuracy")))
		m->card_accuracy = strtod(v, NULL);
	if ((v = meta(src, "qlens.test_perplexity")))
		m->card_perplexity = strtod(v, NULL);
	if ((v = meta(src, "qlens.classes")))
		snprintf(m->classes, sizeof m->classes, "%s", v);
	int64_t prev = -1;
	if (m->kind == QL_MODEL_CHARLM) {
		const char *ctx = meta(src, "qlens.context"), *voc = meta(src, "qlens.vocab");
		char *end;
		long c = ctx ? strtol(ctx, &end, 10) : 0;
		if (!ctx || *end || c < 1 || c > 64) {
			ql_error_set(err, "%s: qlens.context must be a whole number from 1 to 64", path);
			goto out;
		}
		size_t vl = voc ? strlen(voc) : 0;
		if (vl < 2 || vl >= QL_MODEL_MAX_VOCAB) {
			ql_error_set(err, "%s: qlens.vocab must list 2 to %d characters", path,
				     QL_MODEL_MAX_VOCAB - 1);
			goto out;
		}
		m->context = (int)c;
		m->vocab = (int64_t)vl;
		memcpy(m->vocab_chars, voc, vl + 1);
		int e = add_mat(m, src, "embed.weight", m->vocab, -1, err);
		if (e < 0)
			goto out;
		m->embed = e;
		prev = m->context * m->mats[e].cols;
	}
	m->in_dim = prev;
	for (int l = 0;; l++) {
		char wname[32], bname[32];
		snprintf(wname, sizeof wname, "fc%d.weight", l + 1);
		snprintf(bname, sizeof bname, "fc%d.bias", l + 1);
		if (ql_source_find(src, wname) < 0) {
			if (l == 0) {
				ql_error_set(err, "%s: no tensor 'fc1.weight'", path);
				goto out;
			}
			break;
		}
		if (l == QL_MODEL_MAX_LAYERS) {
			ql_error_set(err, "%s: more than %d layers", path, QL_MODEL_MAX_LAYERS);
			goto out;
		}
		int k = add_mat(m, src, wname, -1, prev, err);
		if (k < 0)
			goto out;
		m->wmat[l] = k;
		m->out[l] = m->mats[k].rows;
		m->in[l] = m->mats[k].cols;
		if (l == 0)
			m->in_dim = m->in[0];
		if (m->in[l] > QL_MODEL_MAX_WIDTH || m->out[l] > QL_MODEL_MAX_WIDTH) {
			ql_error_set(err, "%s: '%s' is %lldx%lld; qlens runs layers up to %d wide",
				     path, wname, (long long)m->out[l], (long long)m->in[l],
				     QL_MODEL_MAX_WIDTH);
			goto out;
		}
		int64_t bw = m->out[l];
		if (read_tensor(src, bname, 1, &bw, NULL, &m->bias[l], err))
			goto out;
		prev = m->out[l];
		m->nlayers = l + 1;
	}
	m->nout = prev;
	if (m->kind == QL_MODEL_CHARLM && m->nout != m->vocab) {
		ql_error_set(err, "%s: the last layer gives %lld outputs for a vocabulary of %lld",
			     path, (long long)m->nout, (long long)m->vocab);
		goto out;
	}
	rc = 0;
out:
	ql_source_close(src);
	return rc;
}

static int load_split(ql_model *m, ql_source *src, const char *split, ql_model_data *d,
		      ql_error *err)
{
	char xn[32], yn[32];
	if (m->kind == QL_MODEL_CHARLM) {
		snprintf(xn, sizeof xn, "%s.tokens", split);
		if (read_ids(src, xn, -1, m->vocab, &d->n, &d->tokens, err))
			return -1;
		d->y = d->tokens;
		return 0;
	}
	snprintf(xn, sizeof xn, "%s.x", split);
	snprintf(yn, sizeof yn, "%s.y", split);
	int64_t want[2] = { -1, m->in_dim }, got[2];
	if (read_tensor(src, xn, 2, want, got, &d->x, err))
		return -1;
	int64_t ny;
	if (read_ids(src, yn, got[0], m->nout, &ny, &d->y, err))
		return -1;
	d->n = got[0];
	return 0;
}

int ql_model_load(const char *name_or_dir, ql_model *m, ql_error *err)
{
	memset(m, 0, sizeof *m);
	m->embed = -1;
	m->card_accuracy = m->card_perplexity = NAN;
	if (is_dir(name_or_dir))
		snprintf(m->dir, sizeof m->dir, "%s", name_or_dir);
	else if (!plain_name(name_or_dir) || find_dir(name_or_dir, m->dir, sizeof m->dir))
		return ql_error_set(err, "%s: no such model (the models are digits and chars, "
				    "or give a model directory)", name_or_dir);
	size_t dl = strlen(m->dir);
	while (dl > 1 && m->dir[dl - 1] == '/')
		m->dir[--dl] = '\0'; /* "models/digits/" is called digits */
	const char *base = strrchr(m->dir, '/');
	base = base && base[1] ? base + 1 : m->dir;
	snprintf(m->name, sizeof m->name, "%.63s", plain_name(name_or_dir) ? name_or_dir : base);
	char path[1100];
	snprintf(path, sizeof path, "%s/model.safetensors", m->dir);
	if (load_weights(m, path, err))
		goto fail;
	snprintf(path, sizeof path, "%s/data.safetensors", m->dir);
	ql_source *src;
	if (open_found(path, &src, err))
		goto fail;
	int rc = load_split(m, src, "test", &m->test, err);
	if (!rc)
		rc = load_split(m, src, "calib", &m->calib, err);
	ql_source_close(src);
	if (rc)
		goto fail;
	if (m->test.n < 1) {
		ql_error_set(err, "%s: the test split is empty", path);
		goto fail;
	}
	return 0;
fail:
	ql_model_free(m);
	return -1;
}

static void free_split(ql_model_data *d)
{
	free(d->x);
	if (d->y != d->tokens)
		free(d->y);
	free(d->tokens);
	memset(d, 0, sizeof *d);
}

void ql_model_free(ql_model *m)
{
	for (int i = 0; i < m->nmats; i++)
		free(m->mats[i].w);
	for (int l = 0; l < QL_MODEL_MAX_LAYERS; l++)
		free(m->bias[l]);
	free_split(&m->test);
	free_split(&m->calib);
	m->nmats = 0;
	m->nlayers = 0;
	memset(m->bias, 0, sizeof m->bias);
}

const char *ql_act_quant_name(ql_act_quant a)
{
	static const char *const names[QL_ACTQ_COUNT] = { "none", "int8-dynamic", "int8-static" };
	return (unsigned)a < QL_ACTQ_COUNT ? names[a] : "?";
}

int ql_act_quant_parse(const char *word, ql_act_quant *out)
{
	for (int a = 0; a < QL_ACTQ_COUNT; a++)
		if (strcmp(word, ql_act_quant_name((ql_act_quant)a)) == 0) {
			*out = (ql_act_quant)a;
			return 0;
		}
	return -1;
}
