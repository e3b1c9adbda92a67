/* fuzz_scheme.c — libFuzzer target for the scheme language of `report`
 * and `compare` (ql_scheme_parse_word: "int4/g32/mse", "uint8/asym/ch1",
 * ...). The input's first line is the scheme word; the next bytes give a
 * small tensor shape (1-3 dimensions of 0-15) and its values come from a
 * fixed pattern.
 *
 * For every word that parses: the description is one line; for every
 * shape it validates against, ql_quantize() either succeeds with a result
 * that passes ql_qresult_check() (scales, a finite range: never an empty
 * answer) or fails with a one-line message. Words that do not parse must
 * fail with a one-line message.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qlens/error.h"
#include "qlens/quant.h"

#include "qlens/scheme_text.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void one_line(const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p < 0x20 || *p == 0x7F)
			abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nl = memchr(data, '\n', size);
	size_t wl = nl ? (size_t)(nl - data) : size;
	if (wl > 200)
		return 0;
	char word[201];
	memcpy(word, data, wl);
	word[wl] = '\0';
	if (strlen(word) != wl)
		return 0; /* a NUL inside: not a word a shell can pass */
	ql_scheme s;
	ql_error err;
	err.msg[0] = '\0';
	if (ql_scheme_parse_word(word, &s, &err)) {
		if (!err.msg[0])
			abort();
		one_line(err.msg);
		return 0;
	}
	char desc[160];
	ql_scheme_describe(&s, desc, sizeof desc);
	one_line(desc);

	const uint8_t *rest = nl ? nl + 1 : data + size;
	size_t rn = (size_t)(data + size - rest);
	int64_t shape[3] = {1, 1, 1};
	int ndim = rn ? 1 + rest[0] % 3 : 1;
	int64_t nelem = 1;
	for (int i = 0; i < ndim; i++) {
		shape[i] = 1 + i < (int)rn ? rest[1 + i] % 16 : 4;
		nelem *= shape[i];
	}
	float *x = malloc((size_t)(nelem ? nelem : 1) * sizeof *x);
	if (!x)
		return 0;
	for (int64_t i = 0; i < nelem; i++)
		x[i] = (float)((i * 37) % 23) / 7.0f - 1.5f + (i % 5 == 0 ? 0.0f : 0.125f);
	if (ql_scheme_validate(&s, shape, ndim, &err) == 0) {
		ql_qopts qo = { .dequant = true, .threads = 1 };
		ql_qresult r;
		if (ql_quantize(x, shape, ndim, &s, &qo, &r, &err) == 0) {
			if (ql_qresult_check(&r, &err))
				abort(); /* an answer with nothing in it */
			for (int64_t i = 0; i < r.nelem; i++)
				if (!isfinite(r.dequant[i]))
					abort();
			ql_qresult_free(&r);
		} else {
			one_line(err.msg);
		}
	} else {
		one_line(err.msg);
	}
	free(x);
	return 0;
}
