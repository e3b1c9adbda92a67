/* fuzz_raw.c — libFuzzer target for the raw reader (src/io/raw.c): the
 * input's first line is "DTYPE SHAPE" (as --raw and --shape would give
 * them), the rest is the file of bare values. */
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nl = memchr(data, '\n', size);
	if (!nl || nl - data > 120)
		return 0;
	char line[128];
	memcpy(line, data, (size_t)(nl - data));
	line[nl - data] = '\0';
	char *space = strchr(line, ' ');
	ql_open_opts o = { .raw_dtype = line, .raw_shape = NULL };
	if (space) {
		*space = '\0';
		o.raw_shape = space + 1;
	}
	char path[256];
	snprintf(path, sizeof path, "%s/qlens-fuzz-%d.bin", fuzz_dir(), (int)getpid());
	if (fuzz_write(path, nl + 1, size - (size_t)(nl + 1 - data)) == 0)
		fuzz_open_read(path, &o);
	unlink(path);
	return 0;
}
