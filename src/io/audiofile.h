/* Audio files from float stereo blocks: WAV (16-bit with the shared TPDF
 * dither, or 32-bit float) and FLAC (24-bit) through libsndfile, Ogg Opus
 * through libopus + libogg (io/opus_packets, io/ogg_opus: the packets the
 * streams send; 48 kHz only), raw little-endian pcm16 (the wire
 * format). Streams: nothing but one block is held in memory. Tags carry the
 * seed and parameters. Not for the audio thread (it does I/O). */
#ifndef AU_AUDIOFILE_H
#define AU_AUDIOFILE_H

#include <stdbool.h>
#include <stddef.h>

#include "core/params.h"

typedef enum {
    AU_FMT_WAV16,
    AU_FMT_WAV_FLOAT,
    AU_FMT_FLAC24,
    AU_FMT_OPUS,
    AU_FMT_RAW16,
} au_audio_format;

/* Format from a lower-case extension: wav, flac, opus, raw. -1 if unknown. */
int au_audio_format_from_ext(const char *ext, bool float_wav, au_audio_format *f);
const char *au_audio_format_name(au_audio_format f);

typedef struct au_audio_writer au_audio_writer;

/* Writes into an open file descriptor (not closed by the writer). title and
 * comment become tags. 0 or AU_E... with a message in err. */
int au_audio_writer_open(au_audio_writer **out, int fd, au_audio_format f,
                         int sample_rate, const au_params *p,
                         const char *comment, char *err, size_t errlen);
/* Opus only, before the first write: the bitrate (default 160000), the
 * same range as serve's --opus-bitrate. 0, AU_ESTATE or AU_EINVAL. */
int au_audio_writer_set_opus_bitrate(au_audio_writer *w, int bps);
/* frames of interleaved stereo float. 0 or AU_EIO. */
int au_audio_writer_write(au_audio_writer *w, const float *stereo, int frames);
/* Flushes, finishes the container and frees the writer. 0 or AU_EIO. */
int au_audio_writer_close(au_audio_writer *w);

#endif
