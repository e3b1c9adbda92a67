/* fuzz_text.c — libFuzzer target for the text reader (src/io/text.c).
 * Seeds: the text files of tests/golden/readers and tests/corpus/text. */
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return fuzz_file(data, size, ".txt");
}
