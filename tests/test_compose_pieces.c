/* Pieces: the catalogue and its messages, and each piece's note-level
 * invariants over 10 minutes at two seeds: only the piece's layers play;
 * glass stays on its pentatonic; rooms' melody repeats on its loop lengths;
 * the drones hold the tonic (and fifth); pulse's and glass's drums use
 * their kits, come and go and evolve; choir and night change chords more slowly than drift; night
 * is sparse; glass's bowed glass plays one chord tone at a time, the root
 * and the tone above it in turn, and its pads three of the voicing's
 * notes; a live piece change releases everything and announces it. */
#include "compose_test_util.h"

#include "compose/piece.h"
#include "core/pieces.h"

#define RATE 48000

static void test_catalogue(void **st)
{
    (void)st;
    char err[256];
    int p = -1;
    for (int i = 0; i < AU_PIECE_COUNT; i++) {
        const au_piece_info *in = au_piece_info_get(i);
        assert_non_null(in);
        assert_int_equal(au_parse_piece(in->name, &p, err, sizeof err), 0);
        assert_int_equal(p, i);
        assert_true(strlen(in->title) > 0 && strlen(in->description) > 20);
        au_params q = au_piece_params(i);
        assert_int_equal(q.piece, i);
        assert_int_equal(q.key, in->key);
        assert_true(q.bpm == in->bpm && q.intensity == in->intensity);
    }
    assert_int_equal(au_parse_piece("jazz", &p, err, sizeof err), -1);
    assert_string_equal(err, "piece must be one of drift, rooms, glass, choir, "
                             "night, pulse (got 'jazz')");
    /* the default piece is today's defaults */
    au_params d = au_params_default(), q = au_piece_params(AU_PIECE_DRIFT);
    assert_int_equal(d.piece, AU_PIECE_DRIFT);
    assert_true(d.key == q.key && d.mode == q.mode && d.bpm == q.bpm &&
                d.intensity == q.intensity);
    /* set by name, as the protocol and --change do */
    au_param_update u;
    memset(&u, 0, sizeof u);
    assert_int_equal(au_update_set_text(&u, "piece", "night", err, sizeof err), 0);
    assert_true((u.mask & AU_P_PIECE) && u.v.piece == AU_PIECE_NIGHT);
    assert_int_equal(au_update_set_text(&u, "piece", "", err, sizeof err), -1);
    assert_non_null(strstr(err, "drift, rooms"));
}

static evlist piece_run(int piece, uint64_t seed, double secs)
{
    au_params p = au_piece_params(piece);
    p.seed = seed;
    return run_piece(&p, RATE, secs, 0, NULL, 0);
}

static double mean_chord_s(const evlist *l, double secs)
{
    int n = 0;
    for (size_t i = 0; i < l->n; i++) n += l->ev[i].type == AU_EV_CHORD;
    return n ? secs / n : secs;
}

static void test_layers_and_scales(void **st)
{
    (void)st;
    for (int piece = 0; piece < AU_PIECE_COUNT; piece++)
        for (uint64_t seed = 1; seed <= 2; seed++) {
            const au_piece *pc = au_piece_get(piece);
            au_params p = au_piece_params(piece);
            uint16_t penta = au_pentatonic_mask(p.key, p.mode);
            evlist l = piece_run(piece, seed, 600);
            size_t per_layer[AU_LAYER_COUNT] = {0}, lines = 0, in_penta = 0;
            for (size_t i = 0; i < l.n; i++) {
                const au_event *e = &l.ev[i];
                if (e->type != AU_EV_NOTE_ON) continue;
                per_layer[e->layer]++;
                assert_true(pc->layer[e->layer].on);
                if (pc->pentatonic && (e->layer == AU_LAYER_MELODY ||
                                       e->layer == AU_LAYER_BELLS)) {
                    lines++;
                    in_penta += au_in_mask(penta, e->note);
                }
                if (pc->layer[e->layer].gen == AU_GEN_DRONE) {
                    int iv = ((e->note - p.key) % 12 + 12) % 12;
                    assert_true(iv == 0 || iv == 7);
                }
                if (pc->layer[e->layer].gen == AU_GEN_PERC) {
                    int k = 0;
                    for (int r = 0; r < 4; r++) k |= pc->kit.note[r] == e->note;
                    assert_true(k);
                }
            }
            /* the melody's rare chromatic passing tone is the exception */
            assert_true(in_penta >= lines * 97 / 100);
            for (int ly = 0; ly < AU_LAYER_COUNT; ly++)
                if (pc->layer[ly].on && ly != AU_LAYER_PERCUSSION)
                    assert_true(per_layer[ly] > 0); /* every layer it has plays */
            evlist_free(&l);
        }
}

