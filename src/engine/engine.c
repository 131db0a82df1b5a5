/* The engine: a composer feeding six instruments, their sends to a delay and
 * a reverb, and the master bus, rendered in fixed blocks of AU_BLOCK frames
 * at absolute positions (see docs/synthesis.md, "engine block scheme").
 *
 * Block-size independence: everything (control ticks, composer pulls,
 * effects) happens per internal block at multiples of AU_BLOCK frames from
 * stream start; note events land at their exact frame inside the block by
 * splitting the instrument pass. The caller's block only decides how much of
 * the last internal block is handed out now and how much stays buffered. */
#include "engine.h"

/* Until the composer's internals exist (src/compose/composer_state.h, being
 * written in parallel) this file compiles to nothing so that the other
 * layers keep building; the engine was developed against a stand-in
 * composer with the same API. */
#if __has_include("../compose/composer_state.h")

#include <math.h>
#include <string.h>
#if defined(__x86_64__) || defined(__i386__)
#include <xmmintrin.h>
#endif

#include "../compose/composer.h"
#include "../compose/piece.h"
#include "../core/au.h"
#include "../synth/delay.h"
#include "../synth/dsp.h"
#include "../synth/inst.h"
#include "../synth/master.h"
#include "../synth/reverb.h"
#include "../synth/sfont.h"
#include "../synth/sfsynth.h"
#include "../synth/tone.h"
#include "../synth/simd.h"
#include "../synth/wavetable.h"

#define EV_RING 1024 /* display events; power of two */

/* per-layer mix: dry level, reverb send, delay send */
/* pads are wet-heavy (MUSIC.md: dry 0.1-0.5 against full wet), the melody
 * drier and in front, percussion nearly dry (a click ringing 10 s in the
 * reverb is a wash, not a rhythm) */
static const float mix_dry[AU_LAYER_COUNT] = {0.45f, 1.0f, 1.0f,
                                              1.0f,  0.35f, 0.55f};
static const float mix_rev[AU_LAYER_COUNT] = {0.85f, 0.35f, 0.10f,
                                              0.10f, 0.9f,  0.7f};
static const float mix_dly[AU_LAYER_COUNT] = {0.06f, 0.30f, 0.0f,
                                              0.05f, 0.2f,  0.4f};

/* a piece's low floor (piece.h: floor): noise band-passed here */
#define FLOOR_HZ 130.0f
/* a piece's calm floor (piece.h: floor_calm): a narrower band at 125 Hz */
#define CALM_FLOOR_HZ 125.0f
#define CALM_FLOOR_Q 2.0f
/* pad bus: high-pass (the bass keeps its register), and a dip around
 * 2 kHz while the melody sounds (room for it) */
#define PADBUS_HP_HZ 90.0f
#define PADBUS_DIP_HZ 2000.0f
#define PADBUS_DIP_DB (-8.0f)
/* a piece's calm body (piece.h: calm_body_db): a bell this wide (about
 * 0.7 octave) at the tonic between C4 and B4 */
#define CALM_BODY_Q 1.4f

/* how calm the music is, for the calm rules of a piece (piece.h): 1 at
 * intensity 0, 0 from 0.5 up (so the default mix at 0.5 pays nothing for
 * them: the floor, the body's bell and the lead's index cost ~6% of it) */
static inline float calm_of(float inten)
{
    float c = 1.0f - inten * (1.0f / 0.5f);
    return c > 0.0f ? c : 0.0f;
}

/* how full it is, for the busy rules of a piece (piece.h: busy_air):
 * 0 up to intensity 0.5 (the default mix pays nothing for them), 1 from
 * 0.9 */
static inline float busy_of(float inten)
{
    float b = (inten - 0.5f) * (1.0f / 0.4f);
    return b < 0.0f ? 0.0f : b > 1.0f ? 1.0f : b;
}

/* a biquad of the pad bus (an RBJ bell or the high-pass): coefficients,
 * and the last two inputs and outputs, (left, right) pairs */
typedef struct {
    float co[5];    /* b0 b1 b2 a1 a2 (au_rbj_design) */
    float st[4][2]; /* x1, x2, y1, y2 */
} peak_eq;

struct au_engine {
    au_params params;
    int rate;
    int64_t pos_out;   /* frames handed to the caller */
    int64_t pos_block; /* start of the next internal block */
    int out_idx;       /* frames of out[] already handed out */
    float out[2 * AU_BLOCK];

    float bpm;
    float ctl_bright, ctl_space;
    float ctl_layer[AU_LAYER_COUNT];
    au_smooth s_int, s_bright, s_space;
    au_smooth s_gain[AU_LAYER_COUNT];
    au_smooth s_vol[AU_LAYER_COUNT]; /* listener's layer volumes */
    float space_applied, bpm_applied;

    au_event ring[EV_RING];
    uint32_t ring_head, ring_tail;
    uint64_t ring_dropped;

    float bus[AU_LAYER_COUNT][2][AU_BLOCK];
    unsigned bus_used; /* layers whose bus was written this block */
    au_inst inst[AU_LAYER_COUNT];
    au_composer comp;
    au_delay delay;
    au_reverb reverb;
    au_master master;
    au_tone tone; /* the piece's master tone EQ (before the rider) */
    au_noise noise;
    const au_wavetables *wt; /* shared, read-only */
    /* air */
    au_rng air_rng;
    au_svf air_f;
    au_svf_coef air_c;
    au_svf floor_f; /* a piece's low floor */
    au_svf_coef floor_c;
    au_svf calm_f; /* a piece's calm floor */
    au_svf_coef calm_c;
    au_svf_blk air_k, floor_k, calm_k; /* the three in four-sample steps */
    uint32_t air_at[3]; /* the next block's noise positions (air, floor, calm) */
    float air_lfo, air_b;
    /* pad bus */
    peak_eq pbh; /* the high-pass */
    peak_eq pb;  /* the melody's dip */
    float pb_dip, pb_dip_applied;
    /* a piece's calm body (piece.h: calm_body_db): a peaking bell on the
     * pad bus after the dip, bypassed while flat */
    peak_eq bd;
    float bd_hz, bd_db;
    float ctl_density;
    float ctl_secoff; /* the section's own density offset (unclamped) */
    /* section level: the density's expected offset from the intensity,
     * starting at the first section's (which so sits at the target) and
     * relaxing to the sections' mean */
    float sec_dev;
    int sec_dev_set;
    float rel_applied;
    int key_pc;
    /* pieces: the one playing, and the SoundFont synth with a channel per
     * (piece, layer) selected at create (none when no SoundFont) */
    int piece;
    const au_piece *pc;
    au_sfsynth *sf;
    unsigned sf_ok[AU_PIECE_COUNT]; /* layers whose SoundFont preset exists */
};

