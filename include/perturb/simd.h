/* perturb/simd.h: which instruction set the library's hot kernels run on.
 *
 * The kernels that dominate the perturbed estimators (the Gaussian sampler's
 * Philox blocks and Box–Muller transform, the positions of a ranking for
 * d ≤ 16 and the rank count of the sort for d ≤ 32) have a portable version and
 * versions for AVX2 and AVX-512, chosen at run time from what the CPU
 * supports, so that one binary serves a cluster's mixed nodes. Every version
 * gives the same bits as the portable one (tests/test_simd.c, test_normal.c
 * and test_sort.c force each), so results do not depend on the node a rank
 * runs on.
 *
 * The choice is global to the process. By default it is the best the CPU
 * runs; the environment variable PERTURB_SIMD (portable, avx2, avx512 or
 * auto), read at the first use, or pt_simd_select() override it. */
#ifndef PERTURB_SIMD_H
#define PERTURB_SIMD_H

#include "perturb/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The code paths, in increasing order of width. */
typedef enum pt_simd_level {
  PT_SIMD_PORTABLE = 0, /* plain C, any CPU */
  PT_SIMD_AVX2 = 1,     /* x86-64 with AVX2 */
  PT_SIMD_AVX512 = 2    /* x86-64 with AVX-512 F and VL */
} pt_simd_level;

/* The widest path this CPU (and this build) runs. Thread-safe. */
pt_simd_level pt_simd_supported(void);

/* The path the kernels use now: the one selected, else PERTURB_SIMD's, else
 * pt_simd_supported(). Thread-safe. */
pt_simd_level pt_simd_active(void);

/* The path's name: "portable", "avx2" or "avx512" ("unknown" otherwise). */
const char *pt_simd_name(pt_simd_level level);

/* Selects the path named `name` ("portable", "avx2", "avx512", or "auto" for
 * the widest supported) for every kernel from now on. PT_EINVAL with one
 * line for an unknown name or a path this CPU or build cannot run (nothing
 * changes then). Call it before kernels run on other threads. */
pt_status pt_simd_select(const char *name);

#ifdef __cplusplus
}
#endif

#endif
