// Run-time CPU dispatch for the voxelizer's hot loops: a function marked LIDARDET_TARGET_AVX2 is
// compiled for AVX2 (never FMA: no multiply-add may be contracted, results stay bit-identical to
// the baseline build) and called only when cpu_has_avx2() says so.
#pragma once

#if (defined(__x86_64__) || defined(__i386__)) && (defined(__GNUC__) || defined(__clang__))
#define LIDARDET_HAVE_AVX2_CLONES 1
#define LIDARDET_TARGET_AVX2 __attribute__((target("avx2")))
#else
#define LIDARDET_HAVE_AVX2_CLONES 0
#define LIDARDET_TARGET_AVX2
#endif

#if defined(__GNUC__) || defined(__clang__)
#define LIDARDET_ALWAYS_INLINE __attribute__((always_inline))
#else
#define LIDARDET_ALWAYS_INLINE
#endif

namespace lidardet {

// Whether this CPU runs AVX2 code (checked once).
inline bool cpu_has_avx2() {
#if LIDARDET_HAVE_AVX2_CLONES
  static const bool has = __builtin_cpu_supports("avx2");
  return has;
#else
  return false;
#endif
}

}  // namespace lidardet