static au_tone_shape tone_shape(const au_piece *pc)
{
    const au_piece_eq *q = &pc->eq;
    return (au_tone_shape){q->low_db, q->low_hz, q->low_q, q->mid_db,
                           q->mid_hz, q->mid_q, q->high_db, q->high_hz,
                           q->high_q, q->top_db, q->top_hz, q->top_q};
}

/* a channel per piece and layer; channel c plays into group c % groups,
 * which is its layer's bus */
_Static_assert(AU_SFSYNTH_GROUPS == AU_LAYER_COUNT &&
                   AU_PIECE_COUNT * AU_SFSYNTH_GROUPS <= AU_SFSYNTH_CHANNELS,
               "one SoundFont group per layer, a channel per piece and layer");
static int sf_chan(int piece, int layer)
{
    return piece * AU_SFSYNTH_GROUPS + layer;
}

void au_engine_thread_init(void)
{
#if defined(__x86_64__) || defined(__i386__)
    /* FTZ (bit 15) and DAZ (bit 6): decaying tails never go denormal */
    _mm_setcsr(_mm_getcsr() | 0x8040);
#elif defined(__aarch64__)
    uint64_t fpcr;
    __asm__ volatile("mrs %0, fpcr" : "=r"(fpcr));
    __asm__ volatile("msr fpcr, %0" ::"r"(fpcr | (1ull << 24)));
#endif
}

static int layer_on(const au_params *p, int layer)
{
    const au_piece *pc = au_piece_get(p->piece);
    if (pc && !pc->layer[layer].on) return 0;
    if (layer == AU_LAYER_BELLS)
        return p->layers[AU_LAYER_BELLS] && p->layers[AU_LAYER_MELODY];
    return p->layers[layer];
}

int au_engine_create(au_engine **out, const au_params *p, int sample_rate)
{
    *out = NULL;
    if (sample_rate != 44100 && sample_rate != 48000) return AU_EINVAL;
    au_engine *e = calloc(1, sizeof *e);
    if (!e) return AU_ENOMEM;
    e->params = *p;
    e->rate = sample_rate;
    float rate = (float)sample_rate;
    int rc = au_composer_init(&e->comp, p, sample_rate);
    if (rc) {
        free(e);
        return rc;
    }
    e->wt = au_wavetables_shared();
    if (!e->wt) {
        free(e);
        return AU_ENOMEM;
    }
    uint64_t sm = p->seed ^ 0x5a17e5ULL;
    au_noise_init(&e->noise, au_splitmix64(&sm));
    for (int l = 0; l < AU_LAYER_COUNT; l++) {
        au_inst_init(&e->inst[l], (au_inst_kind)l, rate, e->wt, &e->noise,
                     au_splitmix64(&sm));
        e->ctl_layer[l] = 1.0f;
        au_smooth_init(&e->s_gain[l], layer_on(p, l) ? 1.0f : 0.0f, 1.5f,
                       rate / AU_BLOCK);
        /* a fader: 50 ms one-pole per block, ramped linearly inside the
         * block, so a jump from 1 to 0 has no zipper and settles (-60 dB)
         * in about 0.35 s */
        au_smooth_init(&e->s_vol[l], (float)p->volume[l], 0.05f,
                       rate / AU_BLOCK);
    }
    e->bpm = (float)p->bpm;
    e->ctl_bright = 0.5f;
    e->ctl_space = 0.5f;
    au_smooth_init(&e->s_int, (float)p->intensity, 3.0f, rate / AU_BLOCK);
    au_smooth_init(&e->s_bright, 0.5f, 2.0f, rate / AU_BLOCK);
    au_smooth_init(&e->s_space, 0.5f, 2.0f, rate / AU_BLOCK);
    au_delay_init(&e->delay, rate);
    au_reverb_config rc_cfg = au_reverb_config_default();
    if ((rc = au_reverb_init(&e->reverb, rate, &rc_cfg)) != 0) {
        free(e);
        return rc;
    }
    e->space_applied = -1.0f;
    e->bpm_applied = -1.0f;
    au_master_config mc = au_master_config_default();
    if ((rc = au_master_init(&e->master, rate, &mc)) != 0) {
        free(e);
        return rc;
    }
    e->piece = p->piece;
    e->pc = au_piece_get(p->piece);
    {
        au_tone_shape ts = tone_shape(e->pc);
        au_tone_init(&e->tone, (float)rate, &ts);
    }
    if (au_sfont_loaded()) {
        if ((rc = au_sfsynth_create(&e->sf, sample_rate)) != 0) {
            free(e);
            return rc;
        }
        for (int pi = 0; pi < AU_PIECE_COUNT; pi++)
            for (int l = 0; l < AU_LAYER_COUNT; l++) {
                const au_piece_layer *pl = &au_piece_get(pi)->layer[l];
                if (pl->on && pl->sf &&
                    au_sfsynth_channel(e->sf, sf_chan(pi, l), pl->bank,
                                       au_piece_program(pl, l, p->seed),
                                       pl->attack_tc,
                                       pl->release_tc,
                                       au_piece_variant_fc(pl, l, p->seed)) ==
                        0) {
                    e->sf_ok[pi] |= 1u << l;
                    if (pl->sf_mono_pairs)
                        au_sfsynth_mono_pairs(e->sf, sf_chan(pi, l));
                    int db = au_piece_variant_db(pl, l, p->seed);
                    if (db) au_sfsynth_level(e->sf, sf_chan(pi, l), (float)db);
                }
            }
    }
    au_rng_seed(&e->air_rng, au_splitmix64(&sm), 77);
    for (int k = 0; k < 3; k++) e->air_at[k] = au_rng_next(&e->air_rng) & (AU_NOISE_LEN - 1);
    e->air_b = -1.0f; /* designed at the first block */
    e->floor_c = au_svf_design(FLOOR_HZ, 0.6f, rate);
    e->calm_c = au_svf_design(CALM_FLOOR_HZ, CALM_FLOOR_Q, rate);
    au_svf_blk_design(&e->floor_k, &e->floor_c);
    au_svf_blk_design(&e->calm_k, &e->calm_c);
    au_rbj_design(3, rate, PADBUS_HP_HZ, 0.707, 0.0, e->pbh.co);
    e->pb_dip_applied = 1.0f; /* forces the first design */
    e->pb.co[0] = 1.0f;
    e->ctl_density = (float)p->intensity;
    e->rel_applied = -1.0f;
    e->key_pc = p->key;
    au_inst_set_key(&e->inst[AU_LAYER_PERCUSSION], p->key);
    au_engine_set_orch(e, au_composer_orch(&e->comp));
    e->out_idx = AU_BLOCK; /* nothing buffered */
    *out = e;
    return 0;
}

