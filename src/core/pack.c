/* pack.c — sub-byte codes packed densely into bytes, and back.
 *
 * Codes of `bits` bits (1 to 7; 8 is a plain copy) are packed as one
 * LSB-first bit stream: element i occupies stream bits [i*bits, (i+1)*bits),
 * its lowest bit first, and stream bit k is bit k % 8 of byte k / 8. For
 * 1, 2 and 4 bits every byte holds whole codes: int4 pairs as low nibble =
 * element 2i, high nibble = element 2i + 1 (PyTorch's and most runtimes'
 * order); int2 quads as bits 0-1 = element 4i ... bits 6-7 = element 4i + 3,
 * so [1, 0, 3, 2] packs to 0b10'11'00'01 = 177. For 3, 5, 6 and 7 bits a
 * code may straddle two bytes: int3 [1, 2, 3] packs to 0b11'010'001 = 0xd1
 * then 0b0 (the high bit of the third code) = 0x00. The unused high bits
 * of the last byte are 0; the stream is numpy.packbits(bitorder="little")
 * of each code's bits, lowest first.
 *
 * This is not the order of llama.cpp's Q4_0 (element j and j + 16 of a block
 * share a byte) nor of bitsandbytes (first element in the high nibble):
 * those layouts are written by their own kernels (blocks.c, nf4.c).
 */
#include "qlens/pack.h"

#include <string.h>

size_t ql_packed_bytes(size_t n, int bits)
{
	/* n * bits / 8 rounded up, without overflowing n * bits */
	size_t b = (size_t)bits;
	return n / 8 * b + (n % 8 * b + 7) / 8;
}

void ql_pack_bits(const uint8_t *codes, size_t n, int bits, uint8_t *out)
{
	if (bits == 8) {
		if (n)
			memcpy(out, codes, n);
		return;
	}
	const unsigned mask = (1u << bits) - 1;
	unsigned acc = 0; /* bits not yet written, lowest first */
	int have = 0;
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		acc |= (codes[i] & mask) << have;
		have += bits;
		while (have >= 8) {
			out[o++] = (uint8_t)acc;
			acc >>= 8;
			have -= 8;
		}
	}
	if (have > 0)
		out[o] = (uint8_t)acc;
}

void ql_unpack_bits(const uint8_t *in, size_t n, int bits, bool sign_extend, uint8_t *codes)
{
	if (bits == 8) {
		if (n)
			memcpy(codes, in, n);
		return;
	}
	const unsigned mask = (1u << bits) - 1;
	const unsigned sign = 1u << (bits - 1);
	unsigned acc = 0;
	int have = 0;
	size_t p = 0;
	for (size_t i = 0; i < n; i++) {
		while (have < bits) {
			acc |= (unsigned)in[p++] << have;
			have += 8;
		}
		unsigned v = acc & mask;
		acc >>= bits;
		have -= bits;
		if (sign_extend && (v & sign))
			v |= ~mask; /* two's complement: fill the high bits */
		codes[i] = (uint8_t)v;
	}
}
