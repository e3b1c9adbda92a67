/* fuzz_safetensors.c — libFuzzer target for the .safetensors reader (src/io/safetensors.c).
 * Seeds: the .safetensors files of tests/golden/files and tests/corpus. */
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return fuzz_file(data, size, ".safetensors");
}