void au_engine_set_orch(au_engine *e, const au_orch *o)
{
    if (o != au_composer_orch(&e->comp)) au_composer_set_orch(&e->comp, o);
    for (int l = 0; l < AU_LAYER_COUNT; l++) au_inst_set_patch(&e->inst[l], o->patch[l]);
    /* a piece whose layers enter one by one over a minute or two (the
     * default) keeps the rider quick until they all sound (the other
     * pieces were balanced on the 16 s warm-up: warmup_tail 0) */
    if (e->pc->warmup_tail > 0.0f) {
        float last = 0.0f, tail = e->pc->warmup_tail;
        for (int l = 0; l < AU_LAYER_COUNT; l++)
            if (o->use[l] && o->entry_s[l] > last) last = o->entry_s[l];
        au_master_set_warmup(&e->master, last + tail < 16.0f ? 16.0f : last + tail);
    }
}

int au_engine_set_end(au_engine *e, int64_t frames)
{
    if (frames < e->rate) return AU_EINVAL;
    int64_t quiet = au_composer_set_end(&e->comp, frames);
    /* the fade: the last third of the quiet tail, at most 6 s, reaching
     * silence 20 ms (plus the limiter's delay) before the end */
    int64_t stop = frames - AU_LIM_DELAY - e->rate / 50;
    int64_t len = (frames - quiet) / 2;
    if (len > 6 * (int64_t)e->rate) len = 6 * (int64_t)e->rate;
    if (len < e->rate / 10) len = e->rate / 10;
    au_master_fade_out(&e->master, stop - len, stop);
    return 0;
}

/* the melody's dip: at PADBUS_DIP_HZ, Q 0.7 (about 1.2-3.3 kHz) */
static void padbus_design(au_engine *e, float g)
{
    au_rbj_design(1, e->rate, PADBUS_DIP_HZ, 0.7, g, e->pb.co);
}

/* the calm body: a bell at hz, Q CALM_BODY_Q */
static void body_design(au_engine *e, float hz, float g)
{
    au_rbj_design(1, e->rate, hz, CALM_BODY_Q, g, e->bd.co);
    e->bd_hz = hz;
    e->bd_db = g;
}

/* A flat bell is bypassed: its state follows its input (output = input),
 * so that it starts again without a step; x1, x2: the last two inputs,
 * channels as lanes */
static void peak_follow(peak_eq *q, v8f x1, v8f x2)
{
    for (int c = 0; c < 2; c++) {
        q->st[0][c] = q->st[2][c] = x1[c];
        q->st[1][c] = q->st[3][c] = x2[c];
    }
}

/* The pad bus in one pass, both channels as lanes 0 and 1 of one vector
 * (each stage's recursion is a latency chain; two channels and three
 * stages side by side cost little more than one): the high-pass, then
 * the melody's dip, then the calm body, each bell only where it is not
 * flat (dip, body); four samples loaded and stored as vectors. */
static inline __attribute__((always_inline)) void
padbus_pass(au_engine *e, bool dip, bool body)
{
    float *xl = e->bus[AU_LAYER_PADS][0], *xr = e->bus[AU_LAYER_PADS][1];
    au_bq_lanes hp = au_bq_lanes_load(e->pbh.co, &e->pbh.st[0][0]);
    au_bq_lanes pd = au_bq_lanes_load(e->pb.co, &e->pb.st[0][0]);
    au_bq_lanes bd = au_bq_lanes_load(e->bd.co, &e->bd.st[0][0]);
    v8f h1 = v8_set(0.0f), h2 = h1, o1 = h1, o2 = h1;
    _Static_assert(AU_BLOCK % 4 == 0, "four samples a step");
    for (int i = 0; i < AU_BLOCK; i += 4) {
        v8f p[4];
        au_lr_split4(xl + i, xr + i, p);
        for (int j = 0; j < 4; j++) {
            v8f y = au_bq_tick(&hp, p[j]);
            h2 = h1;
            h1 = y;
            if (dip) y = au_bq_tick(&pd, y);
            o2 = o1;
            o1 = y;
            if (body) y = au_bq_tick(&bd, y);
            p[j] = y;
        }
        au_lr_join4(p, xl + i, xr + i);
    }
    au_bq_lanes_save(&hp, &e->pbh.st[0][0]);
    /* a bypassed bell's state follows its input: the high-pass's output
     * for the dip, the dip's output for the body */
    if (dip) au_bq_lanes_save(&pd, &e->pb.st[0][0]);
    else peak_follow(&e->pb, h1, h2);
    if (body) au_bq_lanes_save(&bd, &e->bd.st[0][0]);
    else if (e->pc->calm_body_db != 0.0f) peak_follow(&e->bd, o1, o2);
}

