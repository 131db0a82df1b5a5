/* Live HLS from pcm16: AAC-LC in fragmented MP4 (CMAF) segments and a
 * rolling live playlist, written by libavformat's HLS muxer into memory
 * (a custom io_open/io_close2 pair: no file is ever touched).
 *
 * Why AAC-LC in fMP4: it is the one HLS audio format every player plays:
 * Safari and iOS natively, hls.js through Media Source Extensions on every
 * desktop and Android browser, ExoPlayer, VLC, ffmpeg, smart TVs. Opus in
 * fMP4 HLS needs Safari 17+/iOS 17+ and is refused by older set-top
 * players; the WebSocket and /stream/NAME.opus already serve Opus.
 *
 * One muxer per station. Encoding and muxing allocate, so this never runs
 * on a render or fan-out thread: the server drives it from its HLS thread
 * (src/server/hls.c). Not thread-safe; one thread per muxer. */
#ifndef AU_IO_HLS_H
#define AU_IO_HLS_H

#include <stddef.h>
#include <stdint.h>

typedef struct au_hls_muxer au_hls_muxer;

/* A finished file: the init segment, a media segment or the playlist
 * (called again each time the playlist changes). data is the muxer's
 * until the callback returns; the callee copies what it keeps. */
typedef void (*au_hls_file_fn)(void *arg, const char *name,
                               const unsigned char *data, size_t len);

typedef struct {
    int rate;          /* 48000 or 44100 */
    int bitrate;       /* AAC bits per second, 32000..320000 */
    int segment_ms;    /* target segment length, 2000..6000 */
    int list_size;     /* segments in the playlist, 3..20 */
    const char *token; /* prefix of segment names, unique per muxer so a
                          cache never confuses two runs of a station;
                          [A-Za-z0-9_-], at most 32 characters */
    au_hls_file_fn on_file;
    void *arg;
} au_hls_muxer_config;

au_hls_muxer_config au_hls_muxer_config_default(void);

/* 0 or AU_EINVAL / AU_ENOMEM / AU_EFORMAT (message in err). */
int au_hls_muxer_create(au_hls_muxer **out, const au_hls_muxer_config *cfg,
                        char *err, size_t errlen);
/* Interleaved stereo pcm16 (host order). Finished files arrive through
 * on_file during the call. 0 or AU_EIO. */
int au_hls_muxer_write(au_hls_muxer *m, const int16_t *pcm, int frames);
/* Frees everything (no end-of-list is written: a live stream just stops). */
void au_hls_muxer_destroy(au_hls_muxer *m);

/* Playlist name the muxer reports through on_file. */
#define AU_HLS_PLAYLIST "index.m3u8"

#endif
