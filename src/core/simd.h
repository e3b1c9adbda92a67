/* simd.h — QL_SIMD_CLONES: a hot kernel compiled twice, for AVX2 and for
 * the baseline x86-64 (SSE2), the right one picked once at load time (GCC's
 * target_clones, an ifunc). Elsewhere it is nothing.
 *
 * Safe for exactness: the clones run the same C, and the C in these kernels
 * has no operation whose result depends on the vector width (no
 * reassociated sums: the metric sums keep their own fixed lanes; no fused
 * multiply-add: FMA is not among the targets, and -std=c11 keeps
 * contraction off anyway).
 */
#ifndef QLENS_CORE_SIMD_H
#define QLENS_CORE_SIMD_H

/* GCC only: clang 14 emits no ifunc for a cloned function that another
 * file calls, and the link fails; there the explicit AVX2 kernels of
 * quant_avx2.c still apply. */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && defined(__has_attribute)
#if __has_attribute(target_clones)
#define QL_SIMD_CLONES __attribute__((target_clones("avx2", "default")))
#endif
#endif
#ifndef QL_SIMD_CLONES
#define QL_SIMD_CLONES
#endif

/* For a helper of a QL_SIMD_CLONES kernel: GCC does not always inline a
 * plain function into a clone, and then the helper runs as baseline code. */
#if defined(__GNUC__)
#define QL_ALWAYS_INLINE __attribute__((always_inline))
#else
#define QL_ALWAYS_INLINE
#endif

#endif