/* the pad bus: high-pass, then the melody's dip (flat, so bypassed, when
 * there is no melody), then the calm body (piece.h: calm_body_db;
 * bypassed while flat; a piece without one never has it) */
static void padbus(au_engine *e)
{
    bool dip = fabsf(e->pb_dip_applied) >= 0.05f;
    bool has_body = e->pc->calm_body_db != 0.0f, body = has_body && e->bd_db != 0.0f;
    if (dip && body) padbus_pass(e, true, true);
    else if (dip) padbus_pass(e, true, false);
    else if (body) padbus_pass(e, false, true);
    else padbus_pass(e, false, false);
}

/* A block of noise through a band-pass, times g, added to both sides of
 * a bus (mono: the reverb makes it wide). The band-pass is the SVF of
 * au_svf_tick, run four samples a step (dsp.h: au_svf_blk): the state after four
 * samples and the four outputs are linear in the state before and the
 * four inputs, so one step is a few vector products, and the recursion
 * (the latency chain that bound the sample-by-sample filter at about 16
 * cycles a sample) is one step per four samples. Equal to the
 * sample-by-sample filter within float rounding; the same for every
 * caller's block size (the engine's block is fixed). */
static inline void noise_band(au_svf *state, const au_svf_blk *k, float g,
                              const float *nz, float *xl, float *xr)
{
    v8f st = {state->ic1, state->ic2, 0.0f, 0.0f};
    const v8f gv = v8_set(g);
    for (int i = 0; i < AU_BLOCK; i += AU_LANES) {
        v8f y = gv * au_svf_blk4(&st, k, v8_load(nz + i));
        v8_store(xl + i, v8_load(xl + i) + y);
        v8_store(xr + i, v8_load(xr + i) + y);
    }
    *state = (au_svf){st[0], st[1]};
}

/* Two noise bands (state, coefficients, gain and noise each) added to
 * both sides of a bus, the two steps side by side */
static inline void noise_band2(au_svf *s0, const au_svf_blk *k0, float g0,
                               const float *n0, au_svf *s1,
                               const au_svf_blk *k1, float g1,
                               const float *n1, float *xl, float *xr)
{
    v8f st0 = {s0->ic1, s0->ic2, 0.0f, 0.0f}, st1 = {s1->ic1, s1->ic2, 0.0f, 0.0f};
    const v8f gv0 = v8_set(g0), gv1 = v8_set(g1);
    for (int i = 0; i < AU_BLOCK; i += AU_LANES) {
        v8f y0 = gv0 * au_svf_blk4(&st0, k0, v8_load(n0 + i));
        v8f y1 = gv1 * au_svf_blk4(&st1, k1, v8_load(n1 + i));
        v8_store(xl + i, (v8_load(xl + i) + y0) + y1);
        v8_store(xr + i, (v8_load(xr + i) + y0) + y1);
    }
    *s0 = (au_svf){st0[0], st0[1]};
    *s1 = (au_svf){st1[0], st1[1]};
}

/* air: noise through a broad band-pass (the piece's, 5.5-9 kHz rising
 * with brightness in the default piece), level with brightness and a
 * slow swell (0.05 Hz), on the textures bus (its switch and volume
 * apply; it is mostly reverb there) */
static void air(au_engine *e, float bright, float inten)
{
    if (e->s_gain[AU_LAYER_TEXTURES].y < 1e-6f && !layer_on(&e->params, AU_LAYER_TEXTURES))
        return;
    e->air_lfo += 0.05f * AU_BLOCK / (float)e->rate;
    e->air_lfo -= e->air_lfo >= 1.0f ? 1.0f : 0.0f;
    /* the piece's band and level (piece.h: air_*): the pieces other than
     * the default were balanced on the first air (0.003 at 8 kHz, not
     * tracking brightness): their SoundFont instruments bring their own
     * top */
    const au_piece *pc = e->pc;
    if (fabsf(bright - e->air_b) > 0.01f) {
        float hz = pc->air_hz * au_exp2(pc->air_track * bright);
        e->air_c = au_svf_design(hz, 0.5f, (float)e->rate);
        au_svf_blk_design(&e->air_k, &e->air_c);
        e->air_b = bright;
    }
    float g = pc->air_gain * (pc->air_base + pc->air_slope * bright) *
              (1.0f + 0.3f * au_sin2pi(e->air_lfo));
    /* more air when calm (piece.h: calm_air): the 4-8 kHz bands sat 4-5
     * dB under the produced slope at intensity 0.1 */
    if (pc->calm_air > 0.0f) g *= 1.0f + pc->calm_air * calm_of(inten);
    /* and when full (piece.h: busy_air): the denser low and middle of a
     * full piece held the top level from 0.5 to 0.9, and one seed's lead
     * colour fading there made it darker */
    if (pc->busy_air > 0.0f) g *= 1.0f + pc->busy_air * busy_of(inten);
    /* one channel of noise, into both sides: the reverb (where most of it
     * goes) makes it wide, and it costs half */
    const float *nz = e->noise.t + e->air_at[0], *nf = e->noise.t + e->air_at[1],
                *nc = e->noise.t + e->air_at[2];
    for (int k = 0; k < 3; k++) {
        e->air_at[k] = au_rng_next(&e->air_rng) & (AU_NOISE_LEN - 1);
        const float *q = e->noise.t + e->air_at[k];
        __builtin_prefetch(q);
        __builtin_prefetch(q + 16);
        __builtin_prefetch(q + AU_BLOCK - 1);
    }
    float *xl = e->bus[AU_LAYER_TEXTURES][0], *xr = e->bus[AU_LAYER_TEXTURES][1];
    /* a piece's floor: low noise (a band-pass near 130 Hz, about 70-250
     * Hz), the room's tone or a distant sea under pieces whose instruments
     * leave the lowest octaves empty, swelling against the air
     * (pieces.md); drift has none, and draws no noise for it */
    float calm = calm_of(inten);
    bool calm_on = e->pc->floor_calm > 0.0f && calm > 0.0f;
    if (e->pc->floor > 0.0f) {
        float gf = e->pc->floor * (1.0f - 0.3f * au_sin2pi(e->air_lfo));
        noise_band2(&e->air_f, &e->air_k, g, nz, &e->floor_f, &e->floor_k, gf,
                    nf, xl, xr);
        if (calm_on) noise_band(&e->calm_f, &e->calm_k, e->pc->floor_calm * calm, nc, xl, xr);
    } else if (calm_on) {
        /* a piece's calm floor: noise in the third-octave between the bass
         * (<= 110 Hz) and the pads' low voices, which a long tonic stretch
         * leaves empty (in D dorian nothing of D-F-A sounds in 112-140 Hz:
         * the long-term spectrum had a notch 8-10 dB under the produced
         * slope there when calm); fading out by intensity 0.5. */
        noise_band2(&e->air_f, &e->air_k, g, nz, &e->calm_f, &e->calm_k,
                    e->pc->floor_calm * calm, nc, xl, xr);
    } else {
        noise_band(&e->air_f, &e->air_k, g, nz, xl, xr);
    }
    e->bus_used |= 1u << AU_LAYER_TEXTURES;
}

