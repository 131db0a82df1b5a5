/* MP3 for radio-style HTTP listeners: float stereo in, MPEG-1 Layer III
 * frames out, through libmp3lame (CBR, no Xing/ID3 tags: a stream, not a
 * file). Not bit-exact across LAME versions, so nothing compares MP3 bytes;
 * tests decode it.
 * Ownership: the caller owns the au_mp3 handle; create allocates (LAME's
 * state, ~300 KB: do it off the audio path), encode never allocates, locks
 * or does I/O. Thread-safety: one thread at a time per encoder (it may be
 * created on one thread and handed to another through a release store). */
#ifndef AU_IO_MP3_STREAM_H
#define AU_IO_MP3_STREAM_H

#include <stddef.h>

typedef struct au_mp3 au_mp3;

#define AU_MP3_KBPS_DEFAULT 128
/* Output bytes a chunk of `frames` may produce at most (LAME's bound). */
#define AU_MP3_CHUNK_MAX(frames) ((size_t)(frames)*5 / 4 + 7200)

/* rate: 48000 or 44100; kbps: a MPEG-1 bitrate 32..320. 0, AU_EINVAL or
 * AU_ENOMEM. */
int au_mp3_create(au_mp3 **out, int rate, int kbps);
void au_mp3_destroy(au_mp3 *m);
/* frames of interleaved stereo float (-1..1) -> whole MP3 frames in out.
 * Bytes written (often 0 or several frames: LAME buffers ~1152 frames), or
 * AU_EFULL if cap < AU_MP3_CHUNK_MAX(frames), AU_EIO if LAME failed. */
int au_mp3_encode(au_mp3 *m, const float *stereo, int frames,
                  unsigned char *out, size_t cap);

#endif