/* rooms: most melody onsets recur exactly one loop length later */
static void test_rooms_loops(void **st)
{
    (void)st;
    const au_piece *pc = au_piece_get(AU_PIECE_ROOMS);
    evlist l = piece_run(AU_PIECE_ROOMS, 4, 600);
    int n = 0, recur = 0;
    for (size_t i = 0; i < l.n; i++) {
        const au_event *e = &l.ev[i];
        if (e->type != AU_EV_NOTE_ON || e->layer != AU_LAYER_MELODY) continue;
        if (e->pos < 60 * RATE) continue; /* every loop has played once */
        n++;
        int found = 0;
        for (size_t j = 0; j < i && !found; j++) {
            const au_event *f = &l.ev[j];
            if (f->type != AU_EV_NOTE_ON || f->layer != AU_LAYER_MELODY) continue;
            for (int k = 0; k < 4 && !found; k++) {
                double d = (double)(e->pos - f->pos) / RATE;
                /* the same loop one or two periods back (one may sit out) */
                for (int m = 1; m <= 2; m++)
                    if (fabs(d - m * pc->loop_s[k]) < 0.002) found = 1;
            }
        }
        recur += found;
    }
    assert_true(n > 40);
    assert_true(recur > n * 7 / 10);
    evlist_free(&l);
}

/* glass: the bowed glass (AU_GEN_BOWED) bows one note at a time, each a
 * tone of the chord sounding, the root in F#2-F3 and, in turn, the tone
 * above it (so the octave above the root is not left empty); the halo pad
 * sounds at most three notes (au_piece.pad_voices) */
static void test_glass_bowed_and_pads(void **st)
{
    (void)st;
    const au_piece *pc = au_piece_get(AU_PIECE_GLASS);
    assert_int_equal(pc->layer[AU_LAYER_BASS].gen, AU_GEN_BOWED);
    assert_int_equal(pc->pad_voices, 3);
    for (uint64_t seed = 1; seed <= 3; seed++) {
        evlist l = piece_run(AU_PIECE_GLASS, seed, 600);
        int sounding = -1, root = -1, notes = 0, roots = 0, uppers = 0;
        int pads = 0, pads_max = 0;
        uint16_t tones = 0;
        for (size_t i = 0; i < l.n; i++) {
            const au_event *e = &l.ev[i];
            if (e->type == AU_EV_CHORD) {
                root = e->u.chord.root;
                tones = 0;
                for (int k = 0; k < e->u.chord.ntones; k++)
                    tones |= (uint16_t)(1u << (e->u.chord.tones[k] % 12));
            } else if (e->layer == AU_LAYER_PADS && e->type == AU_EV_NOTE_ON) {
                if (++pads > pads_max) pads_max = pads;
            } else if (e->layer == AU_LAYER_PADS && e->type == AU_EV_NOTE_OFF) {
                pads--;
            } else if (e->layer == AU_LAYER_BASS && e->type == AU_EV_NOTE_ON) {
                assert_int_equal(sounding, -1); /* the last one let go */
                sounding = e->note;
                assert_true(e->note >= 41 && e->note <= 61);
                /* a chord tone (the pads' voicing may leave out the root) */
                assert_true((tones | 1u << root) >> (e->note % 12) & 1);
                notes++;
                roots += e->note % 12 == root && e->note <= 52;
                uppers += !(e->note % 12 == root && e->note <= 52);
            } else if (e->layer == AU_LAYER_BASS && e->type == AU_EV_NOTE_OFF) {
                assert_int_equal(e->note, sounding);
                sounding = -1;
            }
        }
        assert_true(notes > 30);
        assert_true(roots > notes / 4 && uppers > notes / 4);
        assert_true(pads_max >= 2 && pads_max <= 3);
        evlist_free(&l);
    }
}

