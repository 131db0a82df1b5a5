/* Bass and drone: a sub sine with a quiet saw an octave up through a
 * low-pass (180..400 Hz), slow attack and long release, centred. */
#include "inst_kinds.h"

#define BASS_LEVEL 0.30f

static void setup(au_inst *in)
{
    in->nv = 4;
    in->atk_c = au_env_attack_coef(0.9f, in->rate);
    in->dec_c = au_tau_coef(4.0f, in->rate);
    in->sus = 0.9f;
    in->rel_c = au_env_release_coef(4.0f, in->rate);
}

static void start(au_inst *in, int v)
{
    (void)in;
    (void)v;
}

static void update(au_inst *in, int v)
{
    float f = au_midi_hz((float)in->note[v]);
    in->dt[0][v] = f / in->rate;
    in->tab[0][v] = au_wt_table(in->wt, AU_WT_SAW, in->dt[0][v]);
    float cut = 180.0f + 220.0f * in->ctl.brightness;
    in->fc[v] = au_svf_design(cut, 0.7f, in->rate);
    in->gl[v] = BASS_LEVEL * in->vel[v];
}

static void process(au_inst *in, float *L, float *R, int n)
{
    const float *sine = in->wt->sine;
    for (int v = 0; v < in->nv; v++) {
        au_env *e = &in->env[v];
        if (e->stage == AU_ENV_IDLE) continue;
        float p = in->ph[0][v], d = in->dt[0][v];
        const float *ts = in->tab[0][v];
        au_svf f = in->fl[v];
        au_svf_coef c = in->fc[v];
        float g = in->gl[v];
        for (int i = 0; i < n; i++) {
            float env = au_inst_env_step(e);
            float s = au_wt_read(sine, p);
            float saw = au_svf_lp(&f, &c, au_wt_read(ts, p));
            p += d;
            p -= p >= 1.0f ? 1.0f : 0.0f;
            float y = env * g * (s + 0.3f * saw);
            L[i] += y;
            R[i] += y;
        }
        in->ph[0][v] = p;
        in->fl[v] = f;
    }
}

const au_inst_ops au_bass_ops = {setup, start, update, process};
