/* half_ref.h — an fp16 reference that is not qlens's code: the compiler's
 * _Float16 conversions (GCC 12+ on x86: libgcc's soft-float), or, where the
 * compiler has no _Float16 (clang 14 on x86), the F16C instructions
 * vcvtps2ph / vcvtph2ps. Both round to nearest even and keep a NaN's sign
 * and top payload bits, quieted. */
#ifndef QLENS_TEST_HALF_REF_H
#define QLENS_TEST_HALF_REF_H

#include <stdint.h>
#include <string.h>

#ifdef __FLT16_MAX__
static inline uint16_t half_ref_from_f32(float f)
{
	_Float16 h = (_Float16)f;
	uint16_t r;
	memcpy(&r, &h, sizeof r);
	return r;
}

static inline float half_ref_to_f32(uint16_t c)
{
	_Float16 h;
	memcpy(&h, &c, sizeof h);
	return (float)h;
}
#elif defined(__x86_64__)
#include <immintrin.h>
__attribute__((target("f16c"))) static inline uint16_t half_ref_from_f32(float f)
{
	return (uint16_t)_cvtss_sh(f, 0); /* 0: round to nearest even */
}

__attribute__((target("f16c"))) static inline float half_ref_to_f32(uint16_t c)
{
	return _cvtsh_ss(c);
}
#else
#error "no independent fp16 reference on this compiler: needs _Float16 or x86 F16C"
#endif

#endif
