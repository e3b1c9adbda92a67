/* fuzz_shards.c — libFuzzer target for the sharded-safetensors reader
 * (src/io/shards.c). The input is model.safetensors.index.json, written
 * into a folder that also holds two valid shards, s1.safetensors (tensor
 * "a") and s2.safetensors (tensor "b"), made once at start-up.
 * Seeds: the index files of tests/corpus/shards. */
#include "fuzz_common.h"

#include <sys/stat.h>

static char folder[256];

/* A safetensors file with one F32 tensor of 4 values. */
static void make_shard(const char *name, const char *tensor)
{
	char header[128], path[512];
	int n = snprintf(header, sizeof header,
			 "{\"%s\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}", tensor);
	uint8_t buf[256];
	uint64_t len = (uint64_t)n;
	for (int i = 0; i < 8; i++)
		buf[i] = (uint8_t)(len >> (8 * i));
	memcpy(buf + 8, header, (size_t)n);
	static const float v[4] = { 1, -2, 0.5f, 3 };
	memcpy(buf + 8 + n, v, sizeof v);
	snprintf(path, sizeof path, "%s/%s", folder, name);
	fuzz_write(path, buf, 8 + (size_t)n + sizeof v);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!folder[0]) {
		snprintf(folder, sizeof folder, "%s/qlens-fuzz-shards-%d", fuzz_dir(), (int)getpid());
		mkdir(folder, 0700);
		make_shard("s1.safetensors", "a");
		make_shard("s2.safetensors", "b");
	}
	char path[512];
	snprintf(path, sizeof path, "%s/model.safetensors.index.json", folder);
	if (fuzz_write(path, data, size) == 0)
		fuzz_open_read(path, NULL);
	return 0;
}
