/* divstats.h — printing output-divergence statistics (divergence.h), shared
 * by `qlens eval` and `qlens divergence` (private to src/cli).
 */
#ifndef QLENS_CLI_DIVSTATS_H
#define QLENS_CLI_DIVSTATS_H

#include <stdio.h>

#include "qlens/divergence.h"
#include "qlens/jsonw.h"

/* The statistics as llama-perplexity prints them, in sections: KL
 * divergence, top-1 agreement, and with labels flips and Δp of the
 * correct answer. accuracy: print accuracy/flips (classifier) rather than
 * perplexity first. */
void ql_cli_print_div(FILE *out, const ql_div_stats *s, int accuracy);

/* Keys "kl", "top1", and with labels "flips", "delta_p", "perplexity",
 * "accuracy" (the latter when accuracy is set), inside an open object. */
void ql_cli_json_div(ql_jsonw *j, const ql_div_stats *s, int accuracy);

#endif
