/* Voice pool shared by every instrument: allocation, stealing with a short
 * fade, envelope stage changes at ticks. Sound-specific code is in inst_*.c. */
#include "inst.h"

#include "inst_kinds.h"

#include <string.h>

static const au_inst_ops *const kind_ops[AU_INST_COUNT] = {
    &au_pads_ops, &au_melody_ops, &au_bass_ops,
    &au_perc_ops, &au_texture_ops, &au_bells_ops};

void au_noise_init(au_noise *n, uint64_t seed)
{
    au_rng r;
    au_rng_seed(&r, seed, 0x6e6f697365ULL);
    for (int i = 0; i < AU_NOISE_LEN; i++)
        n->t[i] = au_rng_unitf(&r) * 2.0f - 1.0f;
    /* guard so a block read starting near the end needs no wrap */
    for (int i = 0; i < AU_BLOCK; i++) n->t[AU_NOISE_LEN + i] = n->t[i];
}

void au_inst_init(au_inst *in, au_inst_kind kind, float rate,
                  const au_wavetables *wt, const au_noise *noise,
                  uint64_t seed)
{
    memset(in, 0, sizeof *in);
    in->kind = kind;
    in->rate = rate;
    in->wt = wt;
    in->noise = noise->t;
    au_rng_seed(&in->rng, seed, 0x696e7374ULL + (uint64_t)kind);
    for (int v = 0; v < AU_INST_MAXV; v++) {
        in->note[v] = -1;
        in->pend_note[v] = -1;
        /* free-running phases start scattered so stacked voices never
         * begin phase-locked */
        for (int k = 0; k < 3; k++) in->ph[k][v] = au_rng_unitf(&in->rng);
        in->lfo[v] = au_rng_unitf(&in->rng);
        in->tab[0][v] = in->tab[1][v] = wt->sine;
        in->fc[v] = au_svf_design(1000.0f, 0.707f, rate);
    }
    in->steal_c = au_tau_coef(AU_STEAL_S / 4.6f, rate); /* -40 dB in 4 ms */
    in->ctl.brightness = 0.5f;
    in->ctl.intensity = 0.5f;
    in->last_note = -1.0f;
    in->last_off_t = -100.0f;
    kind_ops[kind]->setup(in); /* sets nv, atk_c, dec_c, sus, rel_c */
}

static void start_voice(au_inst *in, int v, int note, float vel)
{
    in->note[v] = note;
    in->vel[v] = vel;
    in->age[v] = ++in->clock;
    in->pend_note[v] = -1;
    in->t_on[v] = 0.0f;
    in->env[v].stage = AU_ENV_ATTACK;
    in->env[v].target = AU_ENV_OVERSHOOT;
    in->env[v].coef = in->atk_c;
    kind_ops[in->kind]->start(in, v);
    kind_ops[in->kind]->update(in, v);
}

void au_inst_note_on(au_inst *in, int note, int vel)
{
    float fv = (float)vel / 127.0f;
    fv = 0.25f + 0.75f * fv * fv; /* soft velocity curve */
    int nv = in->nv;
    for (int v = 0; v < nv; v++) {
        if (in->pend_note[v] == note) {
            in->pend_vel[v] = fv;
            return;
        }
        if (in->note[v] == note && in->env[v].stage != AU_ENV_IDLE &&
            in->env[v].stage != AU_ENV_STEAL) {
            /* retrigger from the current level: continuous, no click */
            in->vel[v] = fv > in->vel[v] ? fv : in->vel[v];
            in->age[v] = ++in->clock;
            in->env[v].stage = AU_ENV_ATTACK;
            in->env[v].target = AU_ENV_OVERSHOOT;
            in->env[v].coef = in->atk_c;
            return;
        }
    }
    for (int v = 0; v < nv; v++) {
        if (in->env[v].stage == AU_ENV_IDLE) {
            start_voice(in, v, note, fv);
            return;
        }
    }
    /* steal: the quietest releasing voice, else the oldest */
    int best = -1;
    float best_v = 2.0f;
    for (int v = 0; v < nv; v++) {
        if (in->env[v].stage == AU_ENV_RELEASE && in->env[v].v < best_v) {
            best_v = in->env[v].v;
            best = v;
        }
    }
    if (best < 0) {
        uint32_t oldest = UINT32_MAX;
        for (int v = 0; v < nv; v++) {
            if (in->env[v].stage != AU_ENV_STEAL && in->age[v] < oldest) {
                oldest = in->age[v];
                best = v;
            }
        }
    }
    if (best < 0) best = (int)(in->clock % (uint32_t)nv);
    in->env[best].stage = AU_ENV_STEAL;
    in->env[best].target = 0.0f;
    in->env[best].coef = in->steal_c;
    in->pend_note[best] = note;
    in->pend_vel[best] = fv;
    in->steal_ticks[best] = 0;
}

