/* Opus packets for streaming and files: 48 kHz stereo float in, one 20 ms
 * packet (960 frames) out, through libopus. Deterministic: the same samples
 * and config give the same packets, so a stream's packets equal those of
 * `auralis render x.opus` with the same --opus-bitrate (both use this code).
 * Ownership: the caller owns the au_opus_enc; init allocates the libopus
 * state once, encode never allocates, locks, logs or does I/O (safe on the
 * render worker). Thread-safety: one thread at a time per encoder. */
#ifndef AU_IO_OPUS_PACKETS_H
#define AU_IO_OPUS_PACKETS_H

#include <stddef.h>
#include <stdint.h>

#define AU_OPUS_RATE 48000
#define AU_OPUS_FRAME 960       /* 20 ms at 48 kHz */
#define AU_OPUS_MAX_PACKET 1275 /* RFC 6716: largest single-frame packet */
#define AU_OPUS_BITRATE_MIN 32000
#define AU_OPUS_BITRATE_MAX 256000
#define AU_OPUS_BITRATE_STREAM 128000 /* serve's default */
#define AU_OPUS_BITRATE_FILE 160000   /* render's default */
/* Bytes of one chunk's codec-1 payload at most: [u16 length][packet] per
 * 20 ms packet. */
#define AU_OPUS_CHUNK_MAX(frames)                                              \
    ((size_t)((frames) / AU_OPUS_FRAME) * (2 + AU_OPUS_MAX_PACKET))

typedef struct {
    int bitrate;    /* bits per second, AU_OPUS_BITRATE_MIN..MAX */
    int complexity; /* 0..10 (libopus), 10 by default */
} au_opus_config;

typedef struct {
    void *enc;    /* OpusEncoder, owned */
    int preskip;  /* encoder lookahead in 48 kHz frames (OpusHead pre-skip) */
    int64_t done; /* frames encoded so far */
} au_opus_enc;

au_opus_config au_opus_config_default(void); /* 128 kbit/s, complexity 10 */

/* 0, or AU_EINVAL with "opus bitrate must be between 32000 and 256000
 * bits/s (got N)" in err. */
int au_opus_check_bitrate(long bps, char *err, size_t errlen);

/* 0, AU_EINVAL (bad config) or AU_ENOMEM. */
int au_opus_enc_init(au_opus_enc *e, const au_opus_config *cfg);
void au_opus_enc_deinit(au_opus_enc *e);

/* One 20 ms packet from AU_OPUS_FRAME interleaved stereo frames into out
 * (cap >= AU_OPUS_MAX_PACKET is always enough). Bytes written (> 0), or
 * AU_EIO if libopus failed. */
int au_opus_enc_packet(au_opus_enc *e, const float *stereo, unsigned char *out,
                       size_t cap);

/* A chunk of frames (a multiple of AU_OPUS_FRAME) as the wire's codec-1
 * payload: [u16 little-endian length][packet] per 20 ms. Bytes written, or
 * AU_EINVAL (frames not a multiple, or cap below AU_OPUS_CHUNK_MAX) / AU_EIO.
 * lens (may be NULL) receives each packet's length. */
int au_opus_enc_chunk(au_opus_enc *e, const float *stereo, int frames,
                      unsigned char *out, size_t cap, uint16_t *lens);

#endif