void au_engine_destroy(au_engine *e)
{
    if (!e) return;
    au_sfsynth_destroy(e->sf);
    free(e);
}

int au_engine_load_soundfont(const char *path, char *err, size_t errlen)
{
    au_sfont_preset pr[AU_PIECE_COUNT * AU_LAYER_COUNT * 3];
    int n = 0;
    for (int pi = 0; pi < AU_PIECE_COUNT; pi++)
        for (int l = 0; l < AU_LAYER_COUNT; l++) {
            const au_piece_layer *pl = &au_piece_get(pi)->layer[l];
            if (pl->on && pl->sf) {
                pr[n++] = (au_sfont_preset){pl->bank, pl->program};
                for (int a = 0; a < pl->nalt; a++)
                    pr[n++] = (au_sfont_preset){pl->bank, pl->alt[a]};
            }
        }
    return au_sfont_load(path ? path : AU_SFONT_DEFAULT_PATH, pr, n, err, errlen);
}

int au_engine_uses_soundfont(const au_engine *e)
{
    return e->sf != NULL;
}

/* the DSP percussion's voice for a kit note: by its role in the piece's
 * kit (0: that role rests without a SoundFont) */
static int dsp_perc_note(const au_piece *pc, int note)
{
    for (int r = 0; r < 4; r++)
        if (pc->kit.note[r] == note) return pc->kit.dsp[r];
    return note;
}

static void play(au_engine *e, const au_event *ev, int on)
{
    int l = ev->layer;
    const au_piece_layer *pl = &e->pc->layer[l];
    int note = au_piece_note(pl, ev->note);
    if (e->sf && (e->sf_ok[e->piece] >> l & 1)) {
        if (on)
            au_sfsynth_note_on(e->sf, sf_chan(e->piece, l), note,
                               au_piece_vel(pl, ev->vel ? ev->vel : 1));
        else
            au_sfsynth_note_off(e->sf, sf_chan(e->piece, l), note);
        return;
    }
    if (l == AU_LAYER_PERCUSSION && pl->gen == AU_GEN_PERC &&
        !(note = dsp_perc_note(e->pc, ev->note)))
        return;
    if (on)
        au_inst_note_on(&e->inst[l], note,
                        au_piece_vel(pl, ev->vel ? ev->vel : 1));
    else
        au_inst_note_off(&e->inst[l], note);
}

static void switch_piece(au_engine *e, int piece)
{
    if (!au_piece_get(piece) || piece == e->piece) return;
    for (int l = 0; l < AU_LAYER_COUNT; l++) {
        au_inst_all_off(&e->inst[l]);
        if (e->sf) au_sfsynth_all_off(e->sf, sf_chan(e->piece, l));
    }
    e->piece = piece;
    e->pc = au_piece_get(piece);
    au_tone_shape ts = tone_shape(e->pc);
    au_tone_set(&e->tone, &ts); /* glides there */
}

void au_engine_set(au_engine *e, const au_param_update *u)
{
    au_params_apply(&e->params, u);
    au_composer_set(&e->comp, u);
}

static void ring_push(au_engine *e, const au_event *ev)
{
    if (e->ring_head - e->ring_tail == EV_RING) {
        e->ring_tail++; /* overwrite the oldest */
        e->ring_dropped++;
    }
    e->ring[e->ring_head & (EV_RING - 1)] = *ev;
    e->ring_head++;
}

int au_engine_poll_event(au_engine *e, au_event *ev)
{
    if (e->ring_tail == e->ring_head) return 0;
    *ev = e->ring[e->ring_tail & (EV_RING - 1)];
    e->ring_tail++;
    return 1;
}

