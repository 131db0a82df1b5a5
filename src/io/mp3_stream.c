#include "io/mp3_stream.h"

#include <lame/lame.h>
#include <stdlib.h>

#include "core/au.h"

struct au_mp3 {
    lame_global_flags *gf;
};

int au_mp3_create(au_mp3 **out, int rate, int kbps)
{
    *out = NULL;
    if ((rate != 48000 && rate != 44100) || kbps < 32 || kbps > 320)
        return AU_EINVAL;
    au_mp3 *m = calloc(1, sizeof *m);
    if (!m) return AU_ENOMEM;
    m->gf = lame_init();
    if (!m->gf) {
        free(m);
        return AU_ENOMEM;
    }
    lame_set_in_samplerate(m->gf, rate);
    lame_set_out_samplerate(m->gf, rate);
    lame_set_num_channels(m->gf, 2);
    lame_set_mode(m->gf, JOINT_STEREO);
    lame_set_brate(m->gf, kbps);
    lame_set_VBR(m->gf, vbr_off); /* CBR: steady bandwidth, as radio */
    /* 5: LAME's "good quality, fast" default; 2 costs ~2x CPU per station
     * for a difference no one hears on ambient pads at 128 kbit/s */
    lame_set_quality(m->gf, 5);
    lame_set_bWriteVbrTag(m->gf, 0);
    if (lame_init_params(m->gf) < 0) {
        lame_close(m->gf);
        free(m);
        return AU_EINVAL;
    }
    *out = m;
    return 0;
}

void au_mp3_destroy(au_mp3 *m)
{
    if (!m) return;
    lame_close(m->gf);
    free(m);
}

int au_mp3_encode(au_mp3 *m, const float *stereo, int frames,
                  unsigned char *out, size_t cap)
{
    if (cap < AU_MP3_CHUNK_MAX(frames)) return AU_EFULL;
    int n = lame_encode_buffer_interleaved_ieee_float(
        m->gf, stereo, frames, out, (int)(cap > 0x7fffffff ? 0x7fffffff : cap));
    return n < 0 ? AU_EIO : n;
}
