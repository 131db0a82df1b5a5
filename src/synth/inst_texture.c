/* Textures: stereo noise swells through a band-pass around the note (four
 * times its frequency, 400 Hz..8 kHz), with an airy sine shimmer two octaves
 * up that breathes with a slow tremolo. Long attack and release; meant to
 * live mostly in the reverb. */
#include "inst_kinds.h"

#define TEX_NOISE 0.10f
#define TEX_SHIMMER 0.025f

static void setup(au_inst *in)
{
    in->nv = 4;
    in->atk_c = au_env_attack_coef(3.0f, in->rate);
    in->dec_c = au_tau_coef(4.0f, in->rate);
    in->sus = 0.8f;
    in->rel_c = au_env_release_coef(6.0f, in->rate);
}

static void start(au_inst *in, int v)
{
    in->lfo_inc[v] = (0.1f + 0.3f * au_rng_unitf(&in->rng)) * AU_BLOCK / in->rate;
}

static void update(au_inst *in, int v)
{
    float f = au_midi_hz((float)in->note[v]);
    float center = 4.0f * f * (0.7f + 0.6f * in->ctl.brightness);
    center = center < 400.0f ? 400.0f : center > 8000.0f ? 8000.0f : center;
    in->fc[v] = au_svf_design(center, 1.4f, in->rate);
    float sh = 4.0f * f;
    if (sh > 0.4f * in->rate) sh *= 0.5f;
    in->dt[0][v] = sh / in->rate;
    in->lfo[v] = au_frac(in->lfo[v] + in->lfo_inc[v]);
    float trem = 0.5f + 0.5f * au_sin2pi(in->lfo[v]);
    in->gl[v] = TEX_NOISE * in->vel[v];
    in->gr[v] = TEX_SHIMMER * in->vel[v] * trem;
    in->npos[0][v] = au_rng_next(&in->rng) & (AU_NOISE_LEN - 1);
    in->npos[1][v] = au_rng_next(&in->rng) & (AU_NOISE_LEN - 1);
}

static void process(au_inst *in, float *L, float *R, int n)
{
    const float *sine = in->wt->sine;
    for (int v = 0; v < in->nv; v++) {
        au_env *e = &in->env[v];
        if (e->stage == AU_ENV_IDLE) continue;
        const float *nl = in->noise + in->npos[0][v];
        const float *nr = in->noise + in->npos[1][v];
        au_svf fl = in->fl[v], fr = in->fr[v];
        au_svf_coef c = in->fc[v];
        float p = in->ph[0][v], d = in->dt[0][v];
        float gn = in->gl[v], gs = in->gr[v];
        for (int i = 0; i < n; i++) {
            float env = au_inst_env_step(e);
            float s = gs * au_wt_read(sine, p);
            p += d;
            p -= p >= 1.0f ? 1.0f : 0.0f;
            L[i] += env * (gn * au_svf_bp(&fl, &c, nl[i]) + s);
            R[i] += env * (gn * au_svf_bp(&fr, &c, nr[i]) + s);
        }
        in->npos[0][v] += (uint32_t)n;
        in->npos[1][v] += (uint32_t)n;
        in->ph[0][v] = p;
        in->fl[v] = fl;
        in->fr[v] = fr;
    }
}

const au_inst_ops au_texture_ops = {setup, start, update, process};