static void dispatch(au_engine *e, const au_event *ev)
{
    switch (ev->type) {
    case AU_EV_NOTE_ON:
    case AU_EV_NOTE_OFF:
        if (ev->layer < AU_LAYER_COUNT) {
            play(e, ev, ev->type == AU_EV_NOTE_ON);
            /* displays and note events show the pitch that sounds: a
             * piece moves a layer into its instrument's register, as the
             * MIDI export does */
            au_event shown = *ev;
            shown.note = (uint8_t)au_piece_note(&e->pc->layer[ev->layer],
                                                ev->note);
            ring_push(e, &shown);
        } else {
            ring_push(e, ev);
        }
        break;
    case AU_EV_CONTROL: {
        float v = ev->u.control.value;
        if (ev->u.control.id != AU_CTL_PIECE)
            v = v != v ? 0.5f : v < 0.0f ? 0.0f : v > 1.0f ? 1.0f : v;
        switch (ev->u.control.id) {
        case AU_CTL_BRIGHTNESS: e->ctl_bright = v; break;
        case AU_CTL_SPACE: e->ctl_space = v; break;
        case AU_CTL_LAYER_GAIN:
            if (ev->layer < AU_LAYER_COUNT) e->ctl_layer[ev->layer] = v;
            break;
        case AU_CTL_DENSITY:
            e->ctl_density = v;
            if (!e->sec_dev_set) {
                e->sec_dev = v - (float)e->params.intensity;
                e->sec_dev_set = 1;
            }
            break;
        case AU_CTL_SECTION: e->ctl_secoff = v - 0.5f; break;
        case AU_CTL_PIECE: switch_piece(e, (int)ev->u.control.value); break;
        default: break; /* density and intensity: the engine eases its own */
        }
        break;
    }
    case AU_EV_TEMPO:
        if (ev->u.tempo.bpm >= AU_BPM_MIN && ev->u.tempo.bpm <= AU_BPM_MAX)
            e->bpm = (float)ev->u.tempo.bpm;
        break;
    case AU_EV_KEY:
        e->key_pc = ev->u.key.key % 12;
        au_inst_set_key(&e->inst[AU_LAYER_PERCUSSION], e->key_pc);
        ring_push(e, ev);
        break;
    default: ring_push(e, ev); break; /* chord, section */
    }
}

static void render_instruments(au_engine *e, int from, int to)
{
    if (to <= from) return;
    for (int l = 0; l < AU_LAYER_COUNT; l++)
        if (au_inst_process(&e->inst[l], e->bus[l][0] + from,
                            e->bus[l][1] + from, to - from))
            e->bus_used |= 1u << l;
    if (e->sf) {
        float *L[AU_SFSYNTH_GROUPS] = {0}, *R[AU_SFSYNTH_GROUPS] = {0};
        for (int l = 0; l < AU_LAYER_COUNT; l++) {
            L[l] = e->bus[l][0] + from;
            R[l] = e->bus[l][1] + from;
        }
        e->bus_used |= au_sfsynth_process(e->sf, L, R, to - from);
    }
}