void au_inst_note_off(au_inst *in, int note)
{
    if (in->kind == AU_INST_PERC || in->kind == AU_INST_BELLS) return;
    for (int v = 0; v < in->nv; v++) {
        if (in->pend_note[v] == note) in->pend_note[v] = -1;
        if (in->note[v] == note && (in->env[v].stage == AU_ENV_ATTACK ||
                                    in->env[v].stage == AU_ENV_SUSTAIN)) {
            in->env[v].stage = AU_ENV_RELEASE;
            in->env[v].target = 0.0f;
            in->env[v].coef = in->rel_c;
            if (in->kind == AU_INST_MELODY) {
                in->last_note = (float)note;
                in->last_off_t = in->t_now;
            }
        }
    }
}

void au_inst_all_off(au_inst *in)
{
    for (int v = 0; v < in->nv; v++) {
        in->pend_note[v] = -1;
        if (in->env[v].stage == AU_ENV_ATTACK ||
            in->env[v].stage == AU_ENV_SUSTAIN) {
            in->env[v].stage = AU_ENV_RELEASE;
            in->env[v].target = 0.0f;
            in->env[v].coef = in->rel_c;
        }
    }
}

void au_inst_tick(au_inst *in, const au_inst_ctl *ctl)
{
    in->ctl = *ctl;
    float dt_tick = (float)AU_BLOCK / in->rate;
    in->t_now += dt_tick;
    for (int v = 0; v < in->nv; v++) {
        au_env *e = &in->env[v];
        switch (e->stage) {
        case AU_ENV_ATTACK:
            if (e->v >= 1.0f) {
                e->stage = AU_ENV_SUSTAIN;
                e->target = in->sus;
                e->coef = in->dec_c;
            }
            break;
        case AU_ENV_SUSTAIN:
            if (in->sus <= 0.0f && e->v < AU_ENV_FLOOR) {
                e->stage = AU_ENV_IDLE;
                e->v = 0.0f;
            }
            break;
        case AU_ENV_RELEASE:
            if (e->v < AU_ENV_FLOOR) {
                e->stage = AU_ENV_IDLE;
                e->v = 0.0f;
            }
            break;
        case AU_ENV_STEAL:
            if (e->v < 1e-3f || ++in->steal_ticks[v] > 12) {
                if (in->pend_note[v] >= 0) {
                    start_voice(in, v, in->pend_note[v], in->pend_vel[v]);
                } else {
                    e->stage = AU_ENV_IDLE;
                    e->v = 0.0f;
                }
            }
            break;
        default: break;
        }
        if (e->stage == AU_ENV_IDLE) {
            in->note[v] = -1;
            continue;
        }
        in->t_on[v] += dt_tick;
        if (!kind_ops[in->kind]->update_all) kind_ops[in->kind]->update(in, v);
    }
    if (kind_ops[in->kind]->update_all) kind_ops[in->kind]->update_all(in);
}

int au_inst_process(au_inst *in, float *L, float *R, int n)
{
    if (n <= 0) return 0;
    /* an idle pool adds nothing (the bells' group high-pass still rings
     * out its state) */
    if (!au_inst_active(in) &&
        !(in->kind == AU_INST_BELLS &&
          (in->bus_y1[0] != 0.0f || in->bus_y1[1] != 0.0f ||
           in->bus_x1[0] != 0.0f || in->bus_x1[1] != 0.0f)))
        return 0;
    kind_ops[in->kind]->process(in, L, R, n);
    return 1;
}

int au_inst_active(const au_inst *in)
{
    int c = 0;
    for (int v = 0; v < in->nv; v++) c += in->env[v].stage != AU_ENV_IDLE;
    return c;
}

void au_inst_set_release(au_inst *in, float seconds)
{
    if (!(seconds > 0.05f)) seconds = 0.05f;
    in->rel_c = au_env_release_coef(seconds, in->rate);
}

void au_inst_set_patch(au_inst *in, const float patch[4])
{
    for (int i = 0; i < 4; i++) in->patch[i] = patch[i];
}

void au_inst_set_key(au_inst *in, int pc)
{
    in->key_pc = ((pc % 12) + 12) % 12;
}
