#include "pieces.h"

#include <stdio.h>
#include <string.h>

#include "params.h"
#include "utf8.h"

static const au_piece_info pieces[AU_PIECE_COUNT] = {
    [AU_PIECE_DRIFT] = {"drift", "Drift",
                        "Warm analogue pads drifting through slow chords, a "
                        "singing lead, soft bells and a distant pulse.",
                        2, AU_MODE_DORIAN, 60.0, 0.4},
    [AU_PIECE_ROOMS] = {"rooms", "Rooms",
                        "A piano in a quiet room playing short phrases that "
                        "loop at different lengths and drift in and out of "
                        "step, over soft strings.",
                        0, AU_MODE_IONIAN, 64.0, 0.35},
    [AU_PIECE_GLASS] = {"glass", "Glass Garden",
                        "Bells, celesta and glass chiming on a five-note "
                        "scale, bright and weightless, over a halo pad and "
                        "low bowed glass.",
                        7, AU_MODE_LYDIAN, 72.0, 0.45},
    [AU_PIECE_CHOIR] = {"choir", "Choir",
                        "Voices holding long chords in a large church over a "
                        "slow, deep drone.",
                        9, AU_MODE_AEOLIAN, 48.0, 0.4},
    [AU_PIECE_NIGHT] = {"night", "Night",
                        "Dark, very sparse and slow: low strings and a few "
                        "soft notes far apart, no beat. For sleep.",
                        4, AU_MODE_AEOLIAN, 40.0, 0.12},
    [AU_PIECE_PULSE] = {"pulse", "Pulse",
                        "A soft, steady pulse of mallets and hand percussion "
                        "whose patterns keep changing under warm chords.",
                        5, AU_MODE_MIXOLYDIAN, 92.0, 0.6},
};

const au_piece_info *au_piece_info_get(int piece)
{
    return piece >= 0 && piece < AU_PIECE_COUNT ? &pieces[piece] : NULL;
}

int au_piece_from_name(const char *s)
{
    for (int i = 0; s && i < AU_PIECE_COUNT; i++)
        if (!strcmp(s, pieces[i].name)) return i;
    return -1;
}

const char *au_piece_name(int piece)
{
    return piece >= 0 && piece < AU_PIECE_COUNT ? pieces[piece].name : "?";
}

int au_parse_piece(const char *s, int *piece, char *err, size_t errlen)
{
    int i = au_piece_from_name(s);
    if (i >= 0) {
        *piece = i;
        return 0;
    }
    if (err && errlen) {
        char names[160] = "";
        size_t n = 0;
        for (int k = 0; k < AU_PIECE_COUNT; k++)
            n += (size_t)snprintf(names + n, sizeof names - n, "%s%s",
                                  k ? ", " : "", pieces[k].name);
        char v[AU_QUOTE_SIZE];
        au_quote(s, v); /* whole characters: the message stays UTF-8 */
        snprintf(err, errlen, "piece must be one of %s (got '%s')", names, v);
    }
    return -1;
}

void au_update_piece_defaults(au_param_update *u)
{
    const au_piece_info *i =
        (u->mask & AU_P_PIECE) ? au_piece_info_get(u->v.piece) : NULL;
    if (!i) return;
    if (!(u->mask & AU_P_KEY)) u->v.key = i->key;
    if (!(u->mask & AU_P_MODE)) u->v.mode = i->mode;
    if (!(u->mask & AU_P_BPM)) u->v.bpm = i->bpm;
    if (!(u->mask & AU_P_INTENSITY)) u->v.intensity = i->intensity;
    u->mask |= AU_P_KEY | AU_P_MODE | AU_P_BPM | AU_P_INTENSITY;
}
