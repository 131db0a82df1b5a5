/* Percussion, synthesised: every hit is a sine with a pitch sweep plus noise
 * through a band-pass, with a short envelope. General MIDI notes pick the
 * recipe: 36 soft kick (120 -> 45 Hz), 37 rim click, 42 closed hat,
 * 82 shaker (shaped noise burst); other notes play the rim. */
#include "inst_kinds.h"

/* the kit's level: where it plays it is heard (about -15 dB re the mix;
 * it sat near -20 dB, a murmur under the pads) */
#define PERC_LEVEL 1.6f

typedef struct {
    float f_start, f_end, sweep_s; /* sine pitch sweep */
    float sine, noise;             /* mix */
    float bp_hz, bp_q;             /* noise band-pass */
    float attack_s, decay_s;       /* decay: 60 dB */
    float pan;
} recipe;

static const recipe recipes[4] = {
    {120.0f, 45.0f, 0.03f, 0.55f, 0.0f, 1000.0f, 1.0f, 0.002f, 0.5f, 0.0f},
    {1700.0f, 1700.0f, 1.0f, 0.12f, 0.22f, 2500.0f, 2.0f, 0.001f, 0.06f,
     -0.3f},
    {0.0f, 0.0f, 1.0f, 0.0f, 0.12f, 8000.0f, 0.8f, 0.001f, 0.07f, 0.35f},
    {0.0f, 0.0f, 1.0f, 0.0f, 0.16f, 5500.0f, 1.2f, 0.012f, 0.12f, 0.2f},
};

static int recipe_of(int note)
{
    switch (note) {
    case 36: return 0;
    case 42: return 2;
    case 82: return 3;
    default: return 1;
    }
}

static void setup(au_inst *in)
{
    in->nv = 6;
    in->atk_c = au_env_attack_coef(0.002f, in->rate);
    in->dec_c = au_env_release_coef(0.3f, in->rate);
    in->sus = 0.0f;
    in->rel_c = in->dec_c;
    for (int k = 0; k < 4; k++) {
        in->kc[k] = expf(-(float)AU_BLOCK / in->rate / recipes[k].sweep_s);
        in->kc[4 + k] = au_env_release_coef(recipes[k].decay_s, in->rate);
    }
}

static void start(au_inst *in, int v)
{
    int k = recipe_of(in->note[v]);
    const recipe *r = &recipes[k];
    in->sub[v] = k;
    in->mod[v] = 1.0f; /* sweep position */
    in->ph[0][v] = 0.0f; /* kicks start at a zero crossing */
    /* the rim click sounds the key: the tonic or fifth nearest 1700 Hz */
    in->pitch[v] = r->f_end;
    if (k == 1) {
        float best = 0.0f;
        for (int note = 84; note <= 100; note++) {
            int iv = ((note - in->key_pc) % 12 + 12) % 12;
            if (iv != 0 && iv != 7) continue;
            float hz = au_midi_hz((float)note);
            if (best == 0.0f || fabsf(hz - 1700.0f) < fabsf(best - 1700.0f)) best = hz;
        }
        in->pitch[v] = best;
    }
    in->env[v].coef = au_env_attack_coef(r->attack_s, in->rate);
    in->fc[v] = au_svf_design(r->bp_hz, r->bp_q, in->rate);
    float p = r->pan + (k >= 2 ? 0.3f * (au_rng_unitf(&in->rng) - 0.5f) : 0.0f);
    au_pan_gains(p, &in->gl[v], &in->gr[v]);
    in->gl[v] *= PERC_LEVEL * in->vel[v];
    in->gr[v] *= PERC_LEVEL * in->vel[v];
}

static void update(au_inst *in, int v)
{
    const recipe *r = &recipes[in->sub[v]];
    if (in->env[v].stage == AU_ENV_SUSTAIN)
        in->env[v].coef = in->kc[4 + in->sub[v]];
    float f = in->sub[v] == 1 ? in->pitch[v]
                              : r->f_end + (r->f_start - r->f_end) * in->mod[v];
    in->dt[0][v] = f / in->rate;
    in->mod[v] *= in->kc[in->sub[v]];
    in->npos[0][v] = au_rng_next(&in->rng) & (AU_NOISE_LEN - 1);
}

static void process(au_inst *in, float *L, float *R, int n)
{
    const float *sine = in->wt->sine;
    for (int v = 0; v < in->nv; v++) {
        au_env *e = &in->env[v];
        if (e->stage == AU_ENV_IDLE) continue;
        const recipe *r = &recipes[in->sub[v]];
        float p = in->ph[0][v], d = in->dt[0][v];
        float ks = r->sine, kn = r->noise;
        const float *nz = in->noise + in->npos[0][v];
        au_svf f = in->fl[v];
        au_svf_coef c = in->fc[v];
        float gl = in->gl[v], gr = in->gr[v];
        for (int i = 0; i < n; i++) {
            float env = au_inst_env_step(e);
            float y = ks * au_wt_read(sine, p) + kn * au_svf_bp(&f, &c, nz[i]);
            p += d;
            p -= p >= 1.0f ? 1.0f : 0.0f;
            y *= env;
            L[i] += gl * y;
            R[i] += gr * y;
        }
        in->npos[0][v] += (uint32_t)n;
        in->ph[0][v] = p;
        in->fl[v] = f;
    }
}

const au_inst_ops au_perc_ops = {setup, start, update, process, NULL};
