/* simd.c: the run-time choice of the kernels' instruction set (perturb/simd.h). */
#include "simd_impl.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"

/* −1: not chosen yet; else a pt_simd_level */
static atomic_int active = -1;

pt_simd_level pt_simd_supported(void) {
#if PT_SIMD_X86
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl")) return PT_SIMD_AVX512;
  if (__builtin_cpu_supports("avx2")) return PT_SIMD_AVX2;
#endif
  return PT_SIMD_PORTABLE;
}

const char *pt_simd_name(pt_simd_level level) {
  switch (level) {
  case PT_SIMD_PORTABLE: return "portable";
  case PT_SIMD_AVX2: return "avx2";
  case PT_SIMD_AVX512: return "avx512";
  }
  return "unknown";
}

/* The level named `name`, or −1 (auto gives the widest supported). */
static int level_by_name(const char *name) {
  if (strcmp(name, "auto") == 0) return (int)pt_simd_supported();
  for (int l = PT_SIMD_PORTABLE; l <= PT_SIMD_AVX512; l++)
    if (strcmp(name, pt_simd_name((pt_simd_level)l)) == 0) return l;
  return -1;
}

pt_status pt_simd_select(const char *name) {
  PT_CHECK_PTR("pt_simd_select", name);
  const int l = level_by_name(name);
  if (l < 0) return pt_error(PT_EINVAL, "SIMD path '%s' is not one of portable, avx2, avx512, auto", name);
  if (l > (int)pt_simd_supported())
    return pt_error(PT_EINVAL, "SIMD path '%s' does not run here: this CPU (or build) runs up to %s", name,
                    pt_simd_name(pt_simd_supported()));
  atomic_store(&active, l);
  return PT_OK;
}

pt_simd_level pt_simd_active(void) {
  int l = atomic_load(&active);
  if (l >= 0) return (pt_simd_level)l;
  /* First use: PERTURB_SIMD, if it names a path this CPU runs; a wrong value
   * falls back to the widest path (the command-line tool checks it first and
   * says what is wrong: pt_simd_select). */
  const char *env = getenv("PERTURB_SIMD");
  l = env ? level_by_name(env) : -1;
  if (l < 0 || l > (int)pt_simd_supported()) l = (int)pt_simd_supported();
  int expected = -1;
  atomic_compare_exchange_strong(&active, &expected, l);
  return (pt_simd_level)atomic_load(&active);
}
