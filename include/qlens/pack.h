/* pack.h — sub-byte codes packed densely (pack.c). */
#ifndef QLENS_PACK_H
#define QLENS_PACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- Bit packing (pack.c) -------------------------------------------------- */

/* Bytes to hold n codes of `bits` (1 to 8) bits: ceil(n * bits / 8). */
size_t ql_packed_bytes(size_t n, int bits);
/* Packs the low `bits` bits (1 to 8) of each code into one LSB-first bit
 * stream (element i at stream bits i*bits.., stream bit k = bit k % 8 of
 * byte k / 8): int4/uint4 two per byte (element 2i in the low nibble),
 * int2/uint2 four per byte (element 4i in bits 0-1): [1, 0, 3, 2] ->
 * 0b10110001 = 177; 3, 5, 6 and 7-bit codes straddle bytes (int3 [1, 2, 3]
 * -> 0xd1 0x00). The unused bits of a last partial byte are 0. */
void ql_pack_bits(const uint8_t *codes, size_t n, int bits, uint8_t *out);
/* The inverse; sign_extend turns each field into a two's-complement int8
 * (int4 0xF -> -1). */
void ql_unpack_bits(const uint8_t *in, size_t n, int bits, bool sign_extend, uint8_t *codes);

#endif
