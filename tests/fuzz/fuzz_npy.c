/* fuzz_npy.c — libFuzzer target for the .npy reader (src/io/npy.c).
 * Seeds: the .npy files of tests/golden/files and tests/corpus. */
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return fuzz_file(data, size, ".npy");
}