/* the percussive pieces (pulse, glass): each its own kit and way of
 * moving; the drums leave for 8 bars or more and come back, and the
 * patterns evolve: the set of (kit note, place in its cycle) heard in one
 * minute of drums differs from the minute before */
static void test_percussion_evolves(void **st)
{
    (void)st;
    static const int pieces[2] = {AU_PIECE_PULSE, AU_PIECE_GLASS};
    for (int pi = 0; pi < 2; pi++)
        for (uint64_t seed = 1; seed <= 3; seed++) {
            const au_piece *pc = au_piece_get(pieces[pi]);
            au_params p = au_piece_params(pieces[pi]);
            evlist l = piece_run(pieces[pi], seed, 900);
            double bar_s = 4 * 60.0 / p.bpm;
            int64_t last = -1;
            int gaps = 0, windows = 0, changed = 0;
            size_t hits = 0;
            uint64_t cur[4] = {0}, prev[4] = {0}; /* (role, place) seen */
            int64_t win_end = 60 * RATE;
            for (size_t i = 0; i <= l.n; i++) {
                const au_event *e = i < l.n ? &l.ev[i] : NULL;
                if (e && (e->type != AU_EV_NOTE_ON || e->layer != AU_LAYER_PERCUSSION))
                    continue;
                while (!e || e->pos >= win_end) {
                    int any = cur[0] | cur[1] | cur[2] | cur[3];
                    if (any) {
                        if (windows++ && memcmp(cur, prev, sizeof cur)) changed++;
                        memcpy(prev, cur, sizeof cur);
                    }
                    memset(cur, 0, sizeof cur);
                    win_end += 60 * RATE;
                    if (!e) break;
                }
                if (!e) break;
                hits++;
                if (last >= 0 && (double)(e->pos - last) / RATE > 7.5 * bar_s) gaps++;
                last = e->pos;
                int role = -1;
                for (int r = 0; r < 4; r++)
                    if (pc->kit.note[r] == e->note) role = r;
                assert_true(role >= 0);
                double beat = (double)e->pos / RATE * p.bpm / 60.0;
                int64_t step = (int64_t)floor(beat / pc->perc.step_beats + 0.2);
                cur[role] |= 1ull << (step % pc->perc.steps[role]);
            }
            /* glass is sparse by design, pulse a steady pulse */
            assert_true(hits > (pi ? 60u : 500u));
            assert_true(gaps >= 2);
            assert_true(windows >= 4);
            assert_true(changed >= windows / 2);
            evlist_free(&l);
        }
    /* the pieces without percussion have no kit behaviour at all */
    assert_int_equal(au_piece_get(AU_PIECE_ROOMS)->layer[AU_LAYER_PERCUSSION].on, 0);
    assert_int_equal(au_piece_get(AU_PIECE_CHOIR)->layer[AU_LAYER_PERCUSSION].on, 0);
    assert_int_equal(au_piece_get(AU_PIECE_NIGHT)->layer[AU_LAYER_PERCUSSION].on, 0);
}

static void test_harmonic_rhythm_and_density(void **st)
{
    (void)st;
    for (uint64_t seed = 1; seed <= 2; seed++) {
        evlist drift = piece_run(AU_PIECE_DRIFT, seed, 600);
        evlist choir = piece_run(AU_PIECE_CHOIR, seed, 600);
        evlist night = piece_run(AU_PIECE_NIGHT, seed, 600);
        /* at their own tempos chords still last longer */
        assert_true(mean_chord_s(&choir, 600) > 1.3 * mean_chord_s(&drift, 600));
        assert_true(mean_chord_s(&night, 600) > 1.3 * mean_chord_s(&drift, 600));
        /* night: few notes */
        assert_true(count_on(&night, -1) * 2 < count_on(&drift, -1));
        evlist_free(&drift);
        evlist_free(&choir);
        evlist_free(&night);
    }
}

/* a live change of piece: every sounding note is released, the event
 * follows, and afterwards only the new piece's layers play */
