#include "conductor.h"

#include <math.h>
#include <string.h>

static const char *const sec_names[AU_SEC_COUNT] = {"calm", "rise", "plateau",
                                                    "fall", "sparse"};

const char *au_section_name(int type)
{
    return type >= 0 && type < AU_SEC_COUNT ? sec_names[type] : "?";
}

/* density offset at the start and end of each kind of section */
static const float sec_off[AU_SEC_COUNT][2] = {
    {-0.12f, -0.08f}, {-0.10f, 0.12f}, {0.12f, 0.10f}, {0.10f, -0.14f},
    {-0.24f, -0.2f}};

static const float sec_next[AU_SEC_COUNT][AU_SEC_COUNT] = {
    {0.5f, 4, 0.5f, 0, 2}, {0, 0, 5, 1, 0}, {0.5f, 0, 0, 5, 0},
    {4, 1, 0, 0, 2}, {3, 3, 0, 0, 0}};

void au_conductor_init(au_conductor *c, uint64_t seed, int key, int mode)
{
    memset(c, 0, sizeof *c);
    au_rng_seed(&c->rng, seed, 81);
    c->type = -1;
    c->start_bar = c->end_bar = 0;
    c->phase_min = (float)au_rng_unit(&c->rng);
    c->phase_hour = (float)au_rng_unit(&c->rng);
    for (int i = 0; i < 6 + AU_LAYER_COUNT; i++) c->sent[i] = -1.0f;
    c->home_key = key;
    c->home_mode = mode;
    c->perc_prob = 0.8f;
    c->first_type = AU_SEC_CALM;
}

void au_conductor_set_home(au_conductor *c, int key, int mode)
{
    c->home_key = key;
    c->home_mode = mode;
}

static void control(au_conductor *c, au_score *s, double beat, int id, int layer,
                    float v, int force)
{
    int slot = id == AU_CTL_LAYER_GAIN ? 5 + layer : id == AU_CTL_SECTION ? 5 + AU_LAYER_COUNT : id;
    if (!force && fabsf(v - c->sent[slot]) < 0.01f) return;
    c->sent[slot] = v;
    au_event e;
    memset(&e, 0, sizeof e);
    e.type = AU_EV_CONTROL;
    e.layer = (uint8_t)layer;
    e.u.control.id = (uint8_t)id;
    e.u.control.value = v;
    au_score_push(s, beat, &e, 0);
}

/* a related key: a neighbouring mode on the same tonic (one note differs),
 * the key a fifth away, or the relative mode (same notes, other tonic). */
static void related(au_conductor *c, int key, int mode, int *k, int *m)
{
    /* modes by brightness: lydian ionian mixolydian dorian aeolian phrygian */
    static const int bright[6] = {AU_MODE_LYDIAN, AU_MODE_IONIAN, AU_MODE_MIXOLYDIAN,
                                  AU_MODE_DORIAN, AU_MODE_AEOLIAN, AU_MODE_PHRYGIAN};
    int bi = 3;
    for (int i = 0; i < 6; i++)
        if (bright[i] == mode) bi = i;
    uint32_t r = au_rng_below(&c->rng, 4);
    *k = key;
    *m = mode;
    if (r == 0 && mode != AU_MODE_LOCRIAN) {
        int j = bi + (au_rng_chance(&c->rng, 0.5) ? 1 : -1);
        if (j < 0) j = 1;
        if (j > 5) j = 4;
        *m = bright[j];
    } else if (r == 1) {
        *k = (key + 7) % 12;
    } else if (r == 2) {
        *k = (key + 5) % 12;
    } else {
        /* relative: tonic moves to degree 3, 4 or 6 of the same scale */
        static const int degs[3] = {2, 3, 5};
        int d = degs[au_rng_below(&c->rng, 3)];
        int nm = (mode + d) % 7;
        if (nm == AU_MODE_LOCRIAN) d = 5, nm = (mode + d) % 7;
        if (nm == AU_MODE_LOCRIAN) d = 3, nm = (mode + d) % 7;
        *k = au_scale_pc(key, mode, d);
        *m = nm;
    }
}

