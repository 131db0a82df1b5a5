/* The two FM voices. Melody: a soft sine pair (modulator at the carrier's
 * frequency, index easing from about 1 to 0.3) with vibrato that enters late
 * in the note and a glide from the previous note when phrases are legato.
 * Bells: carrier to modulator 1:1.4 with a fast-decaying index (bright
 * strike, pure tail), free ring-out, the group high-passed at 300 Hz. */
#include "inst_kinds.h"

#define MEL_LEVEL 0.22f
#define BELL_LEVEL 0.12f

static void mel_setup(au_inst *in)
{
    in->nv = 4;
    in->atk_c = au_env_attack_coef(0.12f, in->rate);
    in->dec_c = au_tau_coef(2.5f, in->rate);
    in->sus = 0.7f;
    in->rel_c = au_env_release_coef(1.8f, in->rate);
}

static void mel_start(au_inst *in, int v)
{
    float target = (float)in->note[v];
    int legato = 0;
    for (int u = 0; u < in->nv; u++)
        if (u != v && (in->env[u].stage == AU_ENV_ATTACK ||
                       in->env[u].stage == AU_ENV_SUSTAIN))
            legato = 1;
    float from = target;
    if (in->last_note >= 0.0f && (legato || in->t_now - in->last_off_t < 0.3f) &&
        fabsf(in->last_note - target) <= 7.0f)
        from = in->last_note;
    in->pitch[v] = from;
    in->last_note = target;
    in->mod[v] = 1.0f; /* index envelope */
    in->pan[v] = -0.15f + 0.3f * au_rng_unitf(&in->rng);
}

static void mel_update(au_inst *in, int v)
{
    float rate = in->rate;
    float tick = (float)AU_BLOCK / rate;
    float target = (float)in->note[v];
    in->pitch[v] += (target - in->pitch[v]) * au_tau_coef(0.06f, 1.0f / tick);
    in->lfo[v] = au_frac(in->lfo[v] + 4.8f * tick);
    float late = (in->t_on[v] - 0.6f) * (1.0f / 1.5f);
    late = late < 0.0f ? 0.0f : late > 1.0f ? 1.0f : late;
    float vib = 0.15f * late * au_sin2pi(in->lfo[v]); /* up to 15 cents */
    float f = au_midi_hz(in->pitch[v] + vib);
    in->dt[0][v] = f / rate;
    in->dt[1][v] = f / rate;
    in->mod[v] += (0.3f - in->mod[v]) * au_tau_coef(0.8f, 1.0f / tick);
    float lvl = MEL_LEVEL * in->vel[v];
    au_pan_gains(in->pan[v], &in->gl[v], &in->gr[v]);
    in->gl[v] *= lvl;
    in->gr[v] *= lvl;
    /* brightness opens the index a little */
    in->dt[2][v] = in->mod[v] * (0.6f + 0.6f * in->ctl.brightness);
}

static void fm_process(au_inst *in, float *L, float *R, int n)
{
    const float *sine = in->wt->sine;
    for (int v = 0; v < in->nv; v++) {
        au_env *e = &in->env[v];
        if (e->stage == AU_ENV_IDLE) continue;
        float pc = in->ph[0][v], pm = in->ph[1][v];
        float dc = in->dt[0][v], dm = in->dt[1][v], idx = in->dt[2][v];
        float gl = in->gl[v], gr = in->gr[v];
        for (int i = 0; i < n; i++) {
            float env = au_inst_env_step(e);
            float m = au_wt_read(sine, pm);
            float y = au_wt_read(sine, au_frac(pc + idx * m + 8.0f));
            pc += dc;
            pc -= pc >= 1.0f ? 1.0f : 0.0f;
            pm += dm;
            pm -= pm >= 1.0f ? 1.0f : 0.0f;
            y *= env;
            L[i] += gl * y;
            R[i] += gr * y;
        }
        in->ph[0][v] = pc;
        in->ph[1][v] = pm;
    }
}

static void bell_setup(au_inst *in)
{
    in->nv = 6;
    in->atk_c = au_env_attack_coef(0.003f, in->rate);
    in->dec_c = au_env_release_coef(4.5f, in->rate); /* rings out */
    in->sus = 0.0f;
    in->rel_c = in->dec_c;
}

static void bell_start(au_inst *in, int v)
{
    in->mod[v] = 1.0f;
    in->pan[v] = -0.6f + 1.2f * au_rng_unitf(&in->rng);
}

static void bell_update(au_inst *in, int v)
{
    float rate = in->rate;
    float tick = (float)AU_BLOCK / rate;
    float f = au_midi_hz((float)in->note[v]);
    in->dt[0][v] = f / rate;
    in->dt[1][v] = 1.4f * f / rate;
    in->mod[v] *= expf(-tick / 0.35f);
    in->dt[2][v] = (0.15f + 2.2f * in->mod[v]) * in->vel[v];
    float lvl = BELL_LEVEL * in->vel[v];
    au_pan_gains(in->pan[v], &in->gl[v], &in->gr[v]);
    in->gl[v] *= lvl;
    in->gr[v] *= lvl;
}

static void bell_process(au_inst *in, float *L, float *R, int n)
{
    /* render into the bus, then high-pass the whole group (one-pole) */
    float tl[AU_BLOCK] = {0}, tr[AU_BLOCK] = {0};
    fm_process(in, tl, tr, n);
    float a = 1.0f / (1.0f + 2.0f * AU_PIF * 300.0f / in->rate);
    float x1l = in->bus_x1[0], y1l = in->bus_y1[0];
    float x1r = in->bus_x1[1], y1r = in->bus_y1[1];
    for (int i = 0; i < n; i++) {
        y1l = a * (y1l + tl[i] - x1l);
        x1l = tl[i];
        y1r = a * (y1r + tr[i] - x1r);
        x1r = tr[i];
        L[i] += y1l;
        R[i] += y1r;
    }
    in->bus_x1[0] = x1l;
    in->bus_y1[0] = y1l;
    in->bus_x1[1] = x1r;
    in->bus_y1[1] = y1r;
}

const au_inst_ops au_melody_ops = {mel_setup, mel_start, mel_update,
                                   fm_process};
const au_inst_ops au_bells_ops = {bell_setup, bell_start, bell_update,
                                  bell_process};
