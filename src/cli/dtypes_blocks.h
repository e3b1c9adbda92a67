/* dtypes_blocks.h — `qlens dtypes --blocks`: the block formats' layouts. */
#ifndef QLENS_CLI_DTYPES_BLOCKS_H
#define QLENS_CLI_DTYPES_BLOCKS_H

#include <stdbool.h>
#include <stdio.h>

/* Prints every block format of blockfmt.h's table (or those named in list,
 * comma-separated; NULL for all) as text or JSON. Returns 0, or -1 with
 * *bad naming an unknown format in list (not NUL-terminated: *bad_len). */
int ql_dtypes_blocks(FILE *out, bool json, const char *list, const char **bad, size_t *bad_len);

#endif