static void render_block(au_engine *e)
{
    int64_t start = e->pos_block, end = start + AU_BLOCK;

    /* control tick */
    float inten = au_smooth_step(&e->s_int, (float)e->params.intensity);
    float cb = au_smooth_step(&e->s_bright, e->ctl_bright);
    float sp = au_smooth_step(&e->s_space, e->ctl_space);
    float b = 0.1f + 0.6f * inten + 0.3f * cb + e->pc->brightness;
    b = b < 0.0f ? 0.0f : b;
    au_inst_ctl ctl = {.brightness = b > 1.0f ? 1.0f : b, .intensity = inten};
    /* a calm lead a little less pure (piece.h: calm_lead): its fundamental
     * alone piled up in one third-octave band (seed 7, D dorian, 0.1: the
     * 630 Hz band 6 dB over the produced slope) */
    float lead = e->pc->calm_lead * calm_of(inten);
    /* the seed's lead colour (piece.h: lead_colour; orch.h: lead_u),
     * growing in as the calm lead's own brightening fades (a calm lead
     * near a sine piled up in its band; a bright one at 0.1 kept the top
     * from growing with intensity), the brighter side fading out again by
     * 0.9, where the lead is bright already (seed 11 F lydian at 0.9 went
     * 7.0 dB off the produced slope with it) */
    if (e->pc->lead_colour[0] != 0.0f) {
        const au_orch *o = au_composer_orch(&e->comp);
        float c = 1.0f - calm_of(inten), u = o->lead_u * c * c;
        if (u < 0.0f) {
            u *= e->pc->lead_colour[0];
        } else {
            float r = o->patch[AU_LAYER_MELODY][0]; /* 0, 1, 2: 1:1, 2:1, 3:1 */
            u *= (1.0f - busy_of(inten)) * e->pc->lead_colour[r > 1.5f ? 3 : r > 0.5f ? 2 : 1];
        }
        lead += u;
    }
    e->inst[AU_LAYER_MELODY].patch[2] = lead;
    /* the piece's low end (piece.h: pad_sub_gain, bass_saw_gain;
     * inst_pads.c and inst_bass.c say which patch slot), fully from 0.5
     * to 0.6, half at 0.1 (a calm piece rests on its bass) and gone at
     * 0.9 (a full piece keeps its weight at 100 Hz) */
    e->inst[AU_LAYER_PADS].patch[2] = e->pc->pad_sub_low; /* piece.h */
    if (e->pc->bass_saw_gain != 0.0f || e->pc->pad_sub_gain != 0.0f ||
        e->pc->busy_pad_sub != 0.0f) {
        float m = fminf(fminf(0.375f + 1.25f * inten, (0.9f - inten) / 0.3f), 1.0f);
        m = m < 0.0f ? 0.0f : m;
        const au_orch *o = au_composer_orch(&e->comp);
        /* and the pads' subs louder when full (piece.h: busy_pad_sub):
         * their G2-A2 filled the 100 Hz band under a bass on the root and
         * fifth (F lydian: F2 and C3), which a full piece left 5.8 dB
         * under the produced slope */
        e->inst[AU_LAYER_PADS].patch[1] = o->patch[AU_LAYER_PADS][1] +
                                          e->pc->pad_sub_gain * m +
                                          e->pc->busy_pad_sub * busy_of(inten);
        e->inst[AU_LAYER_BASS].patch[0] = e->pc->bass_saw_gain * m;
    }
    for (int l = 0; l < AU_LAYER_COUNT; l++) au_inst_tick(&e->inst[l], &ctl);
    if (fabsf(sp - e->space_applied) > 0.01f) {
        /* long and bright enough to carry air: RT60 9..15 s, damping from
         * 9 kHz (a piece scales the time) */
        au_reverb_set(&e->reverb, (9.0f + 6.0f * sp) * e->pc->space, 9000.0f);
        e->space_applied = sp;
    }
    /* pad release follows the harmonic rhythm (long chords when calm, so
     * long releases; shorter when chords change faster) */
    {
        float rel = 10.0f - 6.0f * e->ctl_density;
        if (fabsf(rel - e->rel_applied) > 0.05f) {
            au_inst_set_release(&e->inst[AU_LAYER_PADS], rel);
            e->rel_applied = rel;
        }
    }
    /* section level follows density. The default piece: the section's
     * own density offset (before the conductor clamps the density to
     * 0..1) against a fixed +0.03, 22 dB per unit (30 at 0.9): a calm
     * section about 3 dB under the target, a plateau 2-4 dB over it, a
     * sparse one 5-6 dB under. The clamped density made the top sections
     * equally loud at intensity 0.9 (LRA under 5 LU, sparse sections no
     * quieter). The +0.03 puts the power mean of the sections, which the
     * integrated loudness follows, at the target. Outside the rider, which
     * would undo it. */
    {
        float off;
        if (e->piece == AU_PIECE_DRIFT) {
            float slope = 22.0f + 20.0f * (inten > 0.5f ? inten - 0.5f : 0.0f);
            off = slope * (1.0f + e->pc->dynamics) * (e->ctl_secoff - 0.03f);
            /* a soft knee under -4 dB: a sparse section 5-6 dB down, not 8 */
            if (off < -4.0f) off = -4.0f + 0.4f * (off + 4.0f);
            /* the dynamics fade in over the first two minutes: a stream
             * starts at the target while its layers enter, and a short
             * render is not just the low half of the opening rise */
            float t = (float)e->pos_block / (float)e->rate;
            if (t < 120.0f) off *= t / 120.0f;
        } else {
            /* the other pieces (pieces.md): the clamped density against a
             * reference relaxing from the first section's offset */
            float want = 0.03f - (inten > 0.8f ? 0.35f * (inten - 0.8f) : 0.0f);
            /* a piece may let the reference follow its own density (a slow
             * mean, the same 150 s): sections then stand out against their
             * neighbours and the level returns to the target over minutes,
             * whichever sections a stream's first minutes bring (pieces.md) */
            want += e->pc->level_follow * (e->ctl_density - inten - want);
            e->sec_dev += (float)AU_BLOCK / (150.0f * (float)e->rate) * (want - e->sec_dev);
            /* a piece may widen the swing (pieces.md: dynamics) */
            off = 30.0f * (1.0f + e->pc->dynamics) * (e->ctl_density - inten - e->sec_dev);
            /* a soft knee under -4 dB: a sparse section 5-6 dB down, not 8 */
            if (off < -4.0f) off = -4.0f + 0.4f * (off + 4.0f);
        }
        /* and the piece's own level trim (pieces.md) */
        au_master_set_offset(&e->master, off + e->pc->level_db);
    }
    /* the pads' calm body (piece.h: calm_body_db): a bell at the tonic
     * in C4-B4, where a calm piece resting on its tonic piles up its
     * pads' fundamentals and the octaves of its low voices (D dorian at
     * 0.1: the 315 Hz band 6.5-7 dB over the produced slope); redesigned
     * in steps of 0.05 dB as the intensity eases */
    if (e->pc->calm_body_db != 0.0f || e->bd_db != 0.0f) {
        float hz = 261.63f * au_exp2((float)e->key_pc * (1.0f / 12.0f));
        float db = roundf(e->pc->calm_body_db * calm_of(inten) * 20.0f) * 0.05f;
        if (hz != e->bd_hz || db != e->bd_db) body_design(e, hz, db);
    }
    /* the pads' dip follows the melody */
    {
        float want = au_inst_active(&e->inst[AU_LAYER_MELODY]) ? PADBUS_DIP_DB : 0.0f;
        e->pb_dip += 0.004f * (want - e->pb_dip); /* ~0.25 s */
        if (fabsf(e->pb_dip - e->pb_dip_applied) > 0.1f) {
            padbus_design(e, e->pb_dip);
            e->pb_dip_applied = e->pb_dip;
        }
    }
    if (e->bpm != e->bpm_applied) {
        float beat = 60.0f / e->bpm;
        au_delay_set(&e->delay, 0.75f * beat, beat, 0.45f + 0.15f * sp);
        e->bpm_applied = e->bpm;
    }

    /* instruments, split at the exact frame of every event */
    /* buses left silent last block are still zero */
    {
        /* plain vector stores: GCC turns a zeroing loop into a call of
         * memset (rep stos), whose start-up costs more than 16 stores;
         * the empty asm hides that the vector is zero */
        v8f z = v8_set(0.0f);
        __asm__("" : "+x"(z));
        for (int l = 0; l < AU_LAYER_COUNT; l++)
            if (e->bus_used & (1u << l))
                for (int i = 0; i < 2 * AU_BLOCK; i += AU_LANES)
                    v8_store(e->bus[l][0] + i, z);
    }
    e->bus_used = 0;
    int seg = 0;
    au_event ev;
    while (au_composer_next(&e->comp, end, &ev)) {
        int off = (int)(ev.pos - start);
        off = off < seg ? seg : off > AU_BLOCK ? AU_BLOCK : off;
        render_instruments(e, seg, off);
        seg = off;
        dispatch(e, &ev);
    }
    render_instruments(e, seg, AU_BLOCK);
    if (e->bus_used & (1u << AU_LAYER_PADS)) padbus(e);
    air(e, cb, inten);

    /* mix: dry, reverb and delay sends, per-layer gains ramped; a layer
     * whose bus is silent this block adds nothing and is skipped. Layers
     * innermost, so each send is stored once per vector. */
    float dry[2][AU_BLOCK], rin[2][AU_BLOCK], din[2][AU_BLOCK];
    float rev_scale = 0.6f + 0.8f * sp;
    int nu = 0;
    const float *ub[AU_LAYER_COUNT];
    v8f mg0[AU_LAYER_COUNT], minc[AU_LAYER_COUNT], kd[AU_LAYER_COUNT],
        kr[AU_LAYER_COUNT], kl[AU_LAYER_COUNT];
    for (int l = 0; l < AU_LAYER_COUNT; l++) {
        float g0 = e->s_gain[l].y;
        float want = layer_on(&e->params, l) ? e->ctl_layer[l] : 0.0f;
        /* the piece's trims of its kit and bass (piece.h) */
        if (l == AU_LAYER_PERCUSSION) want *= e->pc->kit_trim;
        if (l == AU_LAYER_BASS) want *= e->pc->bass_trim[0] + e->pc->bass_trim[1] * inten;
        /* a lighter pedal when calm (piece.h: calm_bass): room in 60-250
         * Hz for the calm floor */
        if (l == AU_LAYER_BASS && e->pc->calm_bass > 0.0f)
            want *= 1.0f - e->pc->calm_bass * calm_of(inten);
        float g1 = au_smooth_step(&e->s_gain[l], want);
        /* the volume multiplies the switch/balance gain; at the default 1.0
         * the products are exact, so the output is unchanged bit for bit */
        float v0 = e->s_vol[l].y;
        float v1 = au_smooth_step(&e->s_vol[l], (float)e->params.volume[l]);
        g0 *= v0;
        g1 *= v1;
        if (g0 < 1e-6f && g1 < 1e-6f) continue;
        if (!(e->bus_used & (1u << l))) continue;
        ub[nu] = e->bus[l][0];
        mg0[nu] = v8_set(g0);
        minc[nu] = v8_set((g1 - g0) * (1.0f / AU_BLOCK));
        const au_piece_layer *pl = &e->pc->layer[l];
        kd[nu] = v8_set(mix_dry[l] * pl->gain);
        kr[nu] = v8_set(mix_rev[l] * rev_scale * pl->gain * pl->rev);
        kl[nu] = v8_set(mix_dly[l] * pl->gain * pl->dly);
        nu++;
    }
    const v8f step = {1.0f, 2.0f, 3.0f, 4.0f};
    for (int i = 0; i < AU_BLOCK; i += AU_LANES) {
        v8f ad0 = v8_set(0.0f), ar0 = ad0, al0 = ad0, ad1 = ad0, ar1 = ad0, al1 = ad0;
        v8f fi = v8_set((float)i) + step;
        for (int u = 0; u < nu; u++) {
            v8f g = mg0[u] + minc[u] * fi; /* the ramp, once for both sides */
            v8f v0 = v8_load(ub[u] + i) * g, v1 = v8_load(ub[u] + AU_BLOCK + i) * g;
            ad0 += kd[u] * v0;
            ar0 += kr[u] * v0;
            al0 += kl[u] * v0;
            ad1 += kd[u] * v1;
            ar1 += kr[u] * v1;
            al1 += kl[u] * v1;
        }
        v8_store(dry[0] + i, ad0);
        v8_store(rin[0] + i, ar0);
        v8_store(din[0] + i, al0);
        v8_store(dry[1] + i, ad1);
        v8_store(rin[1] + i, ar1);
        v8_store(din[1] + i, al1);
    }
    float dout[2][AU_BLOCK], rout[2][AU_BLOCK];
    au_delay_process(&e->delay, din[0], din[1], dout[0], dout[1], AU_BLOCK);
    const v8f k3 = v8_set(0.3f), k6 = v8_set(0.6f);
    for (int c = 0; c < 2; c++)
        for (int i = 0; i < AU_BLOCK; i += AU_LANES) {
            v8f o = v8_load(dout[c] + i);
            v8_store(rin[c] + i, v8_load(rin[c] + i) + k3 * o);
            v8_store(dry[c] + i, v8_load(dry[c] + i) + k6 * o);
        }
    au_reverb_process(&e->reverb, rin[0], rin[1], rout[0], rout[1], AU_BLOCK);
    for (int c = 0; c < 2; c++)
        for (int i = 0; i < AU_BLOCK; i += AU_LANES)
            v8_store(dry[c] + i, v8_load(dry[c] + i) + v8_load(rout[c] + i));
    au_tone_process(&e->tone, dry[0], dry[1], AU_BLOCK);
    au_master_process(&e->master, dry[0], dry[1], e->out, AU_BLOCK);
    e->pos_block = end;
    e->out_idx = 0;
}

