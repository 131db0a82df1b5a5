#include "io/opus_packets.h"

#include <opus/opus.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/au.h"

au_opus_config au_opus_config_default(void)
{
    au_opus_config c = {AU_OPUS_BITRATE_STREAM, 10};
    return c;
}

int au_opus_check_bitrate(long bps, char *err, size_t errlen)
{
    if (bps >= AU_OPUS_BITRATE_MIN && bps <= AU_OPUS_BITRATE_MAX) return 0;
    if (err)
        snprintf(err, errlen,
                 "opus bitrate must be between %d and %d bits/s (got %ld)",
                 AU_OPUS_BITRATE_MIN, AU_OPUS_BITRATE_MAX, bps);
    return AU_EINVAL;
}

int au_opus_enc_init(au_opus_enc *e, const au_opus_config *cfg)
{
    e->enc = NULL;
    e->done = 0;
    if (au_opus_check_bitrate(cfg->bitrate, NULL, 0) || cfg->complexity < 0 ||
        cfg->complexity > 10)
        return AU_EINVAL;
    int err = 0;
    OpusEncoder *enc =
        opus_encoder_create(AU_OPUS_RATE, 2, OPUS_APPLICATION_AUDIO, &err);
    if (!enc) return err == OPUS_ALLOC_FAIL ? AU_ENOMEM : AU_EINVAL;
    /* Constrained VBR at the chosen rate: near-constant bandwidth per
     * listener (what an operator provisions for) with VBR's quality. Music
     * signal: ambient pads must never flip into the speech (SILK) modes. */
    opus_encoder_ctl(enc, OPUS_SET_BITRATE(cfg->bitrate));
    opus_encoder_ctl(enc, OPUS_SET_VBR(1));
    opus_encoder_ctl(enc, OPUS_SET_VBR_CONSTRAINT(1));
    opus_encoder_ctl(enc, OPUS_SET_COMPLEXITY(cfg->complexity));
    opus_encoder_ctl(enc, OPUS_SET_SIGNAL(OPUS_SIGNAL_MUSIC));
    opus_encoder_ctl(enc, OPUS_SET_EXPERT_FRAME_DURATION(OPUS_FRAMESIZE_20_MS));
    opus_int32 la = 0;
    opus_encoder_ctl(enc, OPUS_GET_LOOKAHEAD(&la));
    e->enc = enc;
    e->preskip = (int)la;
    return 0;
}

void au_opus_enc_deinit(au_opus_enc *e)
{
    if (e->enc) opus_encoder_destroy(e->enc);
    e->enc = NULL;
}

int au_opus_enc_packet(au_opus_enc *e, const float *stereo, unsigned char *out,
                       size_t cap)
{
    opus_int32 max =
        cap > AU_OPUS_MAX_PACKET ? AU_OPUS_MAX_PACKET : (opus_int32)cap;
    opus_int32 n = opus_encode_float(e->enc, stereo, AU_OPUS_FRAME, out, max);
    if (n < 0) return AU_EIO;
    e->done += AU_OPUS_FRAME;
    return (int)n;
}

int au_opus_enc_chunk(au_opus_enc *e, const float *stereo, int frames,
                      unsigned char *out, size_t cap, uint16_t *lens)
{
    if (frames <= 0 || frames % AU_OPUS_FRAME ||
        cap < AU_OPUS_CHUNK_MAX(frames))
        return AU_EINVAL;
    size_t off = 0;
    for (int i = 0; i < frames / AU_OPUS_FRAME; i++) {
        int n = au_opus_enc_packet(e, stereo + (size_t)i * AU_OPUS_FRAME * 2,
                                   out + off + 2, AU_OPUS_MAX_PACKET);
        if (n < 0) return n;
        out[off] = (unsigned char)(n & 0xff);
        out[off + 1] = (unsigned char)(n >> 8);
        if (lens) lens[i] = (uint16_t)n;
        off += 2 + (size_t)n;
    }
    return (int)off;
}