static void test_live_change(void **st)
{
    (void)st;
    au_params p = au_piece_params(AU_PIECE_PULSE);
    p.seed = 9;
    change ch;
    memset(&ch, 0, sizeof ch);
    ch.pos = 120 * RATE + 77;
    ch.u.mask = AU_P_PIECE;
    ch.u.v.piece = AU_PIECE_ROOMS;
    evlist a = run_piece(&p, RATE, 240, 0, &ch, 1);
    evlist b = run_piece(&p, RATE, 240, 4800, &ch, 1);
    assert_true(a.n > 100);
    assert_int_equal(a.n, b.n); /* pulls of any size: the same events */
    for (size_t i = 0; i < a.n; i++) {
        assert_true(a.ev[i].pos == b.ev[i].pos);
        assert_int_equal(a.ev[i].type, b.ev[i].type);
        assert_int_equal(a.ev[i].layer, b.ev[i].layer);
        assert_int_equal(a.ev[i].note, b.ev[i].note);
        assert_int_equal(a.ev[i].vel, b.ev[i].vel);
    }
    const au_piece *rooms = au_piece_get(AU_PIECE_ROOMS);
    int64_t at = -1;
    int sounding[AU_LAYER_COUNT][128];
    memset(sounding, 0, sizeof sounding);
    for (size_t i = 0; i < a.n; i++) {
        const au_event *e = &a.ev[i];
        if (e->type == AU_EV_CONTROL && e->u.control.id == AU_CTL_PIECE) {
            assert_int_equal((int)e->u.control.value, AU_PIECE_ROOMS);
            at = e->pos;
            for (int l = 0; l < AU_LAYER_COUNT; l++)
                for (int n = 0; n < 128; n++) assert_int_equal(sounding[l][n], 0);
        }
        if (e->type == AU_EV_NOTE_ON) {
            sounding[e->layer][e->note] = 1;
            if (at >= 0) assert_true(rooms->layer[e->layer].on);
        }
        if (e->type == AU_EV_NOTE_OFF) sounding[e->layer][e->note] = 0;
    }
    assert_true(at >= ch.pos && at < ch.pos + RATE);
    evlist_free(&a);
    evlist_free(&b);
}

/* each SoundFont variant has its own level (au_piece_layer.variant_db):
 * the level follows the program the seed picks */
static void test_variant_levels(void **st)
{
    (void)st;
    int seen[3] = {0, 0, 0};
    for (uint64_t seed = 1; seed <= 40; seed++) {
        for (int p = 0; p < AU_PIECE_COUNT; p++)
            for (int l = 0; l < AU_LAYER_COUNT; l++) {
                const au_piece_layer *pl = &au_piece_get(p)->layer[l];
                int prog = au_piece_program(pl, l, seed);
                int want = prog == pl->program ? pl->variant_db[0]
                           : prog == pl->alt[0] ? pl->variant_db[1]
                                                : pl->variant_db[2];
                assert_int_equal(au_piece_variant_db(pl, l, seed), want);
            }
        /* night's vibraphone +12 dB, its electric piano and harp as they are */
        const au_piece_layer *nm = &au_piece_get(AU_PIECE_NIGHT)->layer[AU_LAYER_MELODY];
        int prog = au_piece_program(nm, AU_LAYER_MELODY, seed);
        int db = au_piece_variant_db(nm, AU_LAYER_MELODY, seed);
        assert_int_equal(db, prog == 11 ? 12 : 0);
        seen[prog == 4 ? 0 : prog == 46 ? 1 : 2]++;
    }
    for (int k = 0; k < 3; k++) assert_true(seen[k] > 0);
    /* seed 5 plays the vibraphone (pieces.md) */
    const au_piece_layer *nm = &au_piece_get(AU_PIECE_NIGHT)->layer[AU_LAYER_MELODY];
    assert_int_equal(au_piece_program(nm, AU_LAYER_MELODY, 5), 11);
    assert_int_equal(au_piece_variant_db(nm, AU_LAYER_MELODY, 5), 12);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_catalogue),
        cmocka_unit_test(test_layers_and_scales),
        cmocka_unit_test(test_rooms_loops),
        cmocka_unit_test(test_percussion_evolves),
        cmocka_unit_test(test_glass_bowed_and_pads),
        cmocka_unit_test(test_harmonic_rhythm_and_density),
        cmocka_unit_test(test_live_change),
        cmocka_unit_test(test_variant_levels),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