int au_conductor_bar(au_conductor *c, au_score *s, int64_t bar, double beat,
                     double bpm, double intensity, bool wander, int key,
                     int mode, int *want_key, int *want_mode)
{
    int moved = 0, fresh = 0;
    if (bar >= c->end_bar) {
        fresh = 1;
        int t = c->type < 0 ? c->first_type
                            : au_rng_weighted(&c->rng, sec_next[c->type], AU_SEC_COUNT);
        double minutes = au_rng_range(&c->rng, 1.0, 4.0);
        int64_t bars = (int64_t)llround(minutes * bpm / AU_BEATS_PER_BAR);
        if (bars < 4) bars = 4;
        if (c->type >= 0) c->index++;
        c->type = t;
        c->start_bar = bar;
        c->end_bar = bar + bars;
        float j = (float)au_rng_range(&c->rng, -0.04, 0.04);
        c->off0 = sec_off[t][0] + j;
        c->off1 = sec_off[t][1] + j;
        c->reg0 = c->reg1;
        c->reg1 = (float)au_rng_range(&c->rng, -3.0, 3.5);
        for (int l = 0; l < AU_LAYER_COUNT; l++) {
            c->bal0[l] = c->bal1[l] > 0 ? c->bal1[l] : 0.8f;
            c->bal1[l] = (float)au_rng_range(&c->rng, 0.6, 1.0);
        }
        /* percussion comes and goes by section: never in the first one,
         * rarely when calm or sparse, usually on a plateau */
        static const float perc_by[AU_SEC_COUNT] = {0.25f, 0.7f, 0.95f, 0.5f, 0.0f};
        double pp = c->perc_prob * perc_by[t] * au_clampd(0.4 + intensity, 0.0, 1.3);
        c->perc = (c->index > 0 || intensity > 0.6) && au_rng_chance(&c->rng, pp);
        au_event e;
        memset(&e, 0, sizeof e);
        e.type = AU_EV_SECTION;
        e.u.section.index = c->index;
        strncpy(e.u.section.name, sec_names[t], sizeof e.u.section.name - 1);
        au_score_push(s, beat, &e, 0);
        if (wander && c->index > 0 && au_rng_chance(&c->rng, 0.25)) {
            if (key != c->home_key || mode != c->home_mode) {
                /* away: usually come home */
                if (au_rng_chance(&c->rng, 0.6)) *want_key = c->home_key, *want_mode = c->home_mode;
                else related(c, key, mode, want_key, want_mode);
            } else {
                related(c, key, mode, want_key, want_mode);
            }
            moved = *want_key != key || *want_mode != mode;
        }
    }
    double f = (double)(bar - c->start_bar) / (double)(c->end_bar - c->start_bar);
    /* modulators: a ~7-minute and a ~2-hour sine, in bars at this tempo */
    double minute_bars = bpm / AU_BEATS_PER_BAR;
    double lfo_m = sin(6.2831853 * (c->phase_min + bar / (7.3 * minute_bars)));
    double lfo_h = sin(6.2831853 * (c->phase_hour + bar / (127.0 * minute_bars)));
    double off = au_lerp(c->off0, c->off1, f) + 0.04 * lfo_m;
    c->density = au_clampd(intensity + off, 0.0, 1.0);
    /* the section's own offset, before the clamp: near full (or no)
     * intensity the density saturates, the section level must not */
    c->level_off = off;
    c->reg_shift = (int)lround(au_lerp(c->reg0, c->reg1, f));
    /* density and brightness move together; an hour-scale drift on top */
    float bright = (float)au_clampd(0.15 + 0.7 * c->density + 0.08 * lfo_h, 0, 1);
    float space = (float)au_clampd(0.85 - 0.35 * c->density + 0.05 * lfo_m, 0, 1);
    control(c, s, beat, AU_CTL_BRIGHTNESS, 0, bright, fresh);
    control(c, s, beat, AU_CTL_DENSITY, 0, (float)c->density, fresh);
    control(c, s, beat, AU_CTL_SPACE, 0, space, fresh);
    control(c, s, beat, AU_CTL_SECTION, 0, (float)au_clampd(0.5 + off, 0, 1), fresh);
    for (int l = 0; l < AU_LAYER_COUNT; l++)
        control(c, s, beat, AU_CTL_LAYER_GAIN, l,
                (float)au_lerp(c->bal0[l], c->bal1[l], f), fresh);
    return moved;
}
