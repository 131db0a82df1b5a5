/* Runtime choice between the generic (SSE2) and AVX2 builds of the hot
 * loops; see simd.h. */
#include "simd.h"

int au_simd_level_ = -1;

int au_simd_probe_(void)
{
    int l = 0;
#if AU_SIMD_DISPATCH
    l = __builtin_cpu_supports("avx2") ? 1 : 0;
#endif
    __atomic_store_n(&au_simd_level_, l, __ATOMIC_RELAXED);
    return l;
}

void au_simd_force_generic(int on)
{
    __atomic_store_n(&au_simd_level_, on ? 0 : -1, __ATOMIC_RELAXED);
}
