/* fuzz_npz.c — libFuzzer target for the .npz reader (src/io/npz.c: zip,
 * zip64, deflate, the .npy headers inside).  Seeds: the .npz files of tests/golden/readers
 * and tests/corpus/npz. */
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return fuzz_file(data, size, ".npz");
}
