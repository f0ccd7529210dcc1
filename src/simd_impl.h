/* simd_impl.h (internal): what the kernels need to offer one version per
 * instruction set (perturb/simd.h). A kernel written once as a plain C body
 * is compiled three times, with PT_TARGET_AVX2 and PT_TARGET_AVX512 on two of
 * them; the compiler vectorises each for its set. Integer kernels give the
 * same bits whatever the width; floating-point ones must not let the
 * compiler contract or reorder (the build has no -ffast-math, and
 * -ffp-contract=off where it matters). */
#ifndef PERTURB_SIMD_IMPL_H
#define PERTURB_SIMD_IMPL_H

#include "perturb/simd.h"

#if defined(__x86_64__) && defined(__GNUC__)
#define PT_SIMD_X86 1
/* every AVX2 CPU has popcnt too */
#define PT_TARGET_AVX2 __attribute__((target("avx2,popcnt")))
#define PT_TARGET_AVX512 __attribute__((target("avx512f,avx512vl,avx2,popcnt")))
#else
#define PT_SIMD_X86 0
#endif

#endif
