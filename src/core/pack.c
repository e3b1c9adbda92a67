/* pack.c — sub-byte codes packed densely into bytes, and back.
 *
 * Codes of `bits` bits (1, 2 or 4; 8 is a plain copy) are packed with the
 * first element in the lowest bits of the first byte: int4 pairs as
 * low nibble = element 2i, high nibble = element 2i + 1 (PyTorch's and
 * most runtimes' order); int2 quads as bits 0-1 = element 4i ... bits 6-7 =
 * element 4i + 3, so [1, 0, 3, 2] packs to 0b10'11'00'01 = 177. A last,
 * partial byte has its unused high bits 0.
 *
 * This is not the order of llama.cpp's Q4_0 (element j and j + 16 of a block
 * share a byte) nor of bitsandbytes (first element in the high nibble):
 * those layouts are written by their own kernels (blocks.c, nf4.c).
 */
#include "qlens/pack.h"

#include <string.h>

size_t ql_packed_bytes(size_t n, int bits)
{
	size_t per = (size_t)(8 / bits);
	return n / per + (n % per != 0);
}

void ql_pack_bits(const uint8_t *codes, size_t n, int bits, uint8_t *out)
{
	if (bits == 8) {
		if (n)
			memcpy(out, codes, n);
		return;
	}
	const int per = 8 / bits;
	const unsigned mask = (1u << bits) - 1;
	size_t nfull = n / (size_t)per;

	for (size_t b = 0; b < nfull; b++) {
		unsigned byte = 0;
		for (int k = 0; k < per; k++)
			byte |= (codes[b * per + k] & mask) << (k * bits);
		out[b] = (uint8_t)byte;
	}
	if (n % (size_t)per) {
		unsigned byte = 0;
		for (size_t k = 0; nfull * per + k < n; k++)
			byte |= (codes[nfull * per + k] & mask) << (k * bits);
		out[nfull] = (uint8_t)byte;
	}
}

void ql_unpack_bits(const uint8_t *in, size_t n, int bits, bool sign_extend, uint8_t *codes)
{
	if (bits == 8) {
		if (n)
			memcpy(codes, in, n);
		return;
	}
	const int per = 8 / bits;
	const unsigned mask = (1u << bits) - 1;
	const unsigned sign = 1u << (bits - 1);

	for (size_t i = 0; i < n; i++) {
		unsigned v = (in[i / per] >> ((i % per) * bits)) & mask;
		if (sign_extend && (v & sign))
			v |= ~mask; /* two's complement: fill the high bits */
		codes[i] = (uint8_t)v;
	}
}