void au_engine_render(au_engine *e, float *out, int frames)
{
    while (frames > 0) {
        if (e->out_idx == AU_BLOCK) render_block(e);
        int k = AU_BLOCK - e->out_idx;
        k = k < frames ? k : frames;
        memcpy(out, e->out + 2 * e->out_idx, sizeof(float) * 2 * (size_t)k);
        e->out_idx += k;
        out += 2 * k;
        frames -= k;
        e->pos_out += k;
    }
}

int64_t au_engine_position(const au_engine *e)
{
    return e->pos_out;
}

const au_params *au_engine_params(const au_engine *e)
{
    return &e->params;
}

size_t au_engine_memory(const au_engine *e)
{
    return sizeof(struct au_engine) + (e->sf ? au_sfsynth_memory(e->sf) : 0);
}

int au_engine_active_voices(const au_engine *e)
{
    int n = 0;
    for (int l = 0; l < AU_LAYER_COUNT; l++) n += au_inst_active(&e->inst[l]);
    return n + (e->sf ? au_sfsynth_active(e->sf) : 0);
}

uint64_t au_engine_phrases(const au_engine *e)
{
    return e->comp.melody.phrases > 0 ? (uint64_t)e->comp.melody.phrases : 0;
}

#else
typedef int au_engine_waits_for_composer;
#endif
