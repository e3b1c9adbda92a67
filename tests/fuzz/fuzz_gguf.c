/* fuzz_gguf.c — libFuzzer target for the GGUF reader (src/io/gguf.c).
 * Seeds: the .gguf files of tests/golden/readers and tests/corpus/gguf. */
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return fuzz_file(data, size, ".gguf");
}
