/* fuzz_common.h — what the libFuzzer targets share: each input is written
 * to a file in /dev/shm (or /tmp) with the extension the reader expects,
 * opened through ql_source_open(), every tensor decoded, and closed. Any
 * crash, sanitizer report, leak or hang is a finding; a clean refusal is
 * the expected outcome for most inputs.
 */
#ifndef QLENS_FUZZ_COMMON_H
#define QLENS_FUZZ_COMMON_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "qlens/io.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *fuzz_dir(void)
{
	return access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
}

static int fuzz_write(const char *path, const uint8_t *data, size_t size)
{
	FILE *f = fopen(path, "wb");
	if (!f)
		return -1;
	size_t n = size ? fwrite(data, 1, size, f) : 0;
	fclose(f);
	return n == size ? 0 : -1;
}

/* Opens path, reads every tensor as floats, closes. */
static void fuzz_open_read(const char *path, const ql_open_opts *opts)
{
	ql_source *src = NULL;
	ql_error err;
	if (ql_source_open(path, opts, &src, &err)) {
		if (strchr(err.msg, '\n'))
			abort(); /* messages are one line */
		return;
	}
	for (size_t i = 0; i < ql_source_count(src); i++) {
		const ql_tensor *t = ql_source_tensor(src, i);
		if (t->nelem > (1 << 26))
			continue; /* the data is in the file, but keep the fuzzer fast */
		float *v = NULL;
		if (ql_source_read_f32(src, i, &v, &err) == 0)
			free(v);
	}
	for (size_t i = 0; i < ql_source_meta_count(src); i++)
		if (!ql_source_meta(src, i)->key || !ql_source_meta(src, i)->value)
			abort();
	ql_source_close(src);
}

/* The whole input as one file named qlens-fuzz-PID.EXT. */
static int fuzz_file(const uint8_t *data, size_t size, const char *ext)
{
	char path[256];
	snprintf(path, sizeof path, "%s/qlens-fuzz-%d%s", fuzz_dir(), (int)getpid(), ext);
	if (fuzz_write(path, data, size) == 0)
		fuzz_open_read(path, NULL);
	unlink(path);
	return 0;
}

#endif
