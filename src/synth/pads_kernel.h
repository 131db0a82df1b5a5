/* Internal to inst_pads.c: the per-sample pad kernel, written once and
 * instantiated for SSE (one or two 4-lane groups) and AVX2 (both groups in
 * one 8-lane vector). Every lane does the same IEEE operations in the same
 * order in all three, and the two groups are summed as lo + hi in all
 * paths, so they give identical bits (tested).
 *
 * Parameters (macros): PK_NAME, PK_VT (vector type), PK_VI (its mask
 * type), PK_W (lanes per vector), PK_NG (vectors per sample), PK_ATTR
 * (function attributes), PK_MIN(a, b) (a < b ? a : b), PK_FOLD(ol, acc)
 * (sum of the groups into one 4-lane vector). */

static PK_ATTR void PK_NAME(float (*kl)[AU_INST_MAXV], float (*ev)[AU_INST_MAXV],
                            int o, v8f *accl, v8f *accr, int n)
{
    PK_VT env[PK_NG], tgt[PK_NG], er[PK_NG], dv[PK_NG], pa[PK_NG], pb[PK_NG],
        da[PK_NG], db[PK_NG], ida[PK_NG], idb[PK_NG], m11[PK_NG], b1[PK_NG],
        m22[PK_NG], b2[PK_NG], l1[PK_NG], l2[PK_NG], r1[PK_NG], r2[PK_NG],
        gn[PK_NG], gf[PK_NG], ss[PK_NG], sc[PK_NG], rc[PK_NG], rs[PK_NG],
        amp[PK_NG];
#define PK_LD(f, g) __builtin_memcpy(&f[g], kl[PL_##f] + o + PK_W * (g), sizeof(PK_VT))
#define PK_ST(f, g) __builtin_memcpy(kl[PL_##f] + o + PK_W * (g), &f[g], sizeof(PK_VT))
#define PK_LDE(f, g) __builtin_memcpy(&f[g], ev[PE_##f] + o + PK_W * (g), sizeof(PK_VT))
#define PK_STE(f, g) __builtin_memcpy(ev[PE_##f] + o + PK_W * (g), &f[g], sizeof(PK_VT))
    for (int g = 0; g < PK_NG; g++) {
        PK_LDE(env, g); PK_LDE(tgt, g); PK_LDE(er, g); PK_LDE(dv, g);
        PK_LD(pa, g); PK_LD(pb, g); PK_LD(da, g); PK_LD(db, g);
        PK_LD(ida, g); PK_LD(idb, g); PK_LD(m11, g); PK_LD(b1, g);
        PK_LD(m22, g); PK_LD(b2, g); PK_LD(l1, g); PK_LD(l2, g);
        PK_LD(r1, g); PK_LD(r2, g); PK_LD(gn, g); PK_LD(gf, g);
        PK_LD(ss, g); PK_LD(sc, g); PK_LD(rc, g); PK_LD(rs, g);
        PK_LD(amp, g);
    }
    const PK_VT zero = {0}, one = zero + 1.0f, half = zero + 0.5f;
    const PK_VI sign = (PK_VI){0} + INT32_MIN;
    for (int i = 0; i < n; i++) {
        PK_VT ol[PK_NG], orr[PK_NG];
#pragma GCC unroll 2
        for (int g = 0; g < PK_NG; g++) {
            dv[g] *= er[g];
            env[g] = PK_MIN(tgt[g] + dv[g], one);
            /* two PolyBLEP saws: the residual sign(t) (1 - |t|)^2 within one
             * sample of the reset (t: distance in samples), see inst_pads.c */
            PK_VT q = pa[g] - (PK_VT)((PK_VI)one & (pa[g] > half));
            PK_VT t = q * ida[g];
            PK_VT a = one - (PK_VT)((PK_VI)t & ~sign);
            a = (PK_VT)((PK_VI)a & (a > zero));
            PK_VT sa = pa[g] + pa[g] - one + (PK_VT)((PK_VI)(a * a) | ((PK_VI)t & sign));
            q = pb[g] - (PK_VT)((PK_VI)one & (pb[g] > half));
            t = q * idb[g];
            a = one - (PK_VT)((PK_VI)t & ~sign);
            a = (PK_VT)((PK_VI)a & (a > zero));
            PK_VT sb = pb[g] + pb[g] - one + (PK_VT)((PK_VI)(a * a) | ((PK_VI)t & sign));
            PK_VT sub = amp[g] * ss[g];
            PK_VT ns = ss[g] * rc[g] + sc[g] * rs[g];
            sc[g] = sc[g] * rc[g] - ss[g] * rs[g];
            ss[g] = ns;
            pa[g] += da[g];
            pa[g] -= (PK_VT)((PK_VI)one & (pa[g] >= one));
            pb[g] += db[g];
            pb[g] -= (PK_VT)((PK_VI)one & (pb[g] >= one));
            PK_VT n1 = m11[g] * l1[g] + b1[g] * (sa - l2[g]);
            PK_VT n2 = m22[g] * l2[g] + (b1[g] * l1[g] + b2[g] * sa);
            PK_VT yl = l2[g] + n2; /* 2 y */
            l1[g] = n1;
            l2[g] = n2;
            n1 = m11[g] * r1[g] + b1[g] * (sb - r2[g]);
            n2 = m22[g] * r2[g] + (b1[g] * r1[g] + b2[g] * sb);
            PK_VT yr = r2[g] + n2;
            r1[g] = n1;
            r2[g] = n2;
            ol[g] = env[g] * (gn[g] * yl + gf[g] * yr + sub);
            orr[g] = env[g] * (gf[g] * yl + gn[g] * yr + sub);
        }
        PK_FOLD(ol, accl[i]);
        PK_FOLD(orr, accr[i]);
    }
    for (int g = 0; g < PK_NG; g++) {
        PK_STE(env, g); PK_STE(dv, g); PK_ST(pa, g); PK_ST(pb, g);
        PK_ST(l1, g); PK_ST(l2, g); PK_ST(r1, g); PK_ST(r2, g);
        PK_ST(ss, g); PK_ST(sc, g);
    }
#undef PK_LD
#undef PK_ST
#undef PK_LDE
#undef PK_STE
}

#undef PK_NAME
#undef PK_VT
#undef PK_VI
#undef PK_W
#undef PK_NG
#undef PK_ATTR
#undef PK_MIN
#undef PK_FOLD
