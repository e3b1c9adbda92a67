/* model.h — the tiny real models qlens evaluates, and their forward passes.
 *
 * A model is a directory of two safetensors files (assets/models/README.md
 * describes them; scripts/train_*.py make the shipped ones):
 *
 *   model.safetensors   float32 weights, PyTorch's layout: fc1.weight [out, in],
 *                       fc1.bias [out], fc2..., and for a character model
 *                       embed.weight [vocab, dim]; __metadata__ says
 *                       qlens.kind (classifier | charlm), qlens.activation
 *                       (relu | tanh), and for charlm qlens.context and
 *                       qlens.vocab (the character of each token id).
 *   data.safetensors    held-out data: test.x [n, in] (float32) and test.y [n]
 *                       (int) for a classifier; test.tokens [n] (int) for a
 *                       character model; calib.* the same for calibration.
 *
 * The network is Linear, activation, Linear, activation, ..., Linear (the
 * last layer gives logits). A charlm's input for the token at position i is
 * the concatenated embeddings of tokens i-C .. i-1 (token 0 before the
 * start), and it predicts token i.
 *
 *   ql_model m;
 *   if (ql_model_load("digits", &m, &err)) ...fail...
 *   float *logits = malloc(m.test.n * m.nout * sizeof *logits);
 *   ql_model_forward(&m, NULL, &m.test, NULL, logits);
 *   ql_model_free(&m);
 *
 * The forward pass is float32, no BLAS, deterministic: every dot product is
 * summed in eight float32 lanes in a fixed order, rows are independent, so
 * the result does not depend on the number of threads.
 *
 * Activation quantization (ql_act_opts): each linear layer's input is
 * quantized to int8 (symmetric, codes [-127, 127], PyTorch's kernel
 * ql_affine_qdq_s8) and dequantized before the layer — per row at run time
 * (dynamic: scale = that row's absmax / 127), or with one scale per layer
 * chosen on the calibration split (static: ql_model_calibrate).
 *
 * Not here: quantizing the weights and comparing outputs (eval.h), reading
 * files in general (io.h).
 */
#ifndef QLENS_MODEL_H
#define QLENS_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "qlens/error.h"
#include "qlens/quant.h"

#define QL_MODEL_MAX_LAYERS 8
#define QL_MODEL_MAX_MATS (QL_MODEL_MAX_LAYERS + 1)
#define QL_MODEL_MAX_VOCAB 256
#define QL_MODEL_MAX_WIDTH 4096 /* widest layer input or output */

typedef enum ql_model_kind {
	QL_MODEL_CLASSIFIER, /* test.x -> class logits; accuracy */
	QL_MODEL_CHARLM,     /* previous characters -> next-character logits; perplexity */
} ql_model_kind;

typedef enum ql_act_fn { QL_ACT_RELU, QL_ACT_TANH } ql_act_fn;

typedef enum ql_act_quant {
	QL_ACTQ_NONE,         /* float32 activations */
	QL_ACTQ_INT8_DYNAMIC, /* int8, scale per row from its absmax, at run time */
	QL_ACTQ_INT8_STATIC,  /* int8, one scale per layer from the calibration split */
	QL_ACTQ_COUNT
} ql_act_quant;

/* A weight matrix: the tensors that quantization changes. */
typedef struct ql_model_mat {
	char name[64];      /* "fc1.weight", "embed.weight" */
	int64_t rows, cols; /* [out, in]; an embedding is [vocab, dim] */
	float *w;           /* rows * cols, owned */
} ql_model_mat;

/* One split of the held-out data. n examples; example i's label is y[i]. */
typedef struct ql_model_data {
	int64_t n;
	float *x;        /* classifier: n * in_dim inputs */
	int32_t *tokens; /* charlm: the text as token ids (= y) */
	int32_t *y;      /* labels (classifier) or the tokens to predict (charlm) */
} ql_model_data;

typedef struct ql_model {
	char name[64];           /* "digits", or the directory's last part */
	char dir[1024];
	ql_model_kind kind;
	ql_act_fn act;
	int nlayers;
	int64_t in[QL_MODEL_MAX_LAYERS], out[QL_MODEL_MAX_LAYERS];
	int wmat[QL_MODEL_MAX_LAYERS];   /* layer l's weight: mats[wmat[l]] */
	float *bias[QL_MODEL_MAX_LAYERS]; /* out[l] floats, owned (never quantized) */
	int embed;               /* charlm: index of the embedding in mats; else -1 */
	int context;             /* charlm: characters of context */
	int64_t vocab;           /* charlm: tokens */
	char vocab_chars[QL_MODEL_MAX_VOCAB]; /* charlm: token id -> character */
	char classes[64];        /* classifier: names of the classes, if given */
	int64_t in_dim, nout;    /* model input (features or context*dim) and outputs */
	int nmats;
	ql_model_mat mats[QL_MODEL_MAX_MATS];
	ql_model_data test, calib;
	double card_accuracy;    /* from the metadata (NaN if absent) */
	double card_perplexity;
} ql_model;

/* NAME ("digits", "chars") or a directory. A name is assets/models/NAME
 * in the data folder (datadir.h). */
int ql_model_load(const char *name_or_dir, ql_model *m, ql_error *err);
void ql_model_free(ql_model *m);

typedef struct ql_act_opts {
	ql_act_quant mode;
	const float *scales; /* STATIC: one int8 scale per layer (ql_model_calibrate) */
} ql_act_opts;

/* logits[count * m->nout] for examples [first, first + count) of d.
 * mats: one weight array per m->mats entry (the same shapes), or NULL for
 * the model's own. act may be NULL (float activations). threads: 0 = one
 * per online CPU (at most 8). */
void ql_model_forward_range(const ql_model *m, const float *const *mats, const ql_model_data *d,
			    int64_t first, int64_t count, const ql_act_opts *act, int threads,
			    float *logits);
/* The whole split, automatic threads. */
void ql_model_forward(const ql_model *m, const float *const *mats, const ql_model_data *d,
		      const ql_act_opts *act, float *logits);

/* Static activation scales: runs the calibration split with weights mats
 * (NULL: the model's own) and float activations, collects each layer's
 * input, and gives the int8 symmetric scale that `method` (with pct for
 * percentile) chooses for it: scales[m->nlayers]. */
int ql_model_calibrate(const ql_model *m, const float *const *mats, ql_calib method, double pct,
		       float *scales, ql_error *err);

/* The words of --act. */
const char *ql_act_quant_name(ql_act_quant a);
int ql_act_quant_parse(const char *word, ql_act_quant *out);

/* A charlm's greedy continuation: starting from the context tokens prompt
 * (plen of them, the last `context` used), appends the most likely next
 * token n times into out[n]. */
void ql_model_greedy(const ql_model *m, const float *const *mats, const ql_act_opts *act,
		     const int32_t *prompt, int plen, int n, int32_t *out);

#endif
